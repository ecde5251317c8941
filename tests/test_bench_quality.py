"""The quality group of ``anime-mcp bench`` (what benchmarks/search_quality.py, similar_quality.py and
story_search.py measured) on the small ingested home: every workload once, its figures real; and the old
scripts' command lines map onto the bench command."""

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
from serve_support import environment, ingested_home

from anime_mcp.entrypoints.cli.app import cli

pytestmark = pytest.mark.integration  # the real MiniLM over an ingested slice

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from _bench import bench_arguments  # noqa: E402 - benchmarks/ is not a package
from search_quality import WORKLOADS as SEARCH_WORKLOADS  # noqa: E402
from search_quality import json_file  # noqa: E402
from story_search import WORKLOADS as STORY_WORKLOADS  # noqa: E402

RANKINGS = (
    "ranking-dense",
    "ranking-sparse",
    "ranking-hybrid",
    "ranking-rrf",
    "ranking-dbsf",
    "fuzzy-baseline",
)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def bench(runner: CliRunner, home: Path, out: Path, *args: str) -> dict[str, dict[str, Any]]:
    """The report's rows by workload."""
    result = runner.invoke(cli, ["bench", *args, "--repeat", "1", "--out", str(out)], env=environment(home))
    assert result.exit_code == 0, (result.output, result.exception)
    rows = json.loads((out / "report.json").read_text(encoding="utf-8"))["rows"]
    return {row["workload"]: row for row in rows}


def few_of_each_kind(path: Path) -> Path:
    """The first three judged search queries of each of the seven kinds (a shorter run; ``--queries``)."""
    judged = json.loads((ROOT / "benchmarks" / "search_queries.json").read_text(encoding="utf-8"))
    kept: list[dict[str, Any]] = []
    for query in judged["queries"]:
        if sum(q["kind"] == query["kind"] for q in kept) < 3:
            kept.append(query)
    path.write_text(json.dumps({"queries": kept}), encoding="utf-8")
    return path


def measured(row: dict[str, Any]) -> None:
    assert row["skipped"] is None, row["skipped"]
    assert 0 < row["p50_ms"] <= row["p95_ms"]


