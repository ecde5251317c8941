"""The content lexical vector (the story's words) through indexing and search: built from the content texts,
kept in step incrementally (only entries whose text changed are written again), searched by story queries,
absent from older generations without breaking them; and the fusion weights that use it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.adapters.story_lexical import StoryBm25Encoder, StoryBm25Params
from anime_mcp.core.documents import LexicalField
from anime_mcp.core.filters import SearchMode
from anime_mcp.core.ranking import (
    HYBRID,
    STORY,
    STORY_WITHOUT_WORDS,
    SearchHit,
    fuse_weighted,
    hybrid_weights,
    story_weights,
)
from anime_mcp.core.search_errors import IndexModelMismatch
from anime_mcp.core.services.catalogue import ingest_file
from anime_mcp.core.services.indexing import build_index
from anime_mcp.core.services.search import SearchService
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.embedder import ModelInfo
from anime_mcp.ports.vector_index import (
    CONTENT_AVGDL_SETTING,
    CONTENT_FITTED_SETTING,
    CONTENT_LEXICAL_SETTING,
    CONTENT_LEXICAL_VECTOR,
    IndexQuery,
    VectorIndexBackend,
)
from anime_mcp.testing import FakeEmbedder, FakeIndexBackend


def edge(tmp_path: Path) -> VectorIndexBackend:
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    return EdgeBackend(tmp_path / "index")


def fake(tmp_path: Path) -> VectorIndexBackend:
    return FakeIndexBackend(str(tmp_path / "index"))


@pytest.fixture(params=[edge, fake], ids=["qdrant-edge", "fake"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> VectorIndexBackend:
    factory: Callable[[Path], VectorIndexBackend] = request.param
    return factory(tmp_path)


class CountingStory(StoryBm25Encoder):
    """The real story encoder, remembering which texts it made document vectors of."""

    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode_document(self, fields: Sequence[LexicalField]) -> SparseVector:
        self.encoded += [f.text for f in fields]
        return super().encode_document(fields)


@pytest.fixture
def store(tmp_path: Path) -> SqliteCatalogueStore:
    metadata, lines = catalogue_lines()
    catalogue = SqliteCatalogueStore(tmp_path / "store")
    ingest_file(write_slice(tmp_path / "c.jsonl", metadata, lines[::1500]), [AodJsonlReader()], catalogue)
    return catalogue


def service(
    store: SqliteCatalogueStore, backend: VectorIndexBackend, story: StoryBm25Encoder | None
) -> SearchService:
    embedder = FakeEmbedder()
    info = ModelInfo(embedder.name, embedder.dimension, "fake")
    return SearchService(
        store, backend.open(), Bm25SparseEncoder(), lambda: embedder, info, story_encoder=story
    )


def test_story_words_are_indexed_and_kept_in_step_incrementally(
    store: SqliteCatalogueStore, backend: VectorIndexBackend
) -> None:
    ids = [e.anime_id for e in store.entries()]
    stories = {
        ids[0]: "A student finds a notebook; whoever's name is written in it dies.",
        ids[1]: "Two pilots fight giant robots in space.",
        ids[2]: "A chef opens a restaurant in a fantasy world.",
    }
    story = CountingStory()
    first = build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents=stories, story_encoder=story
    )
    spec = first.manifest.spec
    assert spec.content_lexical == story.version
    assert spec.settings[CONTENT_LEXICAL_SETTING] == story.version
    assert spec.settings[CONTENT_AVGDL_SETTING] == pytest.approx(story.avgdl, abs=1e-3)
    index = backend.open()
    assert index is not None
    query = story.encode_query("someone kills with a notebook by writing names")
    found = index.search(IndexQuery(sparse=query, sparse_using=CONTENT_LEXICAL_VECTOR, limit=10))
    assert [h.anime_id for h in found] == [ids[0]]  # only entries with a story; the right one
    assert (
        index.search(IndexQuery(sparse=story.encode_query("robots"), sparse_using=CONTENT_LEXICAL_VECTOR))[
            0
        ].anime_id
        == ids[1]
    )

    # one story rewritten, one added: only those two are encoded again, with the avgdl of the first build
    story = CountingStory()
    changed = {**stories, ids[1]: "Two pilots race starships.", ids[3]: "A detective hunts a killer."}
    second = build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents=changed, story_encoder=story
    )
    assert second.mode == "incremental"
    assert sorted(set(story.encoded)) == sorted([changed[ids[1]], changed[ids[3]]])
    assert story.avgdl == pytest.approx(float(spec.settings[CONTENT_AVGDL_SETTING]))
    index = backend.open()
    assert index is not None
    words = IndexQuery(sparse=story.encode_query("robots"), sparse_using=CONTENT_LEXICAL_VECTOR)
    assert index.search(words) == []  # the old words went with the old story
    words = IndexQuery(sparse=story.encode_query("starships"), sparse_using=CONTENT_LEXICAL_VECTOR)
    assert [h.anime_id for h in index.search(words)] == [ids[1]]

    # a synopsis removed: its words go too
    del changed[ids[0]]
    build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents=changed, story_encoder=CountingStory()
    )
    index = backend.open()
    assert index is not None
    assert index.search(IndexQuery(sparse=query, sparse_using=CONTENT_LEXICAL_VECTOR, limit=10)) == []


def test_the_first_synopses_after_an_index_built_without_any_fit_the_story_statistics(
    store: SqliteCatalogueStore, backend: VectorIndexBackend
) -> None:
    """`ingest` (no synopsis known), then `enrich --dump`: the incremental update fits the average story
    length on the new texts, as a full build would, instead of keeping the empty fit's 1.0."""
    ids = [e.anime_id for e in store.entries()]
    first = build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents={}, story_encoder=StoryBm25Encoder()
    )
    assert first.manifest.spec.settings[CONTENT_FITTED_SETTING] == 0
    stories = {
        ids[0]: "A student finds a notebook; whoever's name is written in it dies at once.",
        ids[1]: "Two pilots fight giant robots in space to save the colonies.",
    }
    story = CountingStory()
    second = build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents=stories, story_encoder=story
    )
    assert second.mode == "incremental" and second.contents_embedded == 2
    full_fit = StoryBm25Encoder()
    full_fit.fit([LexicalField(text, 1.0)] for text in stories.values())
    settings = second.manifest.spec.settings
    assert full_fit.avgdl > 5
    assert settings[CONTENT_AVGDL_SETTING] == pytest.approx(full_fit.avgdl, abs=1e-3)
    assert settings[CONTENT_FITTED_SETTING] == 2
    assert story.avgdl == pytest.approx(full_fit.avgdl)  # the vectors written used it

    # from then on the statistics stay: a third story is written with them, and they are not refitted
    third = {**stories, ids[2]: "A chef opens a restaurant."}
    later = build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), backend, contents=third, story_encoder=StoryBm25Encoder()
    )
    assert later.manifest.spec.settings[CONTENT_AVGDL_SETTING] == settings[CONTENT_AVGDL_SETTING]
    assert later.manifest.spec.settings[CONTENT_FITTED_SETTING] == 2


