"""Search as the domain sees it: filters, query modes, hits, and the errors of the search index.

``SearchFilters.matches`` is the reference meaning of every filter; the index adapters translate the same
filters into their engine's conditions, and the contract tests hold them to this predicate.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from attrs import field, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import PLATFORM_ALIASES, Platform


class SearchError(AnimeMcpError):
    """A search request or the search index cannot be used."""


class InvalidSearch(SearchError, ValueError):
    """A filter or option has an unusable value (bad range, unknown type, ...)."""


class IndexNotBuilt(SearchError):
    """No search index exists yet."""


class IndexModelMismatch(SearchError):
    """The index was built with another embedding model than the one configured now."""


class EmbedderError(AnimeMcpError):
    """An embedding model cannot be found, loaded or run."""


class SearchMode(enum.StrEnum):
    HYBRID = "hybrid"  # dense and sparse candidates fused with reciprocal rank fusion
    DENSE = "dense"
    SPARSE = "sparse"


_RANGE = re.compile(r"^\s*(?P<low>\d+(?:\.\d+)?)?\s*(?P<sep>-|\.\.)?\s*(?P<high>\d+(?:\.\d+)?)?\s*$")


@frozen
class IntRange:
    """Inclusive bounds; ``None`` leaves that side open."""

    low: int | None = None
    high: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.low is not None and self.high is not None and self.low > self.high:
            raise InvalidSearch(f"range {self.low}-{self.high} is empty: the lower bound is above the upper")

    @classmethod
    def parse(cls, text: str) -> IntRange:
        """``2000-2010``, ``2000..2010``, ``2000`` (exactly), ``2000-`` or ``-2010`` (open)."""
        found = _RANGE.match(text)
        if found is None or (found["low"] is None and found["high"] is None):
            raise InvalidSearch(f"{text!r} is not a range; write e.g. 2000-2010, 2000, 2000- or -2010")
        if any("." in part for part in (found["low"] or "", found["high"] or "")):
            raise InvalidSearch(f"{text!r}: a range of whole numbers is expected")
        low = int(found["low"]) if found["low"] is not None else None
        high = int(found["high"]) if found["high"] is not None else None
        if found["sep"] is None:
            high = low
        return cls(low, high)

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
        return self.matches_payload(index_payload(entry))

    def matches_payload(self, payload: Mapping[str, object]) -> bool:
        year = payload.get("year")
        episodes = payload.get("episodes")
        score = payload.get("score")
        tags = set(_strings(payload.get("tags")))
        checks = (
            self.years is None or self.years.contains(year if isinstance(year, int) else None),
            not self.seasons or payload.get("season") in {s.value for s in self.seasons},
            not self.types or payload.get("type") in {t.value for t in self.types},
            not self.statuses or payload.get("status") in {s.value for s in self.statuses},
            self.tags <= tags,
            not (self.exclude_tags & tags),
            not self.studios or bool(self.studios & set(_strings(payload.get("studios")))),
            self.episodes is None or self.episodes.contains(episodes if isinstance(episodes, int) else None),
            self.min_score is None or (isinstance(score, int | float) and score >= self.min_score),
            {p.value for p in self.platforms} <= set(_strings(payload.get("platforms"))),
            payload.get("anime_id") not in self.exclude_ids,
        )
        return all(checks)


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


def _float_tuple(values: Iterable[float]) -> tuple[float, ...]:
    return tuple(values)


@frozen
class SparseVector:
    """A sparse vector: sorted unique indices (u32) and their weights."""

    indices: tuple[int, ...] = field(converter=_int_tuple)
    values: tuple[float, ...] = field(converter=_float_tuple)

    def __attrs_post_init__(self) -> None:
        if len(self.indices) != len(self.values):
            raise ValueError("a sparse vector needs one value per index")

    def __len__(self) -> int:
        return len(self.indices)


@frozen
class SearchHit:
    anime_id: str
    relevance: float
    payload: Mapping[str, object] = field(factory=dict, eq=False)


def index_payload(entry: CatalogueEntry) -> dict[str, object]:
    """What the index stores beside the vectors: the filterable facts and the ids to show a hit."""
    ids = entry.ids()
    return {
        "anime_id": entry.anime_id,
        "title": entry.title,
        "type": entry.type.value,
        "status": entry.status.value,
        "season": entry.season.season.value,
        "year": entry.year,
        "episodes": entry.episodes,
        "score": round(entry.score.arithmetic_mean, 4) if entry.score else None,
        "tags": sorted({t.lower() for t in entry.tags}),
        "studios": sorted({s.lower() for s in entry.studios}),
        "platforms": sorted({p.value for p in ids}),
        "ids": {p.value: i for p, i in sorted(ids.items())},
    }


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], *, k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score = sum of 1 / (k + position), position from 0, as Qdrant computes it.

    The reference the index adapters are tested against; ties keep first-seen order.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _split(values: Iterable[str]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _enum_values(kind: type[enum.StrEnum], values: Iterable[str], what: str) -> frozenset[Any]:
    found = set()
    for value in _split(values):
        try:
            found.add(kind(value.upper()))
        except ValueError:
            choices = ", ".join(m.value for m in kind)
            raise InvalidSearch(f"unknown {what} {value!r}; choose from {choices}") from None
    return frozenset(found)


def parse_filters(
    *,
    years: str | None = None,
    seasons: Iterable[str] = (),
    types: Iterable[str] = (),
    statuses: Iterable[str] = (),
    tags: Iterable[str] = (),
    exclude_tags: Iterable[str] = (),
    studios: Iterable[str] = (),
    episodes: str | None = None,
    min_score: float | None = None,
    platforms: Iterable[str] = (),
) -> SearchFilters:
    """Filters from the strings people type (CLI options, query parameters); lists may be comma-separated."""
    platform_set = set()
    for name in _split(platforms):
        platform = PLATFORM_ALIASES.get(name.lower())
        if platform is None:
            raise InvalidSearch(
                f"unknown platform {name!r}; choose from {', '.join(p.value for p in Platform)}"
            )
        platform_set.add(platform)
    if min_score is not None and not 0 <= min_score <= 10:
        raise InvalidSearch(f"minimum score {min_score} is outside 0-10")
    return SearchFilters(
        years=IntRange.parse(years) if years else None,
        seasons=_enum_values(Season, seasons, "season"),
        types=_enum_values(AnimeType, types, "type"),
        statuses=_enum_values(Status, statuses, "status"),
        tags=_split(tags),
        exclude_tags=_split(exclude_tags),
        studios=studios_list if (studios_list := [s.strip() for s in studios if s.strip()]) else (),
        episodes=IntRange.parse(episodes) if episodes else None,
        min_score=min_score,
        platforms=platform_set,
    )


def notability(payload: Mapping[str, object]) -> float:
    """0.1-1.0: on how many platforms an anime has a page (a proxy for how widely it is known)."""
    platforms = payload.get("platforms")
    count = len(platforms) if isinstance(platforms, list | tuple) else 0
    return min(max(count, 1), 10) / 10


def rerank_by_notability(hits: Sequence[SearchHit], weight: float) -> list[SearchHit]:
    """Add ``weight * notability`` to each hit's relevance and re-sort (stable for equal scores).

    Among similar matches the widely known anime comes first ("high school volleyball" -> Haikyuu!!), while a
    clear title match keeps its lead: the prior is added to the fused score, not ranked against it.
    """
    if weight <= 0:
        return list(hits)
    boosted = [SearchHit(h.anime_id, h.relevance + weight * notability(h.payload), h.payload) for h in hits]
    return sorted(boosted, key=lambda h: -h.relevance)


def fuse_weighted(
    dense: Sequence[SearchHit],
    sparse: Sequence[SearchHit],
    *,
    dense_weight: float = 0.2,
    sparse_weight: float = 1.0,
    notability_weight: float = 0.35,
) -> list[SearchHit]:
    """Hybrid ranking: normalised lexical and semantic scores, weighted, plus the notability prior.

    - lexical: score / best lexical score, so the clearest title match is 1.0 even when it is the only one
      (rank fusion, or fusion by score distribution, gives a lone exact match an average score);
    - semantic: cosine rescaled to 0-1 between the worst and the best candidate;
    - notability: ``notability_weight * notability(payload)``, so among similar matches the widely known
      anime comes first while a clear title match keeps its lead.

    The weights were chosen on the judged queries (docs/benchmarks.md); the lexical side weighs more because
    the catalogue has titles and tags but no synopses for the dense model to understand.
    """
    scores: dict[str, float] = {}
    payloads: dict[str, Mapping[str, object]] = {}
    for hits, weight, normalise in ((sparse, sparse_weight, _by_best), (dense, dense_weight, _by_range)):
        for hit, value in zip(hits, normalise([h.relevance for h in hits]), strict=True):
            scores[hit.anime_id] = scores.get(hit.anime_id, 0.0) + weight * value
            payloads.setdefault(hit.anime_id, hit.payload)
    fused = [
        SearchHit(a, score + notability_weight * notability(payloads[a]), payloads[a])
        for a, score in scores.items()
    ]
    return sorted(fused, key=lambda h: (-h.relevance, h.anime_id))


def _by_best(values: Sequence[float]) -> list[float]:
    best = max(values, default=0.0)
    return [v / best if best > 0 else 0.0 for v in values]


def _by_range(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 1.0 for v in values]
