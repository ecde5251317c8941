"""One contract for the VectorIndex adapters, the embedded Qdrant Edge shard and qdrant-client (in-memory),
and for the public fake (``anime_mcp.testing.FakeIndexBackend``), so the fake cannot drift from them.

Points carry the real payloads of catalogue entries and seeded random vectors; every expectation is computed
here by brute force (numpy dot products, ``SearchFilters.matches_facts``, ``reciprocal_rank_fusion``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.core.filters import IntRange, SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.ranking import SearchHit, reciprocal_rank_fusion
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.vector_index import (
    CONTENT_LEXICAL_VECTOR,
    CONTENT_VECTOR,
    DENSE_VECTOR,
    SPARSE_VECTOR,
    IndexPoint,
    IndexQuery,
    IndexSpec,
    VectorIndex,
    VectorIndexBackend,
)

DIM = 8
SPEC = IndexSpec(model="test-model", dimension=DIM, sparse_encoder="test-sparse", settings={"avgdl": 2.5})


def _edge(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    return EdgeBackend(tmp_path / "index")


def _edge_exact(tmp_path: Path) -> VectorIndexBackend:
    """The embedded index as ``[search] exact`` builds it (the default without a Qdrant URL): no graph."""
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
    from anime_mcp.ports.vector_index import HnswSettings

    return EdgeBackend(tmp_path / "index", hnsw=HnswSettings(exact=True))


def _server(tmp_path: Path) -> VectorIndexBackend:
    from qdrant_client import QdrantClient

    from anime_mcp.adapters.qdrant_server_index import ServerBackend

    return ServerBackend(QdrantClient(location=":memory:"), location=":memory:", alias="anime-test")


def _fake(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.testing import FakeIndexBackend

    return FakeIndexBackend(str(tmp_path / "index"))


BACKENDS: dict[str, Callable[[Path], VectorIndexBackend]] = {
    "fake": _fake,
    "qdrant-edge": _edge,
    "qdrant-edge-exact": _edge_exact,
    "qdrant-server": _server,
}


@pytest.fixture(params=sorted(BACKENDS))
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[VectorIndexBackend]:
    yield BACKENDS[request.param](tmp_path)


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    """200 real entries spread over the catalogue (so years, types, tags and scores vary)."""
    metadata, lines = catalogue_lines()
    path = write_slice(tmp_path_factory.mktemp("slice") / "slice.jsonl", metadata, lines[::181][:200])
    picked = list(AodJsonlReader().read(path, strict=True).entries)
    assert len({e.anime_id for e in picked}) == len(picked) == 200
    return picked


@pytest.fixture(scope="module")
def points(entries: list[CatalogueEntry]) -> list[IndexPoint]:
    rng = np.random.default_rng(3)
    dense = rng.normal(size=(len(entries), DIM))
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    content = rng.normal(size=(len(entries), DIM))
    content /= np.linalg.norm(content, axis=1, keepdims=True)
    made = []
    for i, (entry, vector) in enumerate(zip(entries, dense, strict=True)):
        features = sorted({i % 7, 100 + i % 13, 1000 + i % 29})
        sparse = SparseVector(features, [1.0 + (i % 5) / 10, 0.5, 0.25])
        story = content[i].tolist() if i % 3 == 0 else None  # a third of the entries have a synopsis
        words = (
            SparseVector(sorted({5000 + i % 11, 6000 + i % 4}), [1.0 + (i % 3) / 4, 0.5]) if story else None
        )
        made.append(
            IndexPoint(
                entry.anime_id,
                vector.tolist(),
                sparse,
                IndexedFacts.of(entry),
                f"fp-{i}",
                content=story,
                content_sparse=words,
            )
        )
    return made


def test_the_content_vector_finds_only_entries_with_one_exactly(
    index: VectorIndex, points: list[IndexPoint]
) -> None:
    rng = np.random.default_rng(11)
    with_story = [p for p in points if p.content is not None]
    for _ in range(5):
        query = rng.normal(size=DIM)
        query /= np.linalg.norm(query)
        for filters in (SearchFilters(), SearchFilters(types=frozenset({AnimeType.TV}))):
            hits = index.search(
                IndexQuery(dense=query.tolist(), using=CONTENT_VECTOR, filters=filters, limit=10)
            )
            eligible = [p for p in with_story if filters.matches_facts(p.facts)]
            expected = sorted(eligible, key=lambda p: -float(np.dot(p.content or [], query)))[:10]
            assert [h.anime_id for h in hits] == [p.anime_id for p in expected]
    first, bare = with_story[0], points[1]
    assert index.dense_vector(first.anime_id, using=CONTENT_VECTOR) == pytest.approx(first.content, abs=1e-6)
    assert index.dense_vector(bare.anime_id, using=CONTENT_VECTOR) is None
    assert index.dense_vector(bare.anime_id) == pytest.approx(bare.dense, abs=1e-6)


def test_the_content_lexical_vector_finds_only_entries_with_one_scored_with_idf(
    index: VectorIndex, points: list[IndexPoint]
) -> None:
    for query in (SparseVector([5000, 5003, 6001], [1.0, 1.0, 0.5]), SparseVector([5007], [1.0])):
        hits = index.search(IndexQuery(sparse=query, sparse_using=CONTENT_LEXICAL_VECTOR, limit=10))
        expected = brute_sparse(points, query, 10, using=CONTENT_LEXICAL_VECTOR)
        assert tie_groups(hits)[:-1] == tie_groups(expected)[:-1]  # the last group may be cut
        assert [h.relevance for h in hits] == pytest.approx([h.relevance for h in expected], rel=1e-4)
        assert all(h.anime_id in {p.anime_id for p in points if p.content_sparse} for h in hits)
    # the title lexical vector is another space: the story's features are not found there
    assert index.search(IndexQuery(sparse=SparseVector([5000], [1.0]), limit=10)) == []
    tv = SearchFilters(types=frozenset({AnimeType.TV}))
    query = SparseVector([5000, 5001, 5002, 6000], [1.0] * 4)
    filtered = index.search(
        IndexQuery(sparse=query, sparse_using=CONTENT_LEXICAL_VECTOR, filters=tv, limit=50)
    )
    assert filtered and all(
        p.facts.type is AnimeType.TV for p in points if p.anime_id in {h.anime_id for h in filtered}
    )


def test_a_writer_reads_back_the_vectors_it_holds(
    backend: VectorIndexBackend, points: list[IndexPoint]
) -> None:
    writer = backend.new_generation(SPEC)
    writer.upsert(points[:6])
    found = writer.vectors([points[0].anime_id, points[1].anime_id, "mal-does-not-exist"])
    assert set(found) == {points[0].anime_id, points[1].anime_id}
    assert found[points[0].anime_id][CONTENT_VECTOR] == pytest.approx(points[0].content, abs=1e-6)
    assert CONTENT_VECTOR not in found[points[1].anime_id]
    assert found[points[1].anime_id][DENSE_VECTOR] == pytest.approx(points[1].dense, abs=1e-6)
    writer.abort()


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, points: list[IndexPoint]
) -> Iterator[VectorIndex]:
    """One built index per backend, shared by the read-only tests."""
    opened = built(BACKENDS[request.param](tmp_path_factory.mktemp("built")), points).open()
    assert opened is not None
    yield opened
    opened.close()


def built(backend: VectorIndexBackend, points: list[IndexPoint]) -> VectorIndexBackend:
    writer = backend.new_generation(SPEC)
    writer.upsert(points[:120])
    writer.upsert(points[120:])
    writer.commit(catalogue_source="contract-test")
    return backend


def brute_dense(points: list[IndexPoint], query: np.ndarray, filters: SearchFilters, k: int) -> list[str]:
    eligible = [p for p in points if filters.matches_facts(p.facts)]
    scored = sorted(eligible, key=lambda p: -float(np.dot(p.dense, query)))
    return [p.anime_id for p in scored[:k]]


def brute_sparse(
    points: list[IndexPoint], query: SparseVector, k: int, using: str = SPARSE_VECTOR
) -> list[SearchHit]:
    """Qdrant's IDF over the points that have the vector ``using``."""
    named = {p.anime_id: p.sparse if using == SPARSE_VECTOR else p.content_sparse for p in points}
    points = [p for p in points if named[p.anime_id] is not None]
    n = len(points)
    df: dict[int, int] = {}
    for p in points:
        for index in named[p.anime_id].indices:  # type: ignore[union-attr]
            df[index] = df.get(index, 0) + 1

    def score(p: IndexPoint) -> float:
        own = named[p.anime_id]
        assert own is not None
        weights = dict(zip(own.indices, own.values, strict=True))
        return sum(
            v * weights.get(i, 0.0) * np.log(1 + (n - df.get(i, 0) + 0.5) / (df.get(i, 0) + 0.5))
            for i, v in zip(query.indices, query.values, strict=True)
        )

    scored = sorted((p for p in points if score(p) > 0), key=lambda p: (-score(p), p.anime_id))
    return [SearchHit(p.anime_id, score(p)) for p in scored[:k]]


