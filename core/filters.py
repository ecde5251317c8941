"""Search filters and query modes as the domain defines them.

``SearchFilters.matches`` is the reference meaning of every filter; the index adapters translate the same
filters into their engine's conditions, and the contract tests hold them to this predicate. Reading filters
from what people type (CLI options, tool arguments) is the entry points' business.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from attrs import field, frozen

from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.search_errors import InvalidSearch


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"  # dense, sparse and content candidates, fused by core.ranking.fuse_weighted
    DENSE = "dense"
    SPARSE = "sparse"
    STORY = "story"  # hybrid weighted to the content vector (synopses): "the one where ..." questions


@frozen
class IntRange:
    """Inclusive bounds; ``None`` leaves that side open."""

    low: int | None = None
    high: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InvalidSearch(f"range {self.low}-{self.high} is empty: the lower bound is above the upper")

    def contains(self, value: int | None) -> bool:
        if value is None:
            return False
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def __str__(self) -> str:
        return f"{'' if self.low is None else self.low}-{'' if self.high is None else self.high}"


def _lower_set(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values if v.strip())


def _seasons(values: Iterable[Season]) -> frozenset[Season]:
    return frozenset(values)


def _types(values: Iterable[AnimeType]) -> frozenset[AnimeType]:
    return frozenset(values)


def _statuses(values: Iterable[Status]) -> frozenset[Status]:
    return frozenset(values)


def _platforms(values: Iterable[Platform]) -> frozenset[Platform]:
    return frozenset(values)


def _ids(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@frozen
class SearchFilters:
    """Every filter a search or a similar-anime request can carry; empty ones do not filter.

    Within one filter the values are alternatives (``types={TV, MOVIE}``: either), except ``tags`` and
    ``platforms``, which all must hold. ``exclude_ids`` removes entries by internal anime id.
    """

    years: IntRange | None = None
    seasons: frozenset[Season] = field(default=frozenset(), converter=_seasons)
    types: frozenset[AnimeType] = field(default=frozenset(), converter=_types)
    statuses: frozenset[Status] = field(default=frozenset(), converter=_statuses)
    tags: frozenset[str] = field(default=frozenset(), converter=_lower_set)
    exclude_tags: frozenset[str] = field(default=frozenset(), converter=_lower_set)
    studios: frozenset[str] = field(default=frozenset(), converter=_lower_set)
    episodes: IntRange | None = None
    min_score: float | None = None
    platforms: frozenset[Platform] = field(default=frozenset(), converter=_platforms)
    exclude_ids: frozenset[str] = field(default=frozenset(), converter=_ids)

    def is_empty(self) -> bool:
        return self == SearchFilters()

    def matches(self, entry: CatalogueEntry) -> bool:
        """The reference meaning of the filters, applied to one catalogue entry."""
        return self.matches_facts(IndexedFacts.of(entry))

    def matches_facts(self, facts: IndexedFacts) -> bool:
        tags = set(facts.tags)
        checks = (
            self.years is None or self.years.contains(facts.year),
            not self.seasons or facts.season in self.seasons,
            not self.types or facts.type in self.types,
            not self.statuses or facts.status in self.statuses,
            self.tags <= tags,
            not (self.exclude_tags & tags),
            not self.studios or bool(self.studios & set(facts.studios)),
            self.episodes is None or self.episodes.contains(facts.episodes),
            self.min_score is None or (facts.score is not None and facts.score >= self.min_score),
            self.platforms <= set(facts.platforms),
            facts.anime_id not in self.exclude_ids,
        )
        return all(checks)
