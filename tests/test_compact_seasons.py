"""The season index's compact rows (core/seasons.py) answer exactly as the ``IndexedFacts`` they replaced:
for every season of real catalogue entries, every sort and a spread of filters, the same facts in the same
order as the facts of the season's entries filtered by ``SearchFilters.matches_facts`` and sorted."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import CATALOGUE, require_shared

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.seasons import SeasonIndex, SeasonSort

ENTRIES = 3000


def expected(
    entries: list[CatalogueEntry], year: int, season: Season, filters: SearchFilters, sort: SeasonSort
) -> list[IndexedFacts]:
    """The season as the docs of core/seasons.py define it, from each entry's own facts."""
    facts = [
        IndexedFacts.of(e)
        for e in entries
        if e.season.year == year and e.season.season is season and filters.matches_facts(IndexedFacts.of(e))
    ]

    def rank(f: IndexedFacts) -> tuple[float, float, str]:
        score = -1.0 if f.score is None else f.score
        if sort is SeasonSort.POPULARITY:
            return (-len(f.ids), -score, f.title.casefold())
        return (-score, -len(f.ids), f.title.casefold())

    return sorted(facts, key=rank)


@pytest.fixture(scope="module")
def entries() -> list[CatalogueEntry]:
    read = AodJsonlReader().read(require_shared(CATALOGUE), strict=True)
    return list(itertools.islice(read.entries, ENTRIES))


@pytest.fixture(scope="module")
def index(entries: list[CatalogueEntry]) -> SeasonIndex:
    return SeasonIndex(entries)


def seasons_of(entries: list[CatalogueEntry]) -> list[tuple[int, Season]]:
    found = {(e.season.year, e.season.season) for e in entries}
    return sorted((y, s) for y, s in found if y is not None and s is not Season.UNDEFINED)


def test_every_season_is_listed_as_before(entries: list[CatalogueEntry], index: SeasonIndex) -> None:
    seasons = seasons_of(entries)
    assert len(index) == sum(1 for e in entries if (e.season.year, e.season.season) in set(seasons)) > 1500
    for (year, season), sort in itertools.product(seasons, SeasonSort):
        assert index.season(year, season, sort=sort) == expected(entries, year, season, SearchFilters(), sort)
    assert index.season(1800, Season.FALL) == []


FILTERS = st.builds(
    SearchFilters,
    types=st.lists(st.sampled_from(list(AnimeType)), max_size=2),
    statuses=st.lists(st.sampled_from(list(Status)), max_size=2),
    tags=st.lists(st.sampled_from(["comedy", "action", "romance", "school", "drama"]), max_size=2),
    studios=st.lists(st.sampled_from(["sunrise", "toei animation", "madhouse", "j.c.staff"]), max_size=1),
    platforms=st.lists(st.sampled_from(["mal", "anilist", "kitsu", "anidb"]), max_size=2),
    min_score=st.one_of(st.none(), st.floats(min_value=0, max_value=10)),
)


@settings(max_examples=60, deadline=None)
@given(data=st.data(), filters=FILTERS, sort=st.sampled_from(list(SeasonSort)))
def test_filtered_seasons_are_listed_as_before(
    entries: list[CatalogueEntry],
    index: SeasonIndex,
    data: st.DataObject,
    filters: SearchFilters,
    sort: SeasonSort,
) -> None:
    year, season = data.draw(st.sampled_from(seasons_of(entries)))
    assert index.season(year, season, filters, sort=sort) == expected(entries, year, season, filters, sort)
