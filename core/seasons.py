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
import functools
from collections.abc import Iterable

from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform

ORDER = (Season.WINTER, Season.SPRING, Season.SUMMER, Season.FALL)
RECENT_SEASONS = 8  # seasons whose facts are kept unpacked


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
    """The catalogue's entries with a known season, grouped by (year, season).

    Held compactly (a server keeps it for its lifetime): one plain tuple per entry, tag and studio names
    shared between entries, the platform ids of an entry packed in one string (a third of the memory of
    ``IndexedFacts``). A season's facts are made again when it is asked (a few milliseconds for the largest
    seasons) and kept for the ``RECENT_SEASONS`` asked last."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        seasons: dict[tuple[int, Season], list[_Row]] = {}
        shared = _Shared()
        for entry in entries:
            season, year = entry.season.season, entry.season.year
            if year is None or season is Season.UNDEFINED:
                continue
            seasons.setdefault((year, season), []).append(_row(IndexedFacts.of(entry), shared))
        self._seasons = {key: tuple(found) for key, found in seasons.items()}
        self._facts = functools.lru_cache(maxsize=RECENT_SEASONS)(self._unpacked)

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
        found = self._facts(year, season)
        if filters is not None and not filters.is_empty():
            found = tuple(f for f in found if filters.matches_facts(f))
        return sorted(found, key=lambda facts: _rank(facts, sort))

    def _unpacked(self, year: int, season: Season) -> tuple[IndexedFacts, ...]:
        return tuple(_facts(row, year, season) for row in self._seasons.get((year, season), ()))


# anime_id, title, type, status, episodes, score, tags, studios, ids ("mal 1535 anilist 1": platform names
# and ids hold no spaces); the year and the season are the season's
_Row = tuple[str, str, AnimeType, Status, int, float | None, tuple[str, ...], tuple[str, ...], str]


def _row(facts: IndexedFacts, shared: _Shared) -> _Row:
    return (
        facts.anime_id,
        facts.title,
        facts.type,
        facts.status,
        facts.episodes,
        facts.score,
        shared.names(facts.tags),
        shared.names(facts.studios),
        " ".join(f"{platform.value} {pid}" for platform, pid in facts.ids.items()),
    )


class _Shared:
    """One copy of each tag and studio name, and of each tuple of them (most entries repeat a few)."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._tuples: dict[tuple[str, ...], tuple[str, ...]] = {}

    def names(self, names: tuple[str, ...]) -> tuple[str, ...]:
        found = tuple(self._names.setdefault(name, name) for name in names)
        return self._tuples.setdefault(found, found)


def _facts(row: _Row, year: int, season: Season) -> IndexedFacts:
    anime_id, title, type_, status, episodes, score, tags, studios, packed = row
    words = packed.split(" ") if packed else []
    return IndexedFacts(
        anime_id=anime_id,
        title=title,
        type=type_,
        status=status,
        season=season,
        year=year,
        episodes=episodes,
        score=score,
        tags=tags,
        studios=studios,
        ids={_platform(words[i]): words[i + 1] for i in range(0, len(words), 2)},
    )


@functools.lru_cache(maxsize=256)
def _platform(name: str) -> Platform:
    return Platform(name)  # validates its name each time: the same few dozen names, once each here
