"""The serve group of ``anime-mcp bench`` on the small ingested home: real ``anime-mcp serve`` processes under
wrk (also beside a "base" checkout: this one, run from an import tree), the Python client, a soak in slices,
``anime-mcp mcp`` cold starts; and the old scripts' command lines map onto them."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner
from serve_support import environment, ingested_home

from anime_mcp.entrypoints.bench.workloads.serving import parse_env
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.settings import ConfigError

pytestmark = pytest.mark.integration  # anime-mcp serve and mcp processes, wrk, the real MiniLM

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _bench import bench_arguments  # noqa: E402

TINY = ["--param", "seconds=2", "--param", "connections=4", "--param", "rounds=1", "--param", "clients=4"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def bench(runner: CliRunner, home: Path, out: Path, *args: str) -> dict[str, dict[str, object]]:
    result = runner.invoke(cli, ["bench", *args, "--out", str(out), "--json"], env=environment(home))
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads(result.output)
    assert json.loads((out / "report.json").read_text(encoding="utf-8")) == report
    return {row["workload"]: row for row in report["rows"]}


def test_the_serve_group_measures_real_servers(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    rows = bench(runner, home, tmp_path / "out", "serve", *TINY, "--param", "slice=1", "--param", "runs=2")
    assert set(rows) == {"serve-wrk", "serve-soak", "serve-rest-load", "serve-mcp-start"}
    assert all(row["skipped"] is None for row in rows.values()), {n: r["skipped"] for n, r in rows.items()}

    wrk = rows["serve-wrk"]
    assert wrk["n"] == 1 and wrk["p50_ms"] > 0  # one sample per round: the round's p50
    assert wrk["extra"]["requests_per_s"] > 0 and wrk["extra"]["errors"] == 0
    assert wrk["extra"]["cpu_ms_per_request"] > 0 and wrk["extra"]["rss_mib"] > 50
    (run,) = wrk["details"]["servers"]["new"]["runs"]
    assert run["requests"] > 0 and run["p50_ms"] <= run["p90_ms"] <= run["p99_ms"] <= run["max_ms"]
    assert wrk["details"]["questions"] == 108 and wrk["details"]["connections"] == 4

    soak = rows["serve-soak"]
    slices = soak["details"]["slices"]
    assert [s["from_s"] for s in slices] == [0, 1] and soak["n"] == 2
    assert all(s["requests"] > 0 and 0 < s["p50_ms"] <= s["p99_ms"] and s["rss_mib"] > 50 for s in slices)
    assert soak["extra"]["errors"] == 0 and soak["extra"]["rss_end_mib"] == slices[-1]["rss_mib"]
    assert soak["extra"]["rss_start_mib"] > 50 and soak["extra"]["cpu_ms_per_request"] > 0

    rest = rows["serve-rest-load"]
    assert rest["n"] == rest["extra"]["requests"] > 0 and rest["extra"]["failed"] == 0  # a sample per request
    assert 0 < rest["p50_ms"] <= rest["p95_ms"] <= rest["p99_ms"]
    assert rest["details"]["clients"] == 4 and rest["details"]["p50_ms"] > 0

    start = rows["serve-mcp-start"]
    assert start["n"] == 2  # one sample per run: spawn -> tools/list
    extra = start["extra"]
    assert 0 < extra["tools_list_s"] < extra["first_search_s"]
    assert 0 < extra["cpu_at_tools_list_s"] <= extra["cpu_at_first_search_s"]
    runs = start["details"]["versions"]["this tree"]["runs"]
    assert len(runs) == 2 and all(r["first_hit_mal"] == "1535" for r in runs)  # death note found
    assert start["details"]["versions"]["this tree"]["summary"]["tools_list_s"]["runs"] == 2
    assert start["details"]["bytecode_compiled"]["this tree"] >= 0  # brought up to date before timing


def test_the_mcp_start_is_timed_with_up_to_date_bytecode(tmp_path: Path) -> None:
    """As pip leaves an installed package: a stale module is compiled once, before the timed starts."""
    from anime_mcp.entrypoints.bench.workloads.serving import compile_bytecode

    package = tmp_path / "tree" / "anime_mcp"
    (package / "core").mkdir(parents=True)
    (package / "core" / "stale.py").write_text("VALUE = 1\n")
    assert compile_bytecode(str(tmp_path / "tree")) == 1
    assert list((package / "core" / "__pycache__").glob("stale.*.pyc"))
    assert compile_bytecode(str(tmp_path / "tree")) == 0


def test_side_by_side_with_a_base_checkout(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    rows = bench(
        runner,
        home,
        tmp_path / "out",
        "serve-wrk",
        *TINY,
        "--param",
        f"base={ROOT}",
        "--param",
        "env=ANIME_MCP_ANSWER_CACHE=0",
        "--param",
        "search_baseline=true",
        "--param",
        "settle=0.5",
    )
    wrk = rows["serve-wrk"]
    assert wrk["skipped"] is None, wrk["skipped"]
    servers = wrk["details"]["servers"]
    assert set(servers) == {"base", "new"} and wrk["details"]["env"] == {"ANIME_MCP_ANSWER_CACHE": "0"}
    assert all(s["median"]["requests_per_s"] > 0 and len(s["runs"]) == 1 for s in servers.values())
    assert wrk["extra"]["new_over_base"] == wrk["details"]["new_over_base"] > 0
    baseline = wrk["details"]["search_baseline"]
    assert baseline["search_cpu_ms"] > 0 and baseline["server_over_search"] > 0
    assert wrk["extra"]["server_over_search"] > 0
    memory = wrk["details"]["memory_before_load"]
    assert memory["settle_s"] == 0.5
    assert all(memory[name]["rss_after_first_question_mib"] > 50 for name in ("base", "new"))


def test_a_bad_setting_is_a_clear_error(runner: CliRunner, home: Path, tmp_path: Path) -> None:
    rows = bench(
        runner,
        home,
        tmp_path / "out",
        "serve-wrk",
        "serve-mcp-start",
        "--param",
        f"base={tmp_path}",
        "--param",
        f"baseline={tmp_path}",
    )
    assert "base=" in rows["serve-wrk"]["skipped"] and "not a checkout" in rows["serve-wrk"]["skipped"]
    assert "no anime_mcp package" in rows["serve-mcp-start"]["skipped"]
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        parse_env("ANIME_MCP_ANSWER_CACHE")
    assert parse_env("A=1,B=x=y") == {"A": "1", "B": "x=y"}


def test_the_old_command_lines_map_onto_the_bench_command() -> None:
    argv = ["--home", "H", "--base", "/tmp/b", "--env", "A=1", "--env", "B=2", "--search-baseline"]
    assert bench_arguments(["serve-wrk"], argv) == (
        [
            "bench",
            "serve-wrk",
            "--param",
            "base=/tmp/b",
            "--param",
            "env=A=1",
            "--param",
            "env=B=2",
            "--param",
            "search_baseline=true",
        ],
        {"ANIME_MCP_HOME": "H"},
    )
    soak = ["--home", "H", "--connections", "100", "--seconds", "60", "--slice", "10", "--json"]
    assert bench_arguments(["serve-soak"], soak)[0] == [
        "bench",
        "serve-soak",
        "--param",
        "connections=100",
        "--param",
        "seconds=60",
        "--param",
        "slice=10",
        "--json",
    ]
    assert bench_arguments(["serve-rest-load"], ["--clients", "32", "--seconds", "20"])[0][2:] == [
        "--param",
        "clients=32",
        "--param",
        "seconds=20",
    ]
    assert bench_arguments(["serve-mcp-start"], ["--runs", "10", "--baseline", "T"])[0][2:] == [
        "--param",
        "runs=10",
        "--param",
        "baseline=T",
    ]


def test_an_older_tree_starts_as_its_console_script_then_did(tmp_path: Path) -> None:
    """Before ``entrypoints/launch.py`` the script ran the command's ``main``: a baseline tree from then is
    started that way, not through this install's script (which would not find the launcher there)."""
    from anime_mcp.entrypoints.bench.workloads.serve_processes import ANIME_MCP, _console_script

    old = tmp_path / "old"
    (old / "anime_mcp" / "entrypoints").mkdir(parents=True)
    assert _console_script(str(old))[1:] == ["-m", "anime_mcp.entrypoints.cli"]
    (old / "anime_mcp" / "entrypoints" / "launch.py").write_text("")
    assert _console_script(str(old)) == _console_script(None) == [ANIME_MCP]