def test_nothing_built_yet(backend: VectorIndexBackend) -> None:
    assert backend.manifest() is None
    assert backend.open() is None


def test_commit_publishes_a_manifest_and_all_points(
    backend: VectorIndexBackend, points: list[IndexPoint]
) -> None:
    built(backend, points)
    manifest = backend.manifest()
    assert manifest is not None
    assert (manifest.spec, manifest.points, manifest.catalogue_source, manifest.backend) == (
        SPEC,
        len(points),
        "contract-test",
        backend.name,
    )
    index = backend.open()
    assert index is not None
    assert index.count() == len(points)
    assert index.manifest == manifest


def test_dense_search_is_exact_nearest_neighbours(index: VectorIndex, points: list[IndexPoint]) -> None:
    rng = np.random.default_rng(11)
    for _ in range(5):
        query = rng.normal(size=DIM)
        hits = index.search(IndexQuery(dense=query.tolist(), limit=10))
        assert [h.anime_id for h in hits] == brute_dense(
            points, query / np.linalg.norm(query), SearchFilters(), 10
        )
        by_id = {p.anime_id: p for p in points}
        assert [h.platform_count for h in hits] == [len(by_id[h.anime_id].facts.platforms) for h in hits]
        assert hits[0].relevance >= hits[-1].relevance


