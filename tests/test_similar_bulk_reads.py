"""The bulk reads similar-anime makes, one call for many candidates: ``VectorIndex.facts`` and
``VectorIndex.scores`` on every index backend (the fake, Qdrant Edge, qdrant-client in memory; the poster
vectors on both real ones) and ``EnrichmentStore.get_many`` on the SQLite store.

Points carry real catalogue payloads and seeded random vectors; expectations are computed here by brute
force (numpy dot products, ``IndexedFacts.of``, one ``get`` per anime).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.enrichment_sqlite import IN_CHUNK, SqliteEnrichmentStore
from anime_mcp.core.enriched import GENRES, SCORE, SYNOPSIS, THEMES, StoredValue
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.vector_index import (
    CONTENT_VECTOR,
    DENSE_VECTOR,
    IMAGE_VECTOR,
    HnswSettings,
    ImageVectorStore,
    IndexPoint,
    IndexSpec,
    VectorIndex,
    VectorIndexBackend,
)

DIM, IMAGE_DIM = 8, 6
SPEC = IndexSpec(model="test-model", dimension=DIM, sparse_encoder="test-sparse")
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)


def _edge(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    return EdgeBackend(tmp_path / "index", hnsw=HnswSettings(exact=True))


def _server(tmp_path: Path) -> VectorIndexBackend:
    from qdrant_client import QdrantClient

    from anime_mcp.adapters.qdrant_server_index import ServerBackend

    return ServerBackend(QdrantClient(location=":memory:"), location=":memory:", alias="anime-bulk")


def _fake(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.testing import FakeIndexBackend

    return FakeIndexBackend(str(tmp_path / "index"))


BACKENDS: dict[str, Callable[[Path], VectorIndexBackend]] = {
    "fake": _fake,
    "qdrant-edge": _edge,
    "qdrant-server": _server,
}
WITH_POSTERS = ("qdrant-edge", "qdrant-server")


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    """80 real entries spread over the catalogue (types, years, tags, studios and platforms vary)."""
    metadata, lines = catalogue_lines()
    path = write_slice(tmp_path_factory.mktemp("slice") / "slice.jsonl", metadata, lines[::397][:80])
    return list(AodJsonlReader().read(path, strict=True).entries)


def unit(rng: np.random.Generator, count: int, dim: int) -> np.ndarray:
    vectors = rng.normal(size=(count, dim))
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def points(entries: list[CatalogueEntry]) -> list[IndexPoint]:
    rng = np.random.default_rng(5)
    dense, content = unit(rng, len(entries), DIM), unit(rng, len(entries), DIM)
    return [
        IndexPoint(
            e.anime_id,
            dense[i].tolist(),
            SparseVector([i % 11], [1.0]),
            IndexedFacts.of(e),
            f"fp-{i}",
            content=content[i].tolist() if i % 2 == 0 else None,  # half have a synopsis
        )
        for i, e in enumerate(entries)
    ]


def built(name: str, tmp_path: Path, points: list[IndexPoint]) -> tuple[VectorIndexBackend, VectorIndex]:
    backend = BACKENDS[name](tmp_path)
    writer = backend.new_generation(SPEC, resume=False)
    writer.upsert(points[:70])  # the last ten are not in the index
    writer.commit()
    index = backend.open()
    assert index is not None
    return backend, index


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_facts_come_back_as_they_were_indexed(
    name: str, tmp_path: Path, points: list[IndexPoint], entries: list[CatalogueEntry]
) -> None:
    _, index = built(name, tmp_path, points)
    wanted = [e.anime_id for e in entries[::3]] + ["mal-999999999"]
    found = index.facts(wanted)
    expected = {e.anime_id: IndexedFacts.of(e) for e in entries[:70] if e.anime_id in wanted}
    assert set(found) == set(expected)  # the unindexed and the unknown are left out
    assert found == expected
    assert index.facts([]) == {}


@pytest.mark.parametrize("name", sorted(BACKENDS))
def test_scores_are_the_exact_cosines_of_the_listed_entries(
    name: str, tmp_path: Path, points: list[IndexPoint]
) -> None:
    _, index = built(name, tmp_path, points)
    rng = np.random.default_rng(17)
    query = unit(rng, 1, DIM)[0]
    listed = [p.anime_id for p in points[::2]] + [p.anime_id for p in points[1:40:7]] + ["mal-999999999"]
    for using in (DENSE_VECTOR, CONTENT_VECTOR):
        found = index.scores(query.tolist(), listed, using=using)
        expected = {
            p.anime_id: float(np.dot(vector, query))
            for p in points[:70]
            if p.anime_id in listed and (vector := p.content if using == CONTENT_VECTOR else p.dense)
        }
        assert set(found) == set(expected), using  # no vector of that name, not indexed: left out
        for anime_id, score in expected.items():
            assert found[anime_id] == pytest.approx(score, abs=1e-5)
    assert index.scores(query.tolist(), []) == {}


@pytest.mark.parametrize("name", WITH_POSTERS)
def test_scores_of_poster_vectors(name: str, tmp_path: Path, points: list[IndexPoint]) -> None:
    backend, _ = built(name, tmp_path, points)
    assert isinstance(backend, ImageVectorStore)
    posters = unit(np.random.default_rng(23), 40, IMAGE_DIM)
    vectors = {p.anime_id: v.tolist() for p, v in zip(points[:40], posters, strict=True)}
    writer = backend.image_writer("clip-test", IMAGE_DIM)
    writer.upsert(vectors)
    writer.commit()
    index = backend.open()
    assert index is not None
    query = posters[3]
    listed = [p.anime_id for p in points[30:50]]  # ten with a poster, ten without
    found = index.scores(query.tolist(), listed, using=IMAGE_VECTOR)
    assert set(found) == {a for a in listed if a in vectors}
    for anime_id in found:
        assert found[anime_id] == pytest.approx(float(np.dot(vectors[anime_id], query)), abs=1e-5)
    assert index.dense_vector(points[3].anime_id, using=IMAGE_VECTOR) == pytest.approx(
        vectors[points[3].anime_id]
    )


def stored(anime_id: str, number: int) -> list[StoredValue]:
    return [
        StoredValue(GENRES, "mal", ["Action", f"Genre {number % 4}"], AT),
        StoredValue(THEMES, "anilist", [f"Theme {number % 3}"], AT),
        StoredValue(SYNOPSIS, "mal", f"The story of {anime_id}.", AT, language="en"),
        StoredValue(SCORE, "mal", {"score": 7.0 + number / 100}, AT),
    ]


def test_get_many_reads_what_get_reads_in_one_go(tmp_path: Path) -> None:
    store = SqliteEnrichmentStore(tmp_path)
    try:
        ids = [f"mal-{n}" for n in range(IN_CHUNK * 2 + 50)]  # more than one IN (...) chunk
        store.put((a, stored(a, n)) for n, a in enumerate(ids))
        asked = [*ids[::7], "mal-unknown", ids[0]]  # an unknown id and a repeated one
        found = store.get_many(asked)
        assert set(found) == set(ids[::7])
        for anime_id in ids[::7]:
            one = store.get(anime_id)
            assert one is not None
            assert sorted(found[anime_id].values, key=repr) == sorted(one.values, key=repr)
        terms = store.get_many(ids[:3], (GENRES, THEMES))
        assert {v.field for anime in terms.values() for v in anime.values} == {GENRES, THEMES}
        assert terms["mal-1"].terms() == ["Action", "Genre 1", "Theme 1"]
        assert store.get_many([]) == {}
        assert store.get_many(ids[:3], ("broadcast",)) == {}  # nothing stored of that field
    finally:
        store.close()
