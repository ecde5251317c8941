"""``anime-mcp plan``: the JSON form, the readable summary, and clear errors for bad --now / --tz."""

from __future__ import annotations

import json

from click.testing import CliRunner
from planner_support import ENTRIES

from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.testing import FakeCatalogue


def run(*args: str) -> tuple[int, str]:
    overrides = Overrides(catalogue=lambda: FakeCatalogue(ENTRIES))
    result = CliRunner().invoke(cli, ["plan", *args], obj={"overrides": overrides})
    return result.exit_code, result.output


def test_plan_json_prints_every_key_of_the_plan() -> None:
    code, output = run(
        "Show me Friday's anime lineup on Crunchyroll", "--now", "2026-11-21T12:00:00", "--json"
    )
    assert code == 0, output
    data = json.loads(output)
    assert data["intent"] == "schedule"
    assert (data["date_from"], data["date_to"], data["platforms"]) == (
        "2026-11-27",
        "2026-11-27",
        ["crunchyroll"],
    )
    assert data["filters"]["exclude_titles"] == [] and data["clarification"] is None


def test_plan_resolves_days_in_the_zone_given() -> None:
    code, output = run(
        "what airs today?", "--now", "2026-11-21T23:30:00+00:00", "--tz", "Asia/Tokyo", "--json"
    )
    assert code == 0, output
    data = json.loads(output)
    assert (data["date_from"], data["timezone"]) == ("2026-11-22", "Asia/Tokyo")


def test_plan_without_json_prints_a_summary() -> None:
    code, output = run("anime like Death Note from the 90s")
    assert code == 0, output
    assert "similar" in output and "Death Note (mal-1535)" in output and "1990" in output


def test_bad_now_and_tz_are_clear_errors_with_exit_code_2() -> None:
    code, output = run("today", "--now", "yesterday-ish")
    assert code == 2 and "--now" in output and "ISO" in output
    code, output = run("today", "--tz", "Mars/Olympus")
    assert code == 2 and "--tz" in output and "time zone" in output
