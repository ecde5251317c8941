"""Search filters as the domain defines them: parsing what people type, and what each filter means."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Score, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.search import (
    IntRange,
    InvalidSearch,
    SearchFilters,
    SearchHit,
    fuse_weighted,
    notability,
    parse_filters,
    reciprocal_rank_fusion,
    rerank_by_notability,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-2010", IntRange(2000, 2010)),
        ("2006", IntRange(2006, 2006)),
        ("2015-", IntRange(2015, None)),
        ("-1999", IntRange(None, 1999)),
        (" 1 .. 26 ", IntRange(1, 26)),
    ],
)
def test_ranges(text: str, expected: IntRange) -> None:
    assert IntRange.parse(text) == expected


@pytest.mark.parametrize("text", ["", "-", "abc", "2010-2000", "1.5-3", "1-2-3"])
def test_bad_ranges_are_refused(text: str) -> None:
    with pytest.raises(InvalidSearch):
        IntRange.parse(text)


@given(st.integers(0, 3000), st.integers(0, 3000), st.integers(0, 3000))
def test_range_contains_is_inclusive(low: int, high: int, value: int) -> None:
    if low > high:
        low, high = high, low
    assert IntRange(low, high).contains(value) == (low <= value <= high)
    assert not IntRange(low, high).contains(None)


def test_parse_filters_accepts_what_the_cli_passes() -> None:
    filters = parse_filters(
        years="2000-2010",
        seasons=["fall"],
        types=["TV,movie"],
        statuses=["FINISHED"],
        tags=["Psychological"],
        exclude_tags=["kids", "hentai"],
        studios=["Madhouse"],
        episodes="1-26",
        min_score=7.5,
        platforms=["anilist", "myanimelist"],
    )
    assert filters == SearchFilters(
        years=IntRange(2000, 2010),
        seasons={Season.FALL},
        types={AnimeType.TV, AnimeType.MOVIE},
        statuses={Status.FINISHED},
        tags={"psychological"},
        exclude_tags={"kids", "hentai"},
        studios={"madhouse"},
        episodes=IntRange(1, 26),
        min_score=7.5,
        platforms={Platform.ANILIST, Platform.MAL},
    )
    assert parse_filters().is_empty()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"types": ["SERIES"]}, "unknown type 'SERIES'; choose from TV, MOVIE"),
        ({"seasons": ["autumn"]}, "unknown season 'autumn'"),
        ({"statuses": ["done"]}, "unknown status 'done'"),
        ({"platforms": ["crunchyroll"]}, "unknown platform 'crunchyroll'"),
        ({"min_score": 11.0}, "outside 0-10"),
        ({"years": "soon"}, "is not a range"),
    ],
)
def test_parse_filters_explains_bad_values(options: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidSearch, match=message):
        parse_filters(**options)  # type: ignore[arg-type]


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
    return SearchHit(anime_id, relevance, {"platforms": [f"p{i}" for i in range(platforms)]})


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
    assert notability({"platforms": ["mal"] * 12}) == 1.0
    assert notability({}) == 0.1
    hits = [hit("obscure", 0.80, 1), hit("known", 0.75, 10)]
    assert [h.anime_id for h in rerank_by_notability(hits, 0.1)] == ["known", "obscure"]
    assert rerank_by_notability(hits, 0.0) == hits
