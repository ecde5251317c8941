"""Anime seasons: the calendar (which season a date is in, the next one) and the catalogue's season lists.

Seasons are the industry's quarters: winter January-March, spring April-June, summer July-September, fall
October-December (AniList's and MAL's convention; the catalogue's ``animeSeason`` follows them).

``SeasonIndex`` is the catalogue's entries grouped by season, as the facts filters and sorting need
(``core.index_facts.IndexedFacts``): built once per catalogue, it answers a season with filters and a sort
in about a millisecond, without reading the entries again. Filters keep ``SearchFilters.matches_facts``'s
meaning. Sorts:

- ``score``: the catalogue score (the platforms' mean), unscored last;
- ``popularity``: the catalogue has no member counts, so offline popularity is how many platforms list the
  anime (``core.ranking.notability``'s proxy), then the score. Live members counts, when sources answered,
  are the service's business.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable

from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry, Season

ORDER = (Season.WINTER, Season.SPRING, Season.SUMMER, Season.FALL)


class SeasonSort(enum.StrEnum):
    SCORE = "score"
    POPULARITY = "popularity"


def season_of(day: dt.date) -> tuple[int, Season]:
    """The season ``day`` falls in."""
    return day.year, ORDER[(day.month - 1) // 3]


def next_season(year: int, season: Season) -> tuple[int, Season]:
    index = ORDER.index(season)
    return (year + 1, ORDER[0]) if index == len(ORDER) - 1 else (year, ORDER[index + 1])


def is_live(year: int, season: Season, today: dt.date) -> bool:
    """Whether the season is the current or the next one: the seasons live sources still change."""
    current = season_of(today)
    return (year, season) in (current, next_season(*current))


def _rank(facts: IndexedFacts, sort: SeasonSort) -> tuple[float, float, str]:
    score = facts.score if facts.score is not None else -1.0
    if sort is SeasonSort.POPULARITY:
        return (-len(facts.ids), -score, facts.title.casefold())
    return (-score, -len(facts.ids), facts.title.casefold())


class SeasonIndex:
    """The catalogue's entries with a known season, grouped by (year, season)."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        seasons: dict[tuple[int, Season], list[IndexedFacts]] = {}
        for entry in entries:
            season, year = entry.season.season, entry.season.year
            if year is None or season is Season.UNDEFINED:
                continue
            seasons.setdefault((year, season), []).append(IndexedFacts.of(entry))
        self._seasons = {key: tuple(found) for key, found in seasons.items()}

    def __len__(self) -> int:
        return sum(len(found) for found in self._seasons.values())

    def season(
        self,
        year: int,
        season: Season,
        filters: SearchFilters | None = None,
        *,
        sort: SeasonSort = SeasonSort.SCORE,
    ) -> list[IndexedFacts]:
        """The season's anime that pass ``filters``, best first by ``sort``."""
        found = self._seasons.get((year, season), ())
        if filters is not None and not filters.is_empty():
            found = tuple(f for f in found if filters.matches_facts(f))
        return sorted(found, key=lambda facts: _rank(facts, sort))