def test_a_story_search_uses_the_words_and_older_indexes_still_search(
    store: SqliteCatalogueStore, tmp_path: Path
) -> None:
    ids = [e.anime_id for e in store.entries()]
    stories = {ids[4]: "A swordsman avenges his murdered clan.", ids[5]: "Idols sing at a festival."}
    told = "a young swordsman seeks revenge for the murder of his whole clan"
    with_words, without = FakeIndexBackend("with"), FakeIndexBackend("without")
    build_index(
        store,
        FakeEmbedder(),
        Bm25SparseEncoder(),
        with_words,
        contents=stories,
        story_encoder=StoryBm25Encoder(),
    )
    build_index(
        store, FakeEmbedder(), Bm25SparseEncoder(), without, contents=stories
    )  # built before the words
    assert without.manifest().spec.content_lexical is None  # type: ignore[union-attr]

    searched = service(store, with_words, StoryBm25Encoder())
    assert searched.story_encoder is not None
    assert searched.search(told, limit=3)[0].entry.anime_id == ids[4]
    assert searched.search(told, limit=3, mode=SearchMode.STORY)[0].entry.anime_id == ids[4]
    older = service(store, without, StoryBm25Encoder())
    assert older.story_encoder is None and len(older.search(told, limit=5)) == 5  # no words, still answers
    no_encoder = service(store, with_words, None)
    assert len(no_encoder.search(told, limit=5)) == 5
    with pytest.raises(IndexModelMismatch, match="story encoder"):
        service(store, with_words, StoryBm25Encoder(StoryBm25Params(b=0.5)))

    # another story encoder (or none) is another index: a full build, not an incremental update
    rebuilt = build_index(
        store,
        FakeEmbedder(),
        Bm25SparseEncoder(),
        without,
        contents=stories,
        story_encoder=StoryBm25Encoder(),
    )
    assert rebuilt.mode == "full" and rebuilt.manifest.spec.content_lexical is not None


def hits(*ids: str, scores: Sequence[float] = ()) -> list[SearchHit]:
    return [SearchHit(a, s, platform_count=5) for a, s in zip(ids, scores or [1.0] * len(ids), strict=True)]


def test_fusion_weighs_the_story_words_for_told_stories_only() -> None:
    assert hybrid_weights("death note") is HYBRID and HYBRID.story == 0  # title queries unchanged
    told = "a student finds a notebook that kills anyone whose name is written in it"
    assert hybrid_weights(told) is STORY and STORY.story > STORY.content > 0
    assert hybrid_weights(told, story_words=False) is STORY_WITHOUT_WORDS and STORY_WITHOUT_WORDS.story == 0
    assert story_weights() is STORY and story_weights(story_words=False) is STORY_WITHOUT_WORDS
    # the story side is normalised by its best score, and an entry without a synopsis still ranks
    fused = fuse_weighted(
        hits("a", "b"),
        hits("c", scores=[2.0]),
        (),
        hits("b", "d", scores=[6.0, 3.0]),
        dense_weight=0.1,
        sparse_weight=0.2,
        story_weight=1.0,
        notability_weight=0.0,
    )
    scores = {h.anime_id: round(h.relevance, 6) for h in fused}
    assert scores == {"b": 1.1, "d": 0.5, "c": 0.2, "a": 0.1}
    assert [h.anime_id for h in fused] == ["b", "d", "c", "a"]
    assert "b" not in {
        h.anime_id for h in fuse_weighted(hits("a"), hits("c"), (), hits("b"), story_weight=0.0)
    }
