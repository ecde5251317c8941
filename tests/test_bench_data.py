"""The data group of ``anime-mcp bench`` (the old benchmarks/ scripts as workloads), each run for real on a
small slice of the real catalogue: catalogue ingest and lookups, seasonal answers offline, the planner on the
development set, a full ingest in a fresh home with int8 quantisation, a dump import against embedding its
texts alone, bulk embedding, image search with a tiny CLIP; and the scripts' old command lines mapped onto
the bench command."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
import zstandard
from click.testing import CliRunner
from serve_support import environment, ingested_home
from shared_data import CATALOGUE, MINILM, ROOT, require_shared

from anime_mcp.entrypoints.bench.ingest_sample import write_sample
from anime_mcp.entrypoints.cli.app import cli

pytestmark = pytest.mark.integration  # ingests, index builds, anime-mcp in subprocesses

BENCHMARKS = ROOT / "benchmarks"
SCRIPTS = {
    "catalogue": "catalogue",
    "dump_import": "dump-import",
    "embed_throughput": "embed-throughput",
    "search_ingest": "search-ingest",
    "planner_speed": "planner-speed",
    "seasonal_offline": "seasonal-offline",
    "image_speed": "image-speed",
}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 300 entries of the real release."""
    path = tmp_path_factory.mktemp("release") / "slice.jsonl"
    write_sample(require_shared(CATALOGUE), 300, path)
    return path


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def bench(runner: CliRunner, home: Path, out: Path, *args: str) -> dict[str, dict[str, Any]]:
    """The report's rows by workload, after checking the command succeeded."""
    result = runner.invoke(cli, ["bench", *args, "--out", str(out), "--json"], env=environment(home))
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {row["workload"]: row for row in report["rows"]}


def measured(row: dict[str, Any]) -> None:
    assert row["skipped"] is None, row["skipped"]
    assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]


def test_catalogue_seasonal_and_planner_workloads_measure_a_slice(
    runner: CliRunner, home: Path, release: Path, tmp_path: Path
) -> None:
    rows = bench(
        runner,
        home,
        tmp_path / "out",
        "catalogue",
        "seasonal-offline",
        "planner-speed",
        "--catalogue",
        str(release),
        "--param",
        "lookups=40",
        "--param",
        "calls=12",
        "--repeat",
        "2",
    )
    catalogue = rows["catalogue"]
    measured(catalogue)
    assert catalogue["n"] == 3 * 40  # cold lookups by id, URL and title
    assert catalogue["extra"]["entries"] == 300 and catalogue["extra"]["ingest_s"] > 0
    assert catalogue["extra"]["open_ms"] > 0 and catalogue["extra"]["baseline_ms"] >= 0
    lookups = catalogue["details"]["lookups"]
    assert set(lookups) == {"platform id", "URL", "title"}
    assert all(k["n"] == 40 and 0 < k["cold_median_ms"] <= k["cold_p95_ms"] for k in lookups.values())
    assert all(k["warm_median_ms"] > 0 for k in lookups.values())
    assert catalogue["details"]["baseline"]["reference"].count(":") == 1  # platform:id

    seasonal = rows["seasonal-offline"]
    measured(seasonal)
    assert seasonal["n"] == 12 and seasonal["extra"]["season_index_s"] > 0
    calls = seasonal["details"]["calls"]
    assert [c["n"] for c in calls.values()] == [6, 6]
    assert seasonal["extra"]["p95_ms_by_score"] > 0 and seasonal["extra"]["p95_ms_tv_by_popularity"] > 0

    planner = rows["planner-speed"]
    measured(planner)
    questions = planner["extra"]["questions"]
    assert questions > 10 and planner["n"] == 2 * questions  # each question planned once per pass
    assert 0 < planner["quality"]["accuracy"] <= 1
    assert planner["extra"]["vocabulary_s"] > 0 and planner["extra"]["noise_ms"] > 0
    assert planner["extra"]["max_ms"] >= planner["p99_ms"]
    per_key = planner["details"]["per_key"]
    assert per_key["intent"]["total"] == questions
    assert sum(k["passed"] for k in per_key.values()) == int(planner["extra"]["keys_passed"].split("/")[0])


