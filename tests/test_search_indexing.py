"""Ingest's indexing step: full builds and incremental updates (added, changed, removed entries), on both
index backends, with the tiny ONNX model (the arithmetic of embedding is tested elsewhere)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from search_support import catalogue_lines, write_slice, write_tiny_model

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.search import SearchFilters
from anime_mcp.entrypoints.services.catalogue import ingest_file
from anime_mcp.entrypoints.services.indexing import build_index
from anime_mcp.ports.vector_index import IndexQuery, VectorIndexBackend


def edge(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    return EdgeBackend(tmp_path / "index")


def server(tmp_path: Path) -> VectorIndexBackend:
    from qdrant_client import QdrantClient

    from anime_mcp.adapters.qdrant_server_index import ServerBackend

    return ServerBackend(QdrantClient(location=":memory:"), location=":memory:")


@pytest.fixture(params=[edge, server], ids=["qdrant-edge", "qdrant-server"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndexBackend:
    factory: Callable[[Path], VectorIndexBackend] = request.param
    return factory(tmp_path)


def test_full_build_then_weekly_update(tmp_path: Path, backend: VectorIndexBackend) -> None:
    metadata, lines = catalogue_lines()
    week1 = lines[::400]  # about 90 entries
    changed = json.loads(week1[5])
    changed["tags"] = sorted({*changed.get("tags", []), "weekly-update-test"})
    week2 = [*week1[3:5], json.dumps(changed, ensure_ascii=False), *week1[6:], *lines[1::4000]]
    store = SqliteCatalogueStore(tmp_path / "store")
    readers = [AodJsonlReader()]
    embedder = OnnxTextEmbedder(write_tiny_model(tmp_path / "tiny"))

    ingest_file(write_slice(tmp_path / "week1.jsonl", metadata, week1), readers, store)
    progress: list[tuple[int, int]] = []
    first = build_index(
        store,
        embedder,
        Bm25SparseEncoder(),
        backend,
        batch_size=32,
        progress=lambda done, total: progress.append((done, total)),
    )
    total = store.stats().entries
    assert (first.mode, first.embedded, first.added, first.removed) == ("full", total, total, 0)
    assert first.manifest.points == total
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)

    ingest_file(write_slice(tmp_path / "week2.jsonl", metadata, week2), readers, store)
    second = build_index(store, embedder, Bm25SparseEncoder(), backend)
    new = len(lines[1::4000])
    assert second.mode == "incremental"
    assert (second.added, second.changed, second.removed) == (new, 1, 3)
    assert second.unchanged == total - 4
    assert second.manifest.points == store.stats().entries == total - 3 + new
    assert second.manifest.spec.settings["avgdl"] == first.manifest.spec.settings["avgdl"]

    index = backend.open()
    assert index is not None
    tagged = index.search(IndexQuery(dense=[1.0] * 8, filters=SearchFilters(tags={"weekly-update-test"})))
    assert [h.payload["title"] for h in tagged] == [changed["title"]]
    removed_titles = {json.loads(line)["title"] for line in week1[:3]}
    everything = index.search(IndexQuery(dense=[1.0] * 8, limit=500))
    assert not removed_titles & {str(h.payload["title"]) for h in everything}

    third = build_index(store, embedder, Bm25SparseEncoder(), backend)
    assert (third.mode, third.embedded, third.removed) == ("incremental", 0, 0)
    assert third.manifest.generation == second.manifest.generation  # nothing changed: nothing switched
    entries = list(AodJsonlReader().read(tmp_path / "week2.jsonl", strict=True).entries)
    assert {e.anime_id for e in entries} == {
        h.anime_id for h in index.search(IndexQuery(dense=[1.0] * 8, limit=500))
    }
