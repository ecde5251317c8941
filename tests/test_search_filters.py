"""Search filters and ranking as the domain defines them: what each filter means, how hits are fused.

Reading filters from what people type is tested in test_search_filter_grammar.py."""

from __future__ import annotations

import pytest
from attrs import evolve
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.core.documents import content_fingerprint
from anime_mcp.core.filters import IntRange, SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Score, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.ranking import (
    SearchHit,
    fuse_weighted,
    notability,
    reciprocal_rank_fusion,
    rerank_by_notability,
)
from anime_mcp.core.search_errors import InvalidSearch


@given(st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 3000))
def test_range_contains_is_inclusive(low: int, high: int, value: int) -> None:
    if low > high:
        low, high = high, low
    assert IntRange(low, high).contains(value) == (low <= value <= high)
    assert not IntRange(low, high).contains(None)


def test_an_empty_range_is_refused() -> None:
    with pytest.raises(InvalidSearch, match="is empty"):
        IntRange(2010, 2000)


ENTRY = CatalogueEntry(
    title="Death Note",
    sources=(PlatformId(Platform.MAL, "1535"), PlatformId(Platform.ANILIST, "1535")),
    type=AnimeType.TV,
    episodes=37,
    status=Status.FINISHED,
    season=AnimeSeason(Season.FALL, 2006),
    score=Score(8.5, 8.54, 8.5),
    studios=("madhouse",),
    tags=("mystery", "psychological", "thriller"),
)


@pytest.mark.parametrize(
    ("filters", "matches"),
    [
        (SearchFilters(), True),
        (SearchFilters(years=IntRange(2000, 2010)), True),
        (SearchFilters(years=IntRange(2007, None)), False),
        (SearchFilters(seasons={Season.FALL, Season.WINTER}), True),
        (SearchFilters(seasons={Season.SPRING}), False),
        (SearchFilters(types={AnimeType.MOVIE, AnimeType.TV}), True),
        (SearchFilters(types={AnimeType.MOVIE}), False),
        (SearchFilters(statuses={Status.ONGOING}), False),
        (SearchFilters(tags={"Mystery", "thriller"}), True),  # all of them, case-insensitive
        (SearchFilters(tags={"mystery", "comedy"}), False),
        (SearchFilters(exclude_tags={"comedy"}), True),
        (SearchFilters(exclude_tags={"comedy", "thriller"}), False),
        (SearchFilters(studios={"sunrise", "MADHOUSE"}), True),  # any of them
        (SearchFilters(studios={"sunrise"}), False),
        (SearchFilters(episodes=IntRange(1, 26)), False),
        (SearchFilters(episodes=IntRange(26, None)), True),
        (SearchFilters(min_score=8.5), True),
        (SearchFilters(min_score=8.6), False),
        (SearchFilters(platforms={Platform.MAL, Platform.ANILIST}), True),  # all of them
        (SearchFilters(platforms={Platform.MAL, Platform.KITSU}), False),
        (SearchFilters(exclude_ids={"mal-1535"}), False),
    ],
)
def test_what_each_filter_means(filters: SearchFilters, matches: bool) -> None:
    assert filters.matches(ENTRY) is matches


def test_entries_without_a_value_fail_a_filter_on_it() -> None:
    bare = CatalogueEntry(title="X", sources=(PlatformId(Platform.ANIDB, "1"),))
    assert not SearchFilters(years=IntRange(None, 3000)).matches(bare)
    assert not SearchFilters(min_score=0).matches(bare)
    assert SearchFilters(exclude_tags={"kids"}).matches(bare)


def test_reciprocal_rank_fusion_reference() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["c", "a"]], k=60)
    assert [key for key, _ in fused] == ["a", "c", "b"]
    assert fused[0][1] == pytest.approx(1 / 60 + 1 / 61)


def hit(anime_id: str, relevance: float, platforms: int) -> SearchHit:
    return SearchHit(anime_id, relevance, platform_count=platforms)


def test_weighted_fusion_normalises_each_side_and_adds_notability() -> None:
    sparse = [hit("exact", 30.0, 1), hit("partial", 15.0, 10)]
    dense = [hit("partial", 0.8, 10), hit("semantic", 0.6, 10), hit("exact", 0.4, 1)]
    fused = fuse_weighted(dense, sparse, dense_weight=0.5, sparse_weight=1.0, notability_weight=0.35)
    scores = {h.anime_id: h.relevance for h in fused}
    assert scores["exact"] == pytest.approx(1.0 + 0.0 + 0.035)
    assert scores["partial"] == pytest.approx(0.5 + 0.5 + 0.35)
    assert scores["semantic"] == pytest.approx(0.25 + 0.35)
    assert [h.anime_id for h in fused] == ["partial", "exact", "semantic"]


def test_a_lone_lexical_match_keeps_full_weight() -> None:
    fused = fuse_weighted(
        [hit("a", 0.5, 10), hit("b", 0.4, 10)], [hit("only", 2.0, 1)], notability_weight=0.35
    )
    assert fused[0].anime_id == "only"
    assert fuse_weighted([], []) == []


def test_notability_rerank() -> None:
    assert notability(12) == 1.0
    assert notability(0) == 0.1
    hits = [hit("obscure", 0.80, 1), hit("known", 0.75, 10)]
    assert [h.anime_id for h in rerank_by_notability(hits, 0.1)] == ["known", "obscure"]
    assert rerank_by_notability(hits, 0.0) == hits


def test_indexed_facts_are_normalised_once() -> None:
    facts = IndexedFacts.of(evolve(ENTRY, studios=("Madhouse",), tags=("Thriller", "mystery", "thriller")))
    assert (facts.tags, facts.studios) == (("mystery", "thriller"), ("madhouse",))
    assert facts.platforms == (Platform.ANILIST, Platform.MAL)
    assert (facts.type, facts.season, facts.year, facts.score) == (AnimeType.TV, Season.FALL, 2006, 8.54)


def test_fingerprints_of_existing_indexes_stay_valid() -> None:
    """Pinned values of document format doc-v2 (the content vector's): a refactoring that changed them
    would make the next update re-embed everything; a deliberate change bumps DOCUMENT_FORMAT instead."""
    entry = evolve(ENTRY, studios=("Madhouse",), tags=("Mystery", "psychological", "thriller"))
    assert content_fingerprint(entry) == "2b1b5b5cf94537826b6dfe29:"
    bare = CatalogueEntry(title="X", sources=(PlatformId(Platform.ANIDB, "1"),))
    assert content_fingerprint(bare) == "a65f56c2e47172f7a2932370:"
