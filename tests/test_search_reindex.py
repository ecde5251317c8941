"""Atomic reindex: a build killed half-way (SIGKILL) leaves the previous index serving, nothing partial is
visible, and the next run resumes the unfinished generation instead of embedding everything again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from search_support import catalogue_lines, write_slice, write_tiny_model

from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.ports.vector_index import IndexQuery

# The child builds a new generation with another sparse setting (so it is a full build, not an update) and
# an embedder that, after a few batches, tells the parent and waits to be killed.
CHILD = """
import sys, time
from pathlib import Path
from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.adapters.sparse_lexical import Bm25Params, Bm25SparseEncoder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.services.indexing import build_index

home, model, signal_file = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
stall = sys.argv[4] == "stall"

class Stalling:
    def __init__(self, inner):
        self.inner, self.name, self.dimension, self.batches = inner, inner.name, inner.dimension, 0
    def embed_documents(self, texts):
        self.batches += 1
        if stall and self.batches == 5:
            signal_file.write_text("half-way")
            time.sleep(120)
        return self.inner.embed_documents(texts)
    def embed_query(self, text):
        return self.inner.embed_query(text)

report = build_index(SqliteCatalogueStore(home), Stalling(OnnxTextEmbedder(model)),
                     Bm25SparseEncoder(Bm25Params(b=0.6)), EdgeBackend(home / "index", flush_every=16),
                     batch_size=16)
print(report.mode, report.embedded, report.manifest.points, report.manifest.generation)
"""


def cli(home: Path, model: Path, *args: str) -> dict[str, object] | list[dict[str, object]]:
    result = CliRunner().invoke(
        cli_app.cli,
        [*args, "--json"],
        catch_exceptions=False,
        env={"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": str(model), "ANIME_MCP_QDRANT_URL": ""},
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def child(home: Path, model: Path, signal_file: Path, mode: str) -> subprocess.Popen[str]:
    tests = str(Path(__file__).parent)
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(home), str(model), str(signal_file), mode],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": tests},
    )


def test_killing_a_reindex_leaves_the_previous_index_serving(tmp_path: Path) -> None:
    metadata, lines = catalogue_lines()
    catalogue = write_slice(tmp_path / "slice.jsonl", metadata, lines[::300])  # about 120 entries
    model = write_tiny_model(tmp_path / "tiny")
    home = tmp_path / "home"
    report = cli(home, model, "ingest", "--source", str(catalogue))
    assert isinstance(report, dict)
    total = report["entries"]
    before = EdgeBackend(home / "index").manifest()
    assert before is not None and before.points == total
    answer = cli(home, model, "search", "death note")

    signal_file = tmp_path / "half-way"
    process = child(home, model, signal_file, "stall")
    deadline = time.monotonic() + 60
    while not signal_file.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the child never reached the middle of its build"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    # The previous generation serves, whole and unchanged; the partial one is not what readers open.
    backend = EdgeBackend(home / "index")
    assert backend.manifest() == before
    index = backend.open()
    assert index is not None
    assert index.count() == total
    assert len(index.search(IndexQuery(sparse=None, dense=[1.0] * 8, limit=500))) == total
    index.close()
    assert cli(home, model, "search", "death note") == answer
    unfinished = [d for d in (home / "index").glob("gen-*") if d.name != before.generation]
    assert len(unfinished) == 1 and not (unfinished[0] / "manifest.json").exists()

    # The next run resumes the unfinished generation: only what it had not flushed is embedded again.
    finished = child(home, model, signal_file, "run")
    out, err = finished.communicate(timeout=120)
    assert finished.returncode == 0, err
    mode, embedded, points, generation = out.split()
    assert mode == "resumed"
    assert 0 < int(embedded) < total
    assert int(points) == total
    after = EdgeBackend(home / "index").manifest()
    assert after is not None and after.generation == generation == unfinished[0].name
    assert after.spec.sparse_encoder != before.spec.sparse_encoder

    # The index now uses another sparse setting than this version searches with: a clear refusal.
    result = CliRunner().invoke(
        cli_app.cli,
        ["search", "death note"],
        env={"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": str(model), "ANIME_MCP_QDRANT_URL": ""},
    )
    assert result.exit_code == 1
    assert "was built with sparse encoder bm25-unicode-v1(k1=1.2,b=0.6" in result.stderr


@pytest.mark.parametrize("flag", ["--reindex"])
def test_reindex_builds_a_new_generation_and_switches(tmp_path: Path, flag: str) -> None:
    metadata, lines = catalogue_lines()
    catalogue = write_slice(tmp_path / "slice.jsonl", metadata, lines[::600])
    model = write_tiny_model(tmp_path / "tiny")
    home = tmp_path / "home"
    first = cli(home, model, "ingest", "--source", str(catalogue))
    second = cli(home, model, "ingest", "--source", str(catalogue), flag)
    assert isinstance(first, dict) and isinstance(second, dict)
    assert first["index"]["mode"] == "full" and second["index"]["mode"] == "full"  # type: ignore[index]
    assert second["index"]["generation"] != first["index"]["generation"]  # type: ignore[index]
    assert second["index"]["embedded"] == second["entries"]  # type: ignore[index]


def test_a_lost_generation_is_reported_and_rebuilt(tmp_path: Path) -> None:
    import shutil

    metadata, lines = catalogue_lines()
    catalogue = write_slice(tmp_path / "slice.jsonl", metadata, lines[::900])
    model = write_tiny_model(tmp_path / "tiny")
    home = tmp_path / "home"
    first = cli(home, model, "ingest", "--source", str(catalogue))
    assert isinstance(first, dict)
    shutil.rmtree(home / "index" / str(first["index"]["generation"]))  # type: ignore[index]
    env = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": str(model), "ANIME_MCP_QDRANT_URL": ""}
    broken = CliRunner().invoke(cli_app.cli, ["search", "death note"], env=env)
    assert broken.exit_code == 1
    assert "which is missing; run `anime-mcp ingest --reindex`" in broken.stderr
    again = cli(home, model, "ingest", "--source", str(catalogue))
    assert isinstance(again, dict) and again["index"]["mode"] == "full"  # type: ignore[index]
    assert cli(home, model, "search", "death note")
