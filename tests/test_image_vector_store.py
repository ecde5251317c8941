"""One contract for the poster vectors (``ImageVectorStore``) of both index adapters: the embedded Qdrant Edge
index (a sibling shard) and a Qdrant server (collections of their own, through qdrant-client's local mode).

Text points carry real catalogue payloads; poster vectors are seeded random unit vectors of another
dimension; every expectation is computed here by brute force (numpy dot products, ``matches_facts``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.search_errors import SearchError
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.vector_index import (
    IMAGE_VECTOR,
    HnswSettings,
    ImageVectorStore,
    IndexPoint,
    IndexQuery,
    IndexSpec,
    VectorIndex,
)

TEXT_DIM, IMAGE_DIM = 4, 6
SPEC = IndexSpec(model="text", dimension=TEXT_DIM, sparse_encoder="none")


def _edge(tmp_path: Path) -> ImageVectorStore:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    return EdgeBackend(tmp_path / "index", hnsw=HnswSettings(exact=True))


def _server(tmp_path: Path) -> ImageVectorStore:
    from qdrant_client import QdrantClient

    from anime_mcp.adapters.qdrant_server_index import ServerBackend

    return ServerBackend(QdrantClient(location=":memory:"), location=":memory:", alias="anime-test")


BACKENDS: dict[str, Callable[[Path], ImageVectorStore]] = {"qdrant-edge": _edge, "qdrant-server": _server}


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    """60 real entries spread over the catalogue (types and years vary, for the filters)."""
    metadata, lines = catalogue_lines()
    path = write_slice(tmp_path_factory.mktemp("slice") / "slice.jsonl", metadata, lines[::503][:60])
    return list(AodJsonlReader().read(path, strict=True).entries)


@pytest.fixture(scope="module")
def posters(entries: list[CatalogueEntry]) -> dict[str, list[float]]:
    rng = np.random.default_rng(11)
    vectors = rng.normal(size=(len(entries), IMAGE_DIM))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return {e.anime_id: v.tolist() for e, v in zip(entries, vectors, strict=True)}


def build_text(backend: object, entries: list[CatalogueEntry]) -> None:
    writer = backend.new_generation(SPEC, resume=False)  # type: ignore[attr-defined]
    writer.upsert(
        [
            IndexPoint(e.anime_id, [1.0, 0, 0, 0], SparseVector([1], [1.0]), IndexedFacts.of(e), f"fp{i}")
            for i, e in enumerate(entries)
        ]
    )
    writer.commit()


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path, entries: list[CatalogueEntry]) -> ImageVectorStore:
    backend = BACKENDS[request.param](tmp_path)
    build_text(backend, entries[:50])  # the last ten are not in the index
    return backend


def opened(store: ImageVectorStore) -> VectorIndex:
    index = store.open()  # type: ignore[attr-defined]
    assert index is not None
    return index  # type: ignore[no-any-return]


def brute(
    posters: dict[str, list[float]],
    entries: list[CatalogueEntry],
    query: list[float],
    filters: SearchFilters,
    limit: int,
) -> list[str]:
    eligible = [
        e.anime_id for e in entries if filters.matches_facts(IndexedFacts.of(e)) and e.anime_id in posters
    ]
    scores = {a: float(np.dot(posters[a], query)) for a in eligible}
    return sorted(scores, key=lambda a: -scores[a])[:limit]


def write(store: ImageVectorStore, vectors: dict[str, list[float]], model: str = "clip-a") -> int:
    writer = store.image_writer(model, IMAGE_DIM)
    try:
        stored = writer.upsert(vectors)
        writer.commit()
    except BaseException:
        writer.close()
        raise
    return stored


def test_nothing_written_yet_finds_nothing(store: ImageVectorStore, posters: dict[str, list[float]]) -> None:
    assert store.image_vectors() is None
    index = opened(store)
    assert index.search(IndexQuery(dense=next(iter(posters.values())), using=IMAGE_VECTOR)) == []
    assert index.dense_vector(next(iter(posters)), using=IMAGE_VECTOR) is None


def test_posters_are_searched_exactly_under_filters(
    store: ImageVectorStore, entries: list[CatalogueEntry], posters: dict[str, list[float]]
) -> None:
    half = {a: posters[a] for a in list(posters)[:40]}  # 40 with a poster; ten more not in the index
    stored = write(store, half | {e.anime_id: posters[e.anime_id] for e in entries[50:]})
    assert stored == 40  # entries the index does not hold are skipped
    info = store.image_vectors()
    assert info is not None and (info.model, info.dimension, info.points) == ("clip-a", IMAGE_DIM, 40)
    index = opened(store)
    kind = entries[0].type
    for filters in (SearchFilters(), SearchFilters(types=frozenset({kind}))):
        for probe in (0, 7, 33):
            query = posters[entries[probe].anime_id]
            hits = index.search(IndexQuery(dense=query, using=IMAGE_VECTOR, filters=filters, limit=10))
            assert [h.anime_id for h in hits] == brute(half, entries[:50], query, filters, 10)
    first = entries[0].anime_id
    assert index.search(IndexQuery(dense=posters[first], using=IMAGE_VECTOR, limit=1))[0].relevance == (
        pytest.approx(1.0, abs=1e-5)
    )
    np.testing.assert_allclose(index.dense_vector(first, using=IMAGE_VECTOR) or [], posters[first], atol=1e-6)
    assert index.dense_vector(entries[45].anime_id, using=IMAGE_VECTOR) is None  # no poster vector
    with pytest.raises(SearchError, match="index-images"):
        index.search(IndexQuery(dense=[0.5] * (IMAGE_DIM + 2), using=IMAGE_VECTOR))


def test_unfinished_writes_are_invisible_and_resumed(
    store: ImageVectorStore, posters: dict[str, list[float]]
) -> None:
    ids = list(posters)[:20]
    write(store, {a: posters[a] for a in ids[:5]})
    writer = store.image_writer("clip-a", IMAGE_DIM)
    assert writer.stored() == set(ids[:5])  # a new writer starts from the current poster vectors
    writer.upsert({a: posters[a] for a in ids[5:12]})
    writer.close()  # interrupted
    info = store.image_vectors()
    assert info is not None and info.points == 5
    assert len(opened(store).search(IndexQuery(dense=posters[ids[0]], using=IMAGE_VECTOR, limit=50))) == 5
    writer = store.image_writer("clip-a", IMAGE_DIM)
    assert writer.stored() == set(ids[:12])  # resumed
    writer.upsert({a: posters[a] for a in ids[12:]})
    assert writer.commit().points == 20


def test_another_model_starts_again(store: ImageVectorStore, posters: dict[str, list[float]]) -> None:
    ids = list(posters)[:10]
    write(store, {a: posters[a] for a in ids})
    writer = store.image_writer("clip-b", IMAGE_DIM)
    assert writer.stored() == set()
    writer.upsert({ids[0]: posters[ids[0]]})
    info = writer.commit()
    assert (info.model, info.points) == ("clip-b", 1)
    assert store.image_vectors() == info


def test_a_rebuilt_text_index_refreshes_the_copied_payloads(
    store: ImageVectorStore, entries: list[CatalogueEntry], posters: dict[str, list[float]]
) -> None:
    ids = [e.anime_id for e in entries[:10]]
    write(store, {a: posters[a] for a in ids})
    build_text(store, entries[1:50])  # the first entry is gone from the text index
    writer = store.image_writer("clip-a", IMAGE_DIM)
    writer.upsert({entries[10].anime_id: posters[entries[10].anime_id]})
    assert writer.commit().points == 10  # nine kept, one added, the one gone dropped
    found = opened(store).search(IndexQuery(dense=posters[ids[0]], using=IMAGE_VECTOR, limit=50))
    assert ids[0] not in {h.anime_id for h in found}
    kind = entries[1].type
    filters = SearchFilters(types=frozenset({kind}))
    filtered = opened(store).search(IndexQuery(dense=posters[ids[1]], using=IMAGE_VECTOR, filters=filters))
    assert filtered[0].anime_id == ids[1]
