"""Ingest's indexing step: full builds and incremental updates (added, changed, removed entries), on both
index backends, with the tiny ONNX model (the arithmetic of embedding is tested elsewhere)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from search_support import catalogue_lines, write_slice, write_tiny_model

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.services.catalogue import ingest_file
from anime_mcp.core.services.indexing import build_index
from anime_mcp.ports.vector_index import CONTENT_VECTOR, IndexQuery, VectorIndexBackend


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
    assert [store.by_anime_id(h.anime_id).title for h in tagged] == [changed["title"]]  # type: ignore[union-attr]
    removed_titles = {json.loads(line)["title"] for line in week1[:3]}
    everything = index.search(IndexQuery(dense=[1.0] * 8, limit=500))
    shown = [store.by_anime_id(h.anime_id) for h in everything]
    assert None not in shown and not removed_titles & {e.title for e in shown if e is not None}

    third = build_index(store, embedder, Bm25SparseEncoder(), backend)
    assert (third.mode, third.embedded, third.removed) == ("incremental", 0, 0)
    assert third.manifest.generation == second.manifest.generation  # nothing changed: nothing switched
    entries = list(AodJsonlReader().read(tmp_path / "week2.jsonl", strict=True).entries)
    assert {e.anime_id for e in entries} == {
        h.anime_id for h in index.search(IndexQuery(dense=[1.0] * 8, limit=500))
    }


class InputOrderEmbedder:
    """The same model seen as a plain ``Embedder`` (no bulk capability): indexing embeds in input order."""

    def __init__(self, inner: OnnxTextEmbedder) -> None:
        self.inner, self.name, self.dimension = inner, inner.name, inner.dimension
        self.calls: list[int] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(len(texts))
        return self.inner.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)


def test_length_sorted_bulk_embedding_stores_the_same_vectors_as_input_order(tmp_path: Path) -> None:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    metadata, lines = catalogue_lines()
    store = SqliteCatalogueStore(tmp_path / "store")
    ingest_file(write_slice(tmp_path / "slice.jsonl", metadata, lines[::500]), [AodJsonlReader()], store)
    bulk = OnnxTextEmbedder(write_tiny_model(tmp_path / "tiny"))  # batch_size 4: many sorted batches
    plain = InputOrderEmbedder(bulk)
    progress: list[tuple[int, int]] = []
    sorted_index = EdgeBackend(tmp_path / "sorted")
    report = build_index(
        store,
        bulk,
        Bm25SparseEncoder(),
        sorted_index,
        batch_size=10,
        progress=lambda done, total: progress.append((done, total)),
    )
    in_order = EdgeBackend(tmp_path / "in-order")
    build_index(store, plain, Bm25SparseEncoder(), in_order, batch_size=10)

    total = store.stats().entries
    assert report.embedded == report.manifest.points == total
    assert plain.calls == [10] * (total // 10) + ([total % 10] if total % 10 else [])
    # upserts are regrouped to at least batch_size, whatever the embedder's own batch size
    assert progress[0] == (0, total) and progress[-1] == (total, total)
    steps = [b - a for (a, _), (b, _) in itertools.pairwise(progress)]
    assert all(step >= 10 for step in steps[:-1]) and sum(steps) == total
    a, b = sorted_index.open(), in_order.open()
    assert a is not None and b is not None
    for entry in store.entries():
        va, vb = a.dense_vector(entry.anime_id), b.dense_vector(entry.anime_id)
        assert va is not None and vb is not None
        assert va == pytest.approx(vb, abs=1e-6)


class CountingEmbedder:
    """The tiny ONNX model, counting the texts it embeds (what an update must not embed again)."""

    def __init__(self, inner: OnnxTextEmbedder) -> None:
        self.inner = inner
        self.name, self.dimension = inner.name, inner.dimension
        self.texts: list[str] = []

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(text)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.texts += texts
        return self.inner.embed_documents(texts)


def test_content_vectors_are_embedded_only_where_the_story_changed(
    tmp_path: Path, backend: VectorIndexBackend
) -> None:
    metadata, lines = catalogue_lines()
    store = SqliteCatalogueStore(tmp_path / "store")
    ingest_file(write_slice(tmp_path / "c.jsonl", metadata, lines[::800]), [AodJsonlReader()], store)
    entries = list(store.entries())
    ids = [e.anime_id for e in entries]
    embedder = CountingEmbedder(OnnxTextEmbedder(write_tiny_model(tmp_path / "tiny")))
    stories = {ids[0]: "A boy finds a notebook. Genres and themes: Thriller.", ids[1]: "Two pilots."}

    first = build_index(store, embedder, Bm25SparseEncoder(), backend, contents=stories)
    assert (first.documents_embedded, first.contents_embedded, first.with_content) == (len(ids), 2, 2)
    assert first.manifest.spec.has_content
    index = backend.open()
    assert index is not None
    story = index.dense_vector(ids[0], using=CONTENT_VECTOR)
    assert story == pytest.approx(embedder.inner.embed_documents([stories[ids[0]]])[0], abs=1e-6)
    assert index.dense_vector(ids[2], using=CONTENT_VECTOR) is None  # no synopsis, no content vector
    title_vector = index.dense_vector(ids[0])
    # a content search finds only entries with a story; the other vectors still find the rest
    found = index.search(IndexQuery(dense=story, using=CONTENT_VECTOR, limit=10))
    assert [h.anime_id for h in found] == [ids[0], ids[1]]
    assert len(index.search(IndexQuery(dense=story, limit=100))) == len(ids)

    # the enrichment store filled one more synopsis and rewrote one: only those two texts are embedded
    embedder.texts.clear()
    changed = {**stories, ids[0]: "A boy finds a notebook that kills.", ids[3]: "A chef travels."}
    second = build_index(store, embedder, Bm25SparseEncoder(), backend, contents=changed)
    assert second.mode == "incremental"
    assert sorted(embedder.texts) == sorted([changed[ids[0]], changed[ids[3]]])
    assert (second.documents_embedded, second.contents_embedded, second.changed) == (0, 2, 2)
    index = backend.open()
    assert index is not None
    assert index.dense_vector(ids[0]) == pytest.approx(title_vector, abs=1e-6)  # read back, not re-embedded
    assert index.dense_vector(ids[3], using=CONTENT_VECTOR) is not None

    # a synopsis removed: the content vector goes, nothing is embedded; nothing changed: nothing switched
    embedder.texts.clear()
    del changed[ids[1]]
    third = build_index(store, embedder, Bm25SparseEncoder(), backend, contents=changed)
    assert (third.changed, embedder.texts) == (1, [])
    index = backend.open()
    assert index is not None
    assert index.dense_vector(ids[1], using=CONTENT_VECTOR) is None
    assert index.dense_vector(ids[1]) is not None
    fourth = build_index(store, embedder, Bm25SparseEncoder(), backend, contents=changed)
    assert (fourth.embedded, fourth.manifest.generation) == (0, third.manifest.generation)


def test_a_build_killed_between_documents_and_contents_resumes_with_the_contents(tmp_path: Path) -> None:
    metadata, lines = catalogue_lines()
    store = SqliteCatalogueStore(tmp_path / "store")
    ingest_file(write_slice(tmp_path / "c.jsonl", metadata, lines[::800]), [AodJsonlReader()], store)
    ids = [e.anime_id for e in store.entries()]
    stories = {anime_id: f"Story number {n}." for n, anime_id in enumerate(ids[:5])}
    embedder = CountingEmbedder(OnnxTextEmbedder(write_tiny_model(tmp_path / "tiny")))
    backend = edge(tmp_path)

    class Killed(Exception):
        pass

    def kill_at_contents(done: int, total: int) -> None:
        if done >= len(ids):  # every document is written, no content yet
            raise Killed

    with pytest.raises(Killed):
        build_index(
            store, embedder, Bm25SparseEncoder(), backend, contents=stories, progress=kill_at_contents
        )
    assert backend.manifest() is None  # nothing committed
    embedder.texts.clear()
    resumed = build_index(store, embedder, Bm25SparseEncoder(), backend, contents=stories)
    assert resumed.mode == "resumed"
    assert (resumed.documents_embedded, resumed.contents_embedded) == (0, 5)
    assert sorted(embedder.texts) == sorted(stories.values())
    index = backend.open()
    assert index is not None
    assert all(index.dense_vector(a, using=CONTENT_VECTOR) is not None for a in stories)