def test_sparse_search_scores_with_idf(index: VectorIndex, points: list[IndexPoint]) -> None:
    query = SparseVector([3, 105, 1011], [1.0, 1.0, 1.0])
    hits = index.search(IndexQuery(sparse=query, limit=15))
    expected = brute_sparse(points, query, 15)
    assert [h.relevance for h in hits] == pytest.approx([h.relevance for h in expected], rel=1e-4)
    assert tie_groups(hits)[:-1] == tie_groups(expected)[:-1]  # equal scores may come in either order


def test_hybrid_is_reciprocal_rank_fusion_of_both(index: VectorIndex, points: list[IndexPoint]) -> None:
    dense = np.random.default_rng(5).normal(size=DIM).tolist()
    sparse = SparseVector([2], [1.0])
    dense_ranking = [h.anime_id for h in index.search(IndexQuery(dense=dense, limit=30))]
    sparse_ranking = [h.anime_id for h in index.search(IndexQuery(sparse=sparse, limit=30))]
    fused = index.search(IndexQuery(dense=dense, sparse=sparse, limit=10, candidates=30, fusion="rrf"))
    expected = reciprocal_rank_fusion([dense_ranking, sparse_ranking])
    assert [round(h.relevance, 6) for h in fused] == [round(score, 6) for _, score in expected[:10]]
    assert {h.anime_id for h in fused} <= {anime_id for anime_id, _ in expected[:12]}  # ties may swap


