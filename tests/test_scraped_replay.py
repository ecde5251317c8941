"""With LiveChart's recorded Death Note page replayed, compare_ratings mal:1535 shows LiveChart's score in
its own scale (out of 10) with provenance. Anime-Planet has no recorded Death Note page (MANIFEST.md), so
its source answers nothing for it and the table goes on without it. Nothing leaves the machine: replay
never asks for robots.txt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner
from shared_data import DATA, FIXTURES, require_shared

from anime_mcp.entrypoints.cli.app import cli

LIVECHART_DEATH_NOTE = FIXTURES / "livechart" / "anime" / "anime_3437_death-note.html"


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def env(home: Path, **extra: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_LOAD_PLUGINS": "livechart,animeplanet,aod_catalogue",
        "ANIME_MCP_DISABLE_PLUGINS": None,
        "ANIME_MCP_REPLAY": None,
        "ANIME_MCP_RECORD": None,
        "ANIME_MCP_REDIS_URL": None,
    }
    base.update(extra)
    return base


def test_replayed_livechart_page_answers_compare_ratings(runner: CliRunner, tmp_path: Path) -> None:
    home, folder = tmp_path / "home", tmp_path / "recordings"
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    ingested = runner.invoke(cli, ["ingest", "--source", str(example)], env=env(home))
    assert ingested.exit_code == 0, ingested.output
    page = str(require_shared(LIVECHART_DEATH_NOTE))
    add = ["sources", "recording", "add", "--into", str(folder), "livechart", "fetch livechart:3437", page]
    added = runner.invoke(cli, add, env=env(home))
    assert added.exit_code == 0, added.output
    assert "livechart.me/anime/3437" in (folder / "recordings.jsonl").read_text()

    rated = runner.invoke(
        cli,
        ["call", "compare_ratings", "anime_id=mal:1535", "--json"],
        env=env(home, ANIME_MCP_REPLAY=str(folder)),
    )
    assert rated.exit_code == 0, rated.output
    rows = {row["source"]: row for row in json.loads(rated.stdout)["ratings"]}
    livechart = rows["livechart"]
    assert (livechart["value"], livechart["scale"]["high"]) == (8.66, 10.0)
    assert livechart["normalised"] == pytest.approx(8.66)
    assert livechart["provenance"]["url"] == "https://livechart.me/anime/3437"
    assert "animeplanet" not in rows  # no recorded Death Note page: no value, no made-up one
