"""The ``sources`` group of ``anime-mcp bench``: the workloads that replay the real recordings of
../shared/fixtures as the upstream of whole ``anime-mcp`` processes (enrich-fanout, enrich-repeat-stdio,
shared-upstream), each in tiny real runs through the CLI: their own homes and recordings, ``serve`` and
``mcp`` children, a real redis-server. And the old scripts' command lines map onto them."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner
from serve_support import environment
from shared_data import DATA, ROOT, require_shared

from anime_mcp.entrypoints.cli.app import cli

pytestmark = pytest.mark.integration  # anime-mcp serve and mcp children, a redis-server

BENCHMARKS = ROOT / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
from _bench import bench_arguments  # noqa: E402 - benchmarks/ is not a package

EXAMPLE = DATA / "examples" / "death-note.aod.json"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The configuration bench composes before any workload: one entry, no index (these workloads bring
    their own deployments)."""
    home = tmp_path_factory.mktemp("replayed") / "home"
    ingest = [sys.executable, "-m", "anime_mcp.entrypoints.cli", "ingest", "--no-index"]
    done = subprocess.run(
        [*ingest, "--source", str(require_shared(EXAMPLE))],
        capture_output=True,
        text=True,
        env=environment(home),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def bench_row(runner: CliRunner, home: Path, out: Path, *args: str, **env: str) -> dict[str, Any]:
    result = runner.invoke(cli, ["bench", *args, "--out", str(out), "--json"], env=environment(home, **env))
    assert result.exit_code == 0, (result.output, result.exception)
    rows = json.loads((out / "report.json").read_text())["rows"]
    assert len(rows) == 1
    row: dict[str, Any] = rows[0]
    assert row["skipped"] is None, row["skipped"]
    assert row["varied"] == "baseline"  # its own deployment: no configuration varies it
    return row


def test_enrich_fanout_times_each_source_alone_and_all_four_together(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    row = bench_row(runner, home, tmp_path, "enrich-fanout", "--param", "rounds=2", "--param", "latency=0.05")
    details = row["details"]
    assert row["n"] == 2 and len(row["samples_ms"]) == 2  # all four together, one per round
    assert sorted(details["alone"]) == ["anidb", "anilist", "kitsu", "mal"]
    for summary in [*details["alone"].values(), details["together"]]:
        assert summary["n"] == 2
        assert summary["median_ms"] >= 50  # every answer waited for its injected 50 ms
    # the four are asked at once: together well under the sum of the four alone
    assert details["together_median_ms"] < details["sum_of_alone_medians_ms"]
    assert details["together_x_sum"] < 1
    assert details["together_x_slowest"] == pytest.approx(
        details["together_median_ms"] / details["slowest_alone_median_ms"], rel=0.01
    )
    assert row["extra"]["target_x"] == 1.3
    assert row["extra"]["together_x_slowest"] > 0.9
    assert (details["latency_s"], details["rounds"]) == (0.05, 2)


def test_enrich_repeat_stdio_compares_l1_with_a_lookup_beside_a_base_checkout(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    row = bench_row(
        runner,
        home,
        tmp_path / "out",
        "enrich-repeat-stdio",
        "--param",
        "repeats=8",
        "--param",
        "fields=synopsis,score",
        "--param",
        f"base={ROOT}",  # this checkout's code run as an older one would be (PYTHONPATH tree)
        "--workdir",
        str(tmp_path / "work"),
    )
    servers = row["details"]["servers"]
    assert sorted(servers) == [f"base {ROOT}", "this checkout"]
    for figures in servers.values():
        assert figures["from_cache"] == 8  # every repeat answered from L1
        assert figures["first_details_ms"] > 0
        for tool in ("details", "lookup"):
            assert figures[tool]["n"] == 8 and 0 < figures[tool]["min_ms"] <= figures[tool]["p50_ms"]
        assert figures["cpu_details_ms"] >= 0 and figures["cpu_lookup_ms"] >= 0
    ours = servers["this checkout"]
    assert row["n"] == 8 and row["p50_ms"] == pytest.approx(ours["details"]["p50_ms"], abs=0.01)
    assert row["extra"]["l1_over_transport_ms"] == ours["p50_difference_ms"]
    assert row["extra"]["from_cache"] == "8/8"
    assert "base_l1_over_transport_ms" in row["extra"]
    assert row["details"]["fields"] == ["synopsis", "score"]
    assert list((tmp_path / "work").glob("enrich-repeat-stdio-*/home/catalogue.sqlite3"))


def test_shared_upstream_reaches_the_upstream_once_with_redis(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    row = bench_row(
        runner, home, tmp_path, "shared-upstream", "--param", "requests=6", "--param", "latency=0.05"
    )
    extra = row["extra"]
    assert (extra["upstream_redis_cold"], extra["upstream_redis_warm"]) == (1, 0)
    assert extra["upstream_no_redis_cold"] == 2  # each process asks once
    assert extra["failed"] == 0
    runs = row["details"]["runs"]
    assert sorted(runs) == [
        "two processes, no Redis, cold",
        "two processes, one Redis, cold",
        "two processes, one Redis, warm",
    ]
    for run in runs.values():
        assert run["n"] == 6 and run["median_ms"] > 0
    assert runs["two processes, one Redis, cold"]["median_ms"] >= 50  # waited for the upstream
    assert row["n"] == 6  # the cold burst with one Redis


def test_without_shared_each_workload_is_skipped_saying_so(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    env = environment(home, ANIME_MCP_SHARED=str(tmp_path / "absent"))
    out = tmp_path / "out"
    result = runner.invoke(cli, ["bench", "sources", "--out", str(out), "--json"], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    rows = json.loads((out / "report.json").read_text())["rows"]
    assert [r["workload"] for r in rows] == ["enrich-fanout", "enrich-repeat-stdio", "shared-upstream"]
    for row in rows:
        assert "../shared missing" in row["skipped"]


@pytest.mark.parametrize(
    ("script", "argv", "expected"),
    [
        (
            "enrich_fanout",
            ["--latency", "0.2", "--rounds", "20"],
            ["enrich-fanout", "--param", "latency=0.2", "--param", "rounds=20"],
        ),
        (
            "enrich_repeat_stdio",
            ["--repeats", "400", "--fields", "synopsis,score", "--base", "/tmp/base-c06e6dd"],
            [
                "enrich-repeat-stdio",
                "--param",
                "repeats=400",
                "--param",
                "fields=synopsis,score",
                "--param",
                "base=/tmp/base-c06e6dd",
            ],
        ),
        (
            "shared_upstream",
            ["--requests=100", "--latency", "0.2", "--json"],
            ["shared-upstream", "--param", "requests=100", "--param", "latency=0.2", "--json"],
        ),
    ],
)
def test_the_old_command_lines_become_bench_runs(script: str, argv: list[str], expected: list[str]) -> None:
    source = (BENCHMARKS / f"{script}.py").read_text()
    workload = expected[0]
    assert f'run("{workload}")' in source  # the thin wrapper names its workload
    assert bench_arguments([workload], argv) == (["bench", *expected], {})