def test_the_search_rankings_report_quality_per_kind_latency_and_hnsw_recall(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    queries = few_of_each_kind(tmp_path / "queries.json")
    params = ["--param", "similar_rounds=1", "--param", "hnsw_sample=20", "--param", f"queries={queries}"]
    rows = bench(runner, home, tmp_path / "out", *SEARCH_WORKLOADS, *params)
    assert set(rows) == set(SEARCH_WORKLOADS)
    for name in RANKINGS:
        row = rows[name]
        measured(row)
        assert row["n"] == row["extra"]["queries"] == 21  # one timed pass over every judged query
        assert 0 <= row["quality"]["mrr"] <= row["quality"]["recall@10"] <= 1
        kinds = row["details"]["per_kind"]
        assert len(kinds) == 7 and all(k["n"] == 3 for k in kinds.values())
        assert all(0 <= k["recall@10"] <= 1 for k in kinds.values())
    hybrid = rows["ranking-hybrid"]
    assert hybrid["quality"]["recall@10"] > 0  # Death Note and friends are in the slice
    assert hybrid["details"]["per_kind"]["title"]["mrr"] > 0
    assert hybrid["details"]["done_when"]["death note -> mal-1535 first"] == "PASS"
    assert len(hybrid["details"]["done_when"]) == 4 and hybrid["extra"]["done_when"].endswith("pass")
    assert rows["fuzzy-baseline"]["varied"] == "baseline"  # no adapter changes it
    for name in ("hybrid-filters", "similar-references", "query-embedding"):
        measured(rows[name])
        assert rows[name]["quality"] == {} and rows[name]["extra"]["calls"] > 0
    assert rows["hybrid-filters"]["extra"]["calls"] == 21
    hnsw = rows["hnsw-recall"]
    measured(hnsw)
    details = hnsw["details"]
    assert {"ef=32 queries", "ef=256 documents", "exact"} <= set(details)
    assert details["ef=64 documents"]["n"] == 20 and details["exact"]["n"] == 21
    # the slice's index was built exact (no graph, the embedded default): every ef finds what exact finds
    assert details["exact_setting"] is True and hnsw["quality"]["recall@10"] == 1.0
    assert set(hnsw["extra"]) == {"ef=32", "ef=64", "ef=128", "ef=256"}


def test_similar_quality_compares_before_with_every_kind(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    params = ["--param", "cold=true", "--param", "show=death note"]
    row = bench(runner, home, tmp_path / "out", "similar-quality", *params)["similar-quality"]
    measured(row)
    details = row["details"]
    assert details["seeds"] >= 1 and details["seeds_not_in_catalogue"] > 0  # a slice holds few seeds
    assert row["n"] == details["seeds"]
    for ranking in ("before", "overall", "semantic", "genre", "studio"):
        figures = details[ranking]
        assert 0 <= figures["precision@10"] <= figures["hit@10"] <= 1 and figures["p50_ms"] > 0
    assert details["visual"].startswith("skipped")  # no poster vectors in this home
    assert row["quality"]["hit@10"] == details["overall"]["hit@10"] == row["quality"]["recall@10"]
    assert row["extra"]["before hit@10"] == details["before"]["hit@10"]
    assert [r["anime_id"] for r in details["shown"]["Death Note"]] and "mal-1535" not in {
        r["anime_id"] for r in details["shown"]["Death Note"]
    }


def test_story_workloads_judge_every_mode_and_ask_the_done_when_question(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    rows = bench(runner, home, tmp_path / "out", *STORY_WORKLOADS)
    for mode in ("hybrid", "story", "dense", "sparse"):
        row = rows[f"story-queries-{mode}"]
        measured(row)
        assert row["n"] == row["extra"]["queries"] == 56
        assert 0 <= row["quality"]["mrr"] <= row["quality"]["recall@10"] <= 1
        assert (
            len(row["details"]["misses"])
            == row["extra"]["misses"]
            == round(56 * (1 - row["quality"]["recall@10"]))
        )
    titles = rows["story-title-latency"]
    measured(titles)
    assert titles["n"] == titles["extra"]["queries"] == 108 - 20
    done = rows["story-done-when"]
    measured(done)
    assert len(done["details"]["top3"]) == 3 and done["details"]["query"].startswith("a student finds")
    rank = done["details"]["death_note_rank"]
    assert rank is None or 1 <= rank <= 50
    assert done["extra"] == {
        "death_note_rank": rank,
        "index_has_content": done["details"]["index_has_content"],
    }


def test_a_missing_judged_set_is_a_skip_saying_where_to_point(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    empty = tmp_path / "judged"
    empty.mkdir()
    rows = bench(runner, home, tmp_path / "out", "quality", "--judged", str(empty))
    assert len(rows) == len(SEARCH_WORKLOADS) + 1 + len(STORY_WORKLOADS)
    skipped = {name: row["skipped"] for name, row in rows.items() if name != "story-done-when"}
    assert all(reason and "not found" in reason for reason in skipped.values()), skipped


def test_the_old_command_lines_map_onto_the_bench_command(tmp_path: Path) -> None:
    argv = ["--home", "H", "--repeat", "1", "--hnsw-sample", "50", "--queries", "Q.json"]
    assert bench_arguments(SEARCH_WORKLOADS, argv) == (
        [
            "bench",
            *SEARCH_WORKLOADS,
            "--repeat",
            "1",
            "--param",
            "hnsw_sample=50",
            "--param",
            "queries=Q.json",
        ],
        {"ANIME_MCP_HOME": "H"},
    )
    assert json_file(["--json", "out.json", "--repeat", "1"]) == (
        ["--json", "--repeat", "1"],
        Path("out.json"),
    )
    assert json_file(["--json=out.json"]) == (["--json"], Path("out.json"))
    assert json_file(["--repeat", "1"]) == (["--repeat", "1"], None)
    similar = bench_arguments(["similar-quality"], ["--cold", "--show", "Death Note", "--json"])[0]
    assert similar == [
        "bench",
        "similar-quality",
        "--param",
        "cold=true",
        "--param",
        "show=Death Note",
        "--json",
    ]
    assert bench_arguments(STORY_WORKLOADS, ["--json"])[0] == ["bench", *STORY_WORKLOADS, "--json"]
    listed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "story_search.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert all(name in listed.stdout for name in STORY_WORKLOADS)