def test_ingest_in_a_fresh_home_then_a_dump_import_and_bulk_embedding(
    runner: CliRunner, home: Path, tmp_path: Path
) -> None:
    small = tmp_path / "small.jsonl"
    write_sample(CATALOGUE, 40, small)
    built = tmp_path / "built"
    rows = bench(
        runner,
        home,
        tmp_path / "out",
        "search-ingest",
        "embed-throughput",
        "--param",
        f"catalogue={small}",
        "--param",
        f"home={built}",
        "--param",
        "int8=true",
        "--param",
        f"model={MINILM}",
        "--param",
        "every=20",
    )
    ingest = rows["search-ingest"]
    measured(ingest)
    extra = ingest["extra"]
    assert extra["entries"] == 40 and extra["embedded"] == 40
    assert extra["command_s"] >= extra["store_s"] + extra["index_s"] > 0
    assert 0.9 < extra["int8_cosine"] <= 1.0 and extra["quantize_s"] > 0
    assert ingest["details"]["model"].endswith("-int8") and ingest["details"]["points"] == 40
    assert {"embed", "write"} <= set(ingest["details"]["phases"])
    quantised = built / "models" / "all-MiniLM-L6-v2-onnx-int8"
    assert (built / "catalogue.sqlite3").is_file() and quantised.is_dir()

    embedded = rows["embed-throughput"]  # on the module's ingested home, every 20th entry
    measured(embedded)
    assert embedded["extra"]["documents"] == -(-embedded["extra"]["entries"] // 20)
    assert embedded["extra"]["documents_per_s"] > 0 and embedded["extra"]["fingerprint_s"] > 0

    # the dump import runs on the home just built, with its int8 model, and leaves that home as it was
    mal = "https://myanimelist.net/anime/"
    entries = [json.loads(line) for line in small.read_text(encoding="utf-8").splitlines()[1:]]
    ids = [int(url.removeprefix(mal)) for e in entries for url in e["sources"] if url.startswith(mal)]
    from test_enrichment_store import dump_records

    dump = tmp_path / "dump.jsonl.zst"
    lines = dump_records(set(ids[:8]))
    dump.write_bytes(zstandard.ZstdCompressor().compress(b"".join(lines.values())))
    rows = bench(
        runner,
        built,
        tmp_path / "out2",
        "dump-import",
        "--embedders",
        str(quantised),
        "--param",
        f"dump={dump}",
    )
    imported = rows["dump-import"]
    assert imported["skipped"] is None, imported["skipped"]
    extra = imported["extra"]
    assert extra["command_s"] > 0 and extra["embedding_alone_s"] > 0 and extra["texts"] >= 1
    assert extra["ratio"] == pytest.approx(extra["command_s"] / extra["embedding_alone_s"], rel=0.1)
    assert imported["details"]["import"]["matched"] == len(lines)
    assert imported["details"]["index"]["mode"] == "incremental"

    # the import ran on a copy: the home has no synopses yet (else that would be the reason skipped)
    again = bench(runner, built, tmp_path / "out3", "dump-import", "--param", f"dump={tmp_path / 'none'}")
    assert "no dump at" in again["dump-import"]["skipped"]


def test_image_speed_with_a_tiny_clip(runner: CliRunner, home: Path, release: Path, tmp_path: Path) -> None:
    from clip_support import exported_tiny_clip  # torch: imported by this test only

    _, onnx = exported_tiny_clip()
    rows = bench(
        runner,
        home,
        tmp_path / "out",
        "image-speed",
        "--catalogue",
        str(release),
        "--param",
        f"cache={onnx.parent}",  # an exported model is used as it is: no ViT-B/32 export here
        "--param",
        "posters=120",
        "--param",
        "indexed=16",
        "--param",
        "queries=6",
    )
    image = rows["image-speed"]
    measured(image)
    assert image["n"] == 6
    details = image["details"]
    assert details["poster_vectors"] == 120 and details["index_images_posters"] == 16
    assert details["encoder_batch16_per_s"] > 0 and details["encoder_batch32_per_s"] > 0
    assert 0 < details["encoder_batch1_median_ms"] <= details["encoder_batch1_p95_ms"]
    assert details["query_over_own_tower_median"] >= 1  # the query path includes the tower
    assert image["extra"]["query_p95_over_encoder_p95"] > 0 and image["extra"]["index_images_per_s"] > 0


def test_the_scripts_old_command_lines_run_their_workloads(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCHMARKS))
    try:
        from _bench import bench_arguments
        from search_ingest import split_home
    finally:
        sys.path.remove(str(BENCHMARKS))
    assert bench_arguments(["catalogue"], ["--catalogue", "r.jsonl", "--lookups", "50"]) == (
        ["bench", "catalogue", "--catalogue", "r.jsonl", "--param", "lookups=50"],
        {},
    )
    assert bench_arguments(["dump-import"], ["--home", "/b", "--dump", "d.zst", "--json"]) == (
        ["bench", "dump-import", "--param", "dump=d.zst", "--json"],
        {"ANIME_MCP_HOME": "/b"},
    )
    assert bench_arguments(["planner-speed"], ["--repeat", "200"])[0] == [
        "bench",
        "planner-speed",
        "--repeat",
        "200",
    ]
    assert bench_arguments(["search-ingest"], ["--model", "m", "--int8"])[0][2:] == [
        "--param",
        "model=m",
        "--param",
        "int8=true",
    ]
    assert split_home(["--model", "m", "--home", "/h", "--int8"]) == (
        ["--model", "m", "--int8"],
        ["--param", "home=/h"],
    )
    for script, workload in SCRIPTS.items():  # each wrapper runs its own workload (--help lists them)
        done = subprocess.run(
            [sys.executable, str(BENCHMARKS / f"{script}.py"), "--help", "--json"],
            capture_output=True,
            text=True,
            env=environment(tmp_path / "home"),
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        listed = {row["name"]: row for row in json.loads(done.stdout)}
        assert listed[workload]["group"] == "data" and listed[workload]["parameters"], script
