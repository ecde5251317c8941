"""The embedded index keeps its payload indexes memory-mapped (Cold), so opening it does not first read them
all into RAM; the filtered searches answer exactly as with the in-RAM indexes of older builds, which keep
serving until the next generation, whose commit converts them.

Points carry the real payloads of catalogue entries (years, types, tags, studios, scores vary) and seeded
random vectors.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import qdrant_edge as qe
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.qdrant_common import PAYLOAD_INDEXES
from anime_mcp.adapters.qdrant_edge_images import IMAGES
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.core.filters import IntRange, SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.vector_index import HnswSettings, IndexPoint, IndexQuery, IndexSpec

DIM = 8
EXACT = HnswSettings(exact=True)
SPEC = IndexSpec(model="test-model", dimension=DIM, sparse_encoder="test-sparse", settings={"avgdl": 2.5})
# what the indexes were created with before they were Cold: the engine holds these in RAM
IN_RAM = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
}
# every kind of filter the app asks of the index (core.filters -> adapters.qdrant_common.conditions)
FILTERS = {
    "type": SearchFilters(types={AnimeType.MOVIE}),
    "types any": SearchFilters(types={AnimeType.TV, AnimeType.OVA}),
    "years": SearchFilters(years=IntRange(2000, 2010)),
    "open years": SearchFilters(years=IntRange(None, 1990)),
    "one year": SearchFilters(years=IntRange(2005, 2005)),
    "min score": SearchFilters(min_score=7.0),
    "tags all": SearchFilters(tags={"comedy", "school"}),
    "exclude tags": SearchFilters(exclude_tags={"comedy", "kids"}),
    "studios any": SearchFilters(studios={"toei animation", "sunrise", "madhouse"}),
    "status": SearchFilters(statuses={Status.FINISHED}),
    "season": SearchFilters(seasons={Season.FALL, Season.SPRING}),
    "platforms all": SearchFilters(platforms={Platform.ANILIST, Platform.KITSU}),
    "episodes": SearchFilters(episodes=IntRange(1, 13)),
    "combined": SearchFilters(
        types={AnimeType.TV}, years=IntRange(1990, None), min_score=6.5, exclude_tags={"hentai"}
    ),
}


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    metadata, lines = catalogue_lines()
    path = write_slice(tmp_path_factory.mktemp("slice") / "slice.jsonl", metadata, lines[::181][:200])
    return list(AodJsonlReader().read(path, strict=True).entries)


@pytest.fixture(scope="module")
def points(entries: list[CatalogueEntry]) -> list[IndexPoint]:
    rng = np.random.default_rng(11)
    dense = rng.normal(size=(len(entries), DIM))
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    return [
        IndexPoint(
            entry.anime_id,
            vector.tolist(),
            SparseVector(sorted({i % 7, 100 + i % 13}), [1.0 + (i % 5) / 10, 0.5]),
            IndexedFacts.of(entry),
            f"fp-{i}",
        )
        for i, (entry, vector) in enumerate(zip(entries, dense, strict=True))
    ]


def build(root: Path, points: list[IndexPoint]) -> EdgeBackend:
    """As ``[search] exact`` builds it (the embedded default): committed into one optimised segment."""
    backend = EdgeBackend(root, hnsw=EXACT)
    writer = backend.new_generation(SPEC)
    writer.upsert(points)
    writer.commit(catalogue_source="payload-memory-test")
    return backend


def shard_path(backend: EdgeBackend) -> Path:
    manifest = backend.manifest()
    assert manifest is not None
    return backend.root / manifest.generation / "shard"


def recreate_in_ram(shard_dir: Path) -> None:
    """Turns a shard's payload indexes into what older builds made: plain schema types, held in RAM."""
    shard = qe.EdgeShard.load(str(shard_dir))
    for field, kind in PAYLOAD_INDEXES.items():
        shard.update(qe.UpdateOperation.delete_field_index(field))
        shard.update(qe.UpdateOperation.create_field_index(field, IN_RAM[kind]))
    shard.optimize()
    shard.flush()
    shard.close()


def payload_schema(shard_dir: Path) -> dict[str, qe.PayloadIndexInfo]:
    shard = qe.EdgeShard.load(str(shard_dir))
    try:
        return dict(shard.info().payload_schema)
    finally:
        shard.close()


def assert_cold(shard_dir: Path) -> None:
    schema = payload_schema(shard_dir)
    assert set(schema) == set(PAYLOAD_INDEXES)
    for field, info in schema.items():
        assert info.params is not None and info.params.memory == qe.Memory.Cold, field
    for field in ("year", "episodes"):  # ranges are what the filters ask; lookup as before
        params = schema[field].params
        assert isinstance(params, qe.IntegerIndexParams)
        assert params.range is True and params.lookup is True


@pytest.fixture
def cold_and_in_ram(tmp_path: Path, points: list[IndexPoint]) -> Iterator[tuple[EdgeBackend, EdgeBackend]]:
    """The same index twice: as built now, and a copy whose payload indexes are what older builds made."""
    cold = build(tmp_path / "cold", points)
    shutil.copytree(cold.root, tmp_path / "in-ram")
    in_ram = EdgeBackend(tmp_path / "in-ram", hnsw=EXACT)
    recreate_in_ram(shard_path(in_ram))
    yield cold, in_ram


Ranked = list[tuple[float, frozenset[str]]]