def test_both_backends_fuse_alike(tmp_path: Path, points: list[IndexPoint]) -> None:
    """Distribution-based score fusion has no simple reference: the two engines must agree."""
    edge, server = (
        built(BACKENDS[name](tmp_path / name), points).open() for name in ("qdrant-edge", "qdrant-server")
    )
    assert edge is not None and server is not None
    rng = np.random.default_rng(9)
    for features in ([1], [2, 105], [3, 1011, 6]):
        query = IndexQuery(
            dense=rng.normal(size=DIM).tolist(),
            sparse=SparseVector(features, [1.0] * len(features)),
            limit=10,
            candidates=len(points),  # every match on both sides: no candidate cut-off between equal scores
            fusion="dbsf",
        )
        a, b = edge.search(query), server.search(query)
        assert [h.relevance for h in a] == pytest.approx([h.relevance for h in b], abs=1e-4)
        assert tie_groups(a)[:-1] == tie_groups(b)[:-1]  # equal scores may come in either order
    edge.close()


def tie_groups(hits: list[SearchHit]) -> list[set[str]]:
    groups: dict[float, set[str]] = {}
    for hit in hits:
        groups.setdefault(round(hit.relevance, 4), set()).add(hit.anime_id)
    return [groups[key] for key in sorted(groups, reverse=True)]


