"""The plan of a question: what is asked (intent), about which anime, under which filters, where, when."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from attrs import field, frozen

DEFAULT_LIMIT = 10  # results a plan asks for when the question names no count ("top 5")


class Intent(enum.StrEnum):
    LOOKUP = "lookup"  # one anime, by id, URL or title
    SEARCH = "search"  # anime matching filters and keywords
    SIMILAR = "similar"  # anime like the named ones
    RECOMMEND = "recommend"  # what to watch, no title to start from
    NARRATIVE = "narrative"  # "the one where ...": find an anime from a story remembered
    SEASONAL = "seasonal"  # what a season brings
    SCHEDULE = "schedule"  # what airs when
    STREAMING = "streaming"  # where to watch
    COMPARE = "compare"  # two anime, or one across platforms
    SOURCE_DETAIL = "source_detail"  # what one platform says
    NEWS = "news"
    CLARIFY = "clarify"  # a question to ask back


class SortOrder(enum.StrEnum):
    RELEVANCE = "relevance"
    SCORE = "score"
    POPULARITY = "popularity"
    TRENDING = "trending"
    NEWEST = "newest"


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


@frozen
class PlanTitle:
    text: str  # as the question wrote it
    anime_id: str | None  # the catalogue entry it names (None: not in the catalogue)
    title: str | None  # that entry's main title


def _titles(values: Iterable[PlanTitle]) -> tuple[PlanTitle, ...]:
    return tuple(values)


@frozen
class PlanFilters:
    year_min: int | None = None
    year_max: int | None = None
    season: str | None = None  # SPRING | SUMMER | FALL | WINTER
    types: tuple[str, ...] = field(default=(), converter=_strings)
    statuses: tuple[str, ...] = field(default=(), converter=_strings)
    include_tags: tuple[str, ...] = field(default=(), converter=_strings)  # all of
    any_tags: tuple[str, ...] = field(default=(), converter=_strings)  # at least one of
    exclude_tags: tuple[str, ...] = field(default=(), converter=_strings)  # none of
    studios: tuple[str, ...] = field(default=(), converter=_strings)
    episodes_min: int | None = None
    episodes_max: int | None = None
    score_min: float | None = None
    exclude_titles: tuple[str, ...] = field(default=(), converter=_strings)
    source_material: tuple[str, ...] = field(default=(), converter=_strings)

    def to_json(self) -> dict[str, Any]:
        return {
            "year_min": self.year_min,
            "year_max": self.year_max,
            "season": self.season,
            "types": list(self.types),
            "statuses": list(self.statuses),
            "include_tags": list(self.include_tags),
            "any_tags": list(self.any_tags),
            "exclude_tags": list(self.exclude_tags),
            "studios": list(self.studios),
            "episodes_min": self.episodes_min,
            "episodes_max": self.episodes_max,
            "score_min": self.score_min,
            "exclude_titles": list(self.exclude_titles),
            "source_material": list(self.source_material),
        }


@frozen
class QueryPlan:
    intent: Intent
    titles: tuple[PlanTitle, ...] = field(default=(), converter=_titles)
    filters: PlanFilters = PlanFilters()
    sources: tuple[str, ...] = field(default=(), converter=_strings)  # platform ids the question named
    fields: tuple[str, ...] = field(default=(), converter=_strings)  # what is asked: synopsis, score, ...
    platforms: tuple[str, ...] = field(default=(), converter=_strings)  # streaming services
    region: str | None = None  # ISO 3166-1 alpha-2
    date_from: str | None = None  # ISO dates, in ``timezone``
    date_to: str | None = None
    timezone: str = "UTC"  # IANA name
    language: str | None = None  # ISO 639-1
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = DEFAULT_LIMIT
    keywords: str | None = None  # what is left of the question to search for
    clarification: str | None = None  # the question to ask back (intent clarify)

    def to_json(self) -> dict[str, Any]:
        """The plan as ``anime-mcp plan --json`` prints it: every key, empty lists and nulls included."""
        return {
            "intent": self.intent.value,
            "titles": [{"text": t.text, "anime_id": t.anime_id, "title": t.title} for t in self.titles],
            "filters": self.filters.to_json(),
            "sources": list(self.sources),
            "fields": list(self.fields),
            "platforms": list(self.platforms),
            "region": self.region,
            "date_from": self.date_from,
            "date_to": self.date_to,
            "timezone": self.timezone,
            "language": self.language,
            "sort": self.sort.value,
            "limit": self.limit,
            "keywords": self.keywords,
            "clarification": self.clarification,
        }


@frozen
class ContextResult:
    """One anime a previous answer listed, in its order."""

    anime_id: str
    title: str


def _results(values: Iterable[ContextResult]) -> tuple[ContextResult, ...]:
    return tuple(values)


@frozen
class PlanContext:
    """What came before in the conversation: the last answer's results and plan."""

    results: tuple[ContextResult, ...] = field(default=(), converter=_results)
    previous: QueryPlan | None = None