def ranked(hits: list[SearchHit]) -> Ranked:
    """Hits as groups of equal score, best first: the engine orders a tie differently from one opening of
    the same shard to the next (fusion), so the order inside a group is no answer to compare."""
    groups: dict[float, set[str]] = {}
    for hit in hits:
        groups.setdefault(round(hit.relevance, 6), set()).add(hit.anime_id)
    return [(score, frozenset(groups[score])) for score in sorted(groups, reverse=True)]


def answers(backend: EdgeBackend, points: list[IndexPoint]) -> dict[str, list[Ranked]]:
    """Dense and hybrid hits under every filter, for three queries each; every point fits the limits, so no
    tie is cut by one."""
    index = backend.open()
    assert index is not None
    everything = len(points)
    found: dict[str, list[Ranked]] = {}
    try:
        for name, filters in FILTERS.items():
            found[name] = []
            for seed in range(3):
                query = np.random.default_rng(seed).normal(size=DIM).tolist()
                for sparse in (None, SparseVector([1, 2, 100], [1.0, 1.0, 1.0])):
                    asked = IndexQuery(
                        dense=query, sparse=sparse, filters=filters, limit=everything, candidates=everything
                    )
                    found[name].append(ranked(index.search(asked)))
        excluded = {points[0].anime_id, points[1].anime_id}
        unlike = SearchFilters(exclude_ids=excluded)
        found["exclude ids"] = [ranked(index.search(IndexQuery(dense=points[0].dense, filters=unlike)))]
    finally:
        index.close()
    return found


def test_a_new_index_holds_its_payload_indexes_memory_mapped(
    tmp_path: Path, points: list[IndexPoint]
) -> None:
    path = shard_path(build(tmp_path / "index", points))
    assert_cold(path)
    # what the engine wrote for the optimised segment: every index cold, its files memory-mapped
    configs = [json.loads(p.read_text()) for p in path.glob("segments/*/payload_index/config.json")]
    immutable = [
        c
        for c in configs
        if all(t["mutability"] == "immutable" for kinds in c["indexed_types"].values() for t in kinds)
    ]
    assert len(immutable) == 1, configs
    fields = immutable[0]["indexed_fields"]
    assert {f: fields[f]["memory"] for f in PAYLOAD_INDEXES} == dict.fromkeys(PAYLOAD_INDEXES, "cold")
    kinds = [t for held in immutable[0]["indexed_types"].values() for t in held]
    value_indexes = [t for t in kinds if t["index_type"] != "null_index"]
    assert value_indexes and all(t["storage_type"] == {"mmap": {"is_on_disk": True}} for t in value_indexes)


def test_filtered_hits_are_the_same_as_with_in_ram_indexes(
    cold_and_in_ram: tuple[EdgeBackend, EdgeBackend], points: list[IndexPoint]
) -> None:
    cold, in_ram = cold_and_in_ram
    assert all(info.params is None for info in payload_schema(shard_path(in_ram)).values())
    expected = answers(in_ram, points)
    assert answers(cold, points) == expected
    for name, filters in FILTERS.items():
        assert any(expected[name]), f"the sample has no entry for filter {name!r}: pick other values"
        held = {a for groups in expected[name] for _, ids in groups for a in ids}
        assert held == {p.anime_id for p in points if filters.matches_facts(p.facts)}, name
    kept = {a for _, ids in expected["exclude ids"][0] for a in ids}
    assert kept and not {points[0].anime_id, points[1].anime_id} & kept


def test_an_index_with_in_ram_payload_indexes_serves_unchanged_until_its_next_generation(
    cold_and_in_ram: tuple[EdgeBackend, EdgeBackend], points: list[IndexPoint]
) -> None:
    _, in_ram = cold_and_in_ram
    before = answers(in_ram, points)
    assert all(info.params is None for info in payload_schema(shard_path(in_ram)).values())  # opened as is
    unchanged = in_ram.next_generation()
    unchanged.abort()  # an update with nothing to write keeps the generation it copied
    assert all(info.params is None for info in payload_schema(shard_path(in_ram)).values())
    writer = in_ram.next_generation()
    writer.delete([points[-1].anime_id])
    writer.upsert([points[-1]])  # rewritten as it was: the same points
    writer.commit()
    assert_cold(shard_path(in_ram))
    assert answers(in_ram, points) == before


def poster_shard(backend: EdgeBackend) -> Path:
    images = backend.root / IMAGES
    return images / (images / "CURRENT").read_text(encoding="utf-8").strip() / "shard"


def test_the_poster_vectors_hold_their_payload_indexes_memory_mapped_too(
    tmp_path: Path, points: list[IndexPoint]
) -> None:
    """The poster shard (image search) is opened by the same processes: a new one is Cold, and a
    generation copied from one built with in-RAM indexes is converted when committed."""
    backend = build(tmp_path / "index", points)
    posters = {point.anime_id: [1.0, 0.0, 0.0, float(i % 7)] for i, point in enumerate(points[:40])}

    def write() -> None:
        writer = backend.image_writer("clip-test", 4)
        writer.upsert(posters)
        writer.commit()

    write()
    assert_cold(poster_shard(backend))
    recreate_in_ram(poster_shard(backend))
    assert payload_schema(poster_shard(backend))["tags"].params is None  # a plain type: held in RAM
    write()  # the same model: the shard is copied, then converted at commit
    assert_cold(poster_shard(backend))