FILTERS = {
    "years": SearchFilters(years=IntRange(2000, 2010)),
    "open years": SearchFilters(years=IntRange(None, 1990)),
    "season": SearchFilters(seasons={Season.FALL, Season.SPRING}),
    "type": SearchFilters(types={AnimeType.MOVIE}),
    "status": SearchFilters(statuses={Status.FINISHED}),
    "tags all": SearchFilters(tags={"comedy", "school"}),
    "exclude tags": SearchFilters(exclude_tags={"comedy", "kids"}),
    "studios any": SearchFilters(studios={"toei animation", "sunrise", "madhouse"}),
    "episodes": SearchFilters(episodes=IntRange(1, 13)),
    "min score": SearchFilters(min_score=7.0),
    "platforms all": SearchFilters(platforms={Platform.ANILIST, Platform.KITSU}),
    "combined": SearchFilters(
        types={AnimeType.TV}, years=IntRange(1990, None), min_score=6.5, exclude_tags={"hentai"}
    ),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_filters_mean_what_the_domain_says(index: VectorIndex, points: list[IndexPoint], name: str) -> None:
    filters = FILTERS[name]
    query = np.random.default_rng(len(name)).normal(size=DIM)
    expected = brute_dense(points, query / np.linalg.norm(query), filters, 20)
    assert expected, f"the sample has no entry for filter {name!r}: pick other values"
    hits = index.search(IndexQuery(dense=query.tolist(), filters=filters, limit=20))
    assert [h.anime_id for h in hits] == expected
    hybrid = index.search(
        IndexQuery(dense=query.tolist(), sparse=SparseVector([1, 2, 3], [1.0] * 3), filters=filters, limit=20)
    )
    facts = {p.anime_id: p.facts for p in points}
    assert all(filters.matches_facts(facts[h.anime_id]) for h in hybrid)


def test_exclude_ids(index: VectorIndex, points: list[IndexPoint]) -> None:
    query = points[0].dense
    first = index.search(IndexQuery(dense=query, limit=3))
    assert first[0].anime_id == points[0].anime_id
    excluded = {points[0].anime_id, first[1].anime_id}
    again = index.search(IndexQuery(dense=query, filters=SearchFilters(exclude_ids=excluded), limit=3))
    assert not excluded & {h.anime_id for h in again}


def test_stored_dense_vectors_come_back(index: VectorIndex, points: list[IndexPoint]) -> None:
    np.testing.assert_allclose(index.dense_vector(points[7].anime_id), points[7].dense, atol=1e-6)
    assert index.dense_vector("mal-999999999") is None


def test_an_uncommitted_generation_is_invisible_and_abort_keeps_the_old(
    backend: VectorIndexBackend, points: list[IndexPoint]
) -> None:
    built(backend, points[:50])
    before = backend.manifest()
    writer = backend.new_generation(SPEC, resume=False)
    writer.upsert(points)
    assert backend.manifest() == before
    index = backend.open()
    assert index is not None and index.count() == 50
    writer.abort()
    assert backend.manifest() == before
    index = backend.open()
    assert index is not None and index.count() == 50


def test_next_generation_starts_as_a_copy(backend: VectorIndexBackend, points: list[IndexPoint]) -> None:
    built(backend, points[:100])
    writer = backend.next_generation()
    assert writer.fingerprints() == {p.anime_id: p.fingerprint for p in points[:100]}
    writer.delete([points[0].anime_id, points[1].anime_id])
    writer.upsert(points[100:110])
    manifest = writer.commit()
    assert manifest.points == 108 == backend.open().count()  # type: ignore[union-attr]
    assert manifest.spec == SPEC


def test_an_unfinished_build_with_the_same_spec_is_resumed(
    backend: VectorIndexBackend, points: list[IndexPoint]
) -> None:
    writer = backend.new_generation(SPEC)
    writer.upsert(points[:30])
    writer.close()
    assert backend.manifest() is None
    resumed = backend.new_generation(SPEC)
    assert set(resumed.fingerprints()) == {p.anime_id for p in points[:30]}
    resumed.close()
    other = backend.new_generation(IndexSpec("other-model", DIM, "test-sparse"))
    assert other.fingerprints() == {}
    other.abort()
    fresh = backend.new_generation(SPEC, resume=False)
    assert fresh.fingerprints() == {}
    fresh.abort()


def test_old_generations_are_collected(backend: VectorIndexBackend, points: list[IndexPoint]) -> None:
    for size in (10, 20, 30):
        built(backend, points[:size])
    index = backend.open()
    assert index is not None and index.count() == 30
    if backend.name == "qdrant-edge":
        root = Path(backend.location)
        assert len(list(root.glob("gen-*"))) == 2  # the current one and the one before
    elif backend.name == "fake":
        assert len(backend.generations()) == 2  # type: ignore[attr-defined]
    else:
        client = backend.client  # type: ignore[attr-defined]
        assert len(client.get_collections().collections) == 2


def test_a_committed_embedded_index_is_served_from_memory_mapped_files(
    tmp_path: Path, points: list[IndexPoint]
) -> None:
    """Memory: the committed shard is one optimised segment whose vectors, sparse index and id tracker are
    memory-mapped (read through the page cache), not the appendable segment's heap copies; exact search
    builds no HNSW graph (m=0)."""
    import json

    backend = _edge_exact(tmp_path)
    manifest = built(backend, points).manifest()
    assert manifest is not None
    segments = [
        json.loads(path.read_text())["config"]
        for path in (tmp_path / "index" / manifest.generation).glob("shard/segments/*/segment.json")
    ]
    holding = [config for config in segments if config["vector_data"]["text"]["storage_type"] == "Mmap"]
    assert len(holding) == 1, segments
    assert holding[0]["vector_data"]["content"]["storage_type"] == "Mmap"
    assert holding[0]["vector_data"]["text"]["index"]["options"]["m"] == 0
    assert holding[0]["sparse_vector_data"]["lexical"]["index"]["index_type"] == "Mmap"
    assert holding[0]["id_tracker_memory"] == "cold"
    opened = backend.open()
    assert opened is not None and opened.count() == len(points)


def test_the_embedded_index_survives_reopening(tmp_path: Path, points: list[IndexPoint]) -> None:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    built(EdgeBackend(tmp_path / "index"), points)
    reopened = EdgeBackend(tmp_path / "index").open()
    assert reopened is not None
    assert reopened.count() == len(points)
    assert reopened.search(IndexQuery(dense=points[3].dense, limit=1))[0].anime_id == points[3].anime_id
    reopened.close()


def test_a_second_writer_is_refused_while_one_is_open(tmp_path: Path) -> None:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend, IndexBusy

    backend = EdgeBackend(tmp_path / "index")
    writer = backend.new_generation(SPEC)
    with pytest.raises(IndexBusy, match="another anime-mcp process is writing"):
        EdgeBackend(tmp_path / "index").new_generation(SPEC)
    writer.abort()
    backend.new_generation(SPEC).abort()  # the lock was released
