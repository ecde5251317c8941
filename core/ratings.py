"""Ratings across platforms: each platform's score in its own scale, normalised to 0-10, side by side.

``rating_table(records, entry, missing=...)`` turns the ``score`` of each ``SourceRecord`` (a
``core.sources.Rating``: value, scale, votes) and the catalogue entry's aggregate into ``PlatformRating``s,
lists every platform that gave nothing as ``Missing`` with its reason, and summarises the platforms'
normalised values (``RatingSummary``). No value is ever invented or copied from another platform: a
platform without a score of its own is missing, never filled in.

**Scales** (``SCALES``, data): each platform's native range ``Scale(low, high)`` as the site states it.
**Normalisation** is the linear map ``value * 10 / high`` (the same as ``Rating.normalised``): it keeps
zero at zero and the top of every scale at 10, so each site's smallest vote lands on about 1 (MAL's 1/10,
Anime-Planet's half star of 5, Kitsu's 10 % half star, aniSearch's 0.1 of 5 -> 0.2) rather than being
stretched to 0 as a min-max map from ``low`` would do; ``low`` only bounds what counts as a valid value.
No non-linear map is used.

**Summary rules**: mean, median, min, max and the population standard deviation of the platforms'
normalised values; the vote-weighted mean over the platforms whose vote count is known and positive;
an outlier is a platform whose normalised value is more than ``outlier_distance`` (default 1.5) points
from the median. The catalogue's score is shown (``RatingTable.catalogue``) but kept out of the summary:
it is itself an aggregate of the platforms' scores and would count them twice.

One platform, one rating: when several records of the same platform are given, the newest one that has a
score is used (ties: the URL). AniDB has a permanent and a temporary rating; ``SourceRecord``'s ``Rating``
does not say which one the parser kept (the AniDB parser keeps the permanent one, the temporary one when there
is no permanent one), so ``PlatformRating.kind`` says exactly that.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from attrs import frozen

from anime_mcp.core.merging import CATALOGUE, CatalogueOrigin, Fetched, Provenance
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.sources import SourceRecord

DEFAULT_OUTLIER_DISTANCE = 1.5  # normalised points from the median


@frozen
class Scale:
    """A native rating range, ``low`` to ``high`` inclusive; normalised linearly as ``value * 10 / high``."""

    low: float
    high: float

    def __attrs_post_init__(self) -> None:
        if not (math.isfinite(self.low) and math.isfinite(self.high) and 0 <= self.low < self.high):
            raise ValueError(f"not a rating scale: {self.low}..{self.high}")

    def contains(self, value: float) -> bool:
        return math.isfinite(value) and self.low <= value <= self.high

    def normalise(self, value: float) -> float:
        """``value`` on 0-10; raises ``ValueError`` outside the scale."""
        if not self.contains(value):
            raise ValueError(f"{value} is outside the scale {self.low}..{self.high}")
        return round(min(10.0, value * 10.0 / self.high), 4)


# Each platform's native scale, as the site states it (and as the recorded pages in ../shared/fixtures show).
SCALES: Mapping[str, Scale] = MappingProxyType(
    {
        "mal": Scale(1.0, 10.0),
        "anilist": Scale(0.0, 100.0),  # averageScore, percent
        "kitsu": Scale(0.0, 100.0),  # averageRating, percent (votes are half stars: 10 % .. 100 %)
        "anidb": Scale(1.0, 10.0),
        "animeplanet": Scale(0.5, 5.0),  # stars
        "ann": Scale(1.0, 10.0),  # the weighted (bayesian) score
        "notify": Scale(0.0, 10.0),
        "simkl": Scale(1.0, 10.0),
        "livechart": Scale(1.0, 10.0),  # JSON-LD worstRating 1, bestRating 10
        "anisearch": Scale(0.1, 5.0),  # JSON-LD worstRating 0.1, bestRating 5
        "animeschedule": Scale(0.0, 100.0),
        CATALOGUE: Scale(1.0, 10.0),  # anime-offline-database's scoreRange
    }
)

# What each platform's figure is, where there is more than one kind of score on the site.
KINDS: Mapping[str, str] = MappingProxyType(
    {
        "anidb": "permanent (temporary when there is no permanent rating)",
        "ann": "weighted (bayesian) score",
        "kitsu": "average rating",
        "anilist": "average score",
        "notify": "overall",
        CATALOGUE: "arithmetic-geometric mean of the platforms' scores",
    }
)


@frozen
class PlatformRating:
    """One platform's score: native value and scale, vote count when known, 0-10 value, provenance."""

    source: str  # the platform id, or "catalogue"
    value: float
    scale: Scale
    normalised: float
    provenance: Provenance
    votes: int | None = None
    kind: str | None = None


@frozen
class Missing:
    """A platform with no score in the table, and why (given by the caller, or "no score on the page")."""

    platform: str
    reason: str


@frozen
class RatingSummary:
    """Statistics over the platforms' normalised values (the catalogue's aggregate excluded)."""

    count: int
    mean: float
    median: float
    minimum: float
    maximum: float
    stdev: float  # population standard deviation
    weighted_mean: float | None  # by vote count, over the platforms whose count is known and positive
    weighted_votes: int  # the votes behind ``weighted_mean``
    outliers: tuple[str, ...]  # platforms more than ``outlier_distance`` from the median
    outlier_distance: float = DEFAULT_OUTLIER_DISTANCE

    @property
    def spread(self) -> float:
        return round(self.maximum - self.minimum, 4)


@frozen
class RatingTable:
    """Every platform's rating (by platform id), the catalogue's, the missing ones and the summary."""

    ratings: tuple[PlatformRating, ...]
    missing: tuple[Missing, ...] = ()
    catalogue: PlatformRating | None = None
    summary: RatingSummary | None = None  # None when no platform has a rating

    def get(self, platform: str) -> PlatformRating | None:
        return next((r for r in self.ratings if r.source == platform), None)

    def reason(self, platform: str) -> str | None:
        """Why ``platform`` is missing, or ``None`` if it is not."""
        return next((m.reason for m in self.missing if m.platform == platform), None)


NO_SCORE = "no score on the page"


def platform_rating(item: SourceRecord | Fetched) -> PlatformRating | Missing:
    """The record's score as a ``PlatformRating``, or ``Missing`` when it has none or it is out of scale."""
    fetched = item if isinstance(item, Fetched) else Fetched(item)
    record = fetched.record
    source = record.platform_id.platform.value
    rating = record.score
    if rating is None:
        return Missing(source, NO_SCORE)
    known = SCALES.get(source)
    scale = known if known is not None and known.high == rating.scale else _scale_of(rating.scale)
    if scale is None or not scale.contains(rating.value):
        return Missing(source, f"score {rating.value} outside its scale (up to {rating.scale})")
    provenance = fetched.provenance()
    votes = rating.votes if rating.votes is not None and rating.votes >= 0 else None
    return PlatformRating(
        source, rating.value, scale, scale.normalise(rating.value), provenance, votes, KINDS.get(source)
    )


def _scale_of(high: float) -> Scale | None:
    """A scale the table does not list (a plugin's platform, another scale): 0 to the record's top."""
    try:
        return Scale(0.0, high)
    except ValueError:
        return None


def catalogue_rating(entry: CatalogueEntry, origin: CatalogueOrigin | None = None) -> PlatformRating | None:
    """The catalogue's aggregate score (its arithmetic-geometric mean), or ``None`` if it has none."""
    score = entry.score
    scale = SCALES[CATALOGUE]
    if score is None or not scale.contains(score.arithmetic_geometric_mean):
        return None
    value = score.arithmetic_geometric_mean
    provenance = (origin or CatalogueOrigin()).provenance()
    return PlatformRating(CATALOGUE, value, scale, scale.normalise(value), provenance, None, KINDS[CATALOGUE])


def summarise(
    ratings: Iterable[PlatformRating], *, outlier_distance: float = DEFAULT_OUTLIER_DISTANCE
) -> RatingSummary | None:
    """The statistics of ``ratings`` (see the module's rules), or ``None`` for none."""
    rows = sorted(ratings, key=lambda r: (r.source, r.provenance.url or ""))
    if not rows:
        return None
    values = [r.normalised for r in rows]
    median = statistics.median(values)
    mean = math.fsum(values) / len(values)
    # population deviation in floats: statistics.pstdev's exact fractions cost more than the whole table
    stdev = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / len(values))
    weighted = [(r.normalised, r.votes) for r in rows if r.votes]
    total = sum(votes for _, votes in weighted)
    weighted_mean = round(math.fsum(v * n for v, n in weighted) / total, 4) if total else None
    return RatingSummary(
        count=len(values),
        mean=round(mean, 4),
        median=round(median, 4),
        minimum=min(values),
        maximum=max(values),
        stdev=round(stdev, 4),
        weighted_mean=weighted_mean,
        weighted_votes=total,
        outliers=tuple(r.source for r in rows if abs(r.normalised - median) > outlier_distance),
        outlier_distance=outlier_distance,
    )


def _newest_first(item: Fetched) -> tuple[float, str]:
    moment = item.record.fetched_at
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return (-aware.timestamp(), item.record.url)


def rating_table(
    records: Iterable[SourceRecord | Fetched],
    entry: CatalogueEntry | None = None,
    *,
    missing: Iterable[Missing] = (),
    catalogue: CatalogueOrigin | None = None,
    outlier_distance: float = DEFAULT_OUTLIER_DISTANCE,
) -> RatingTable:
    """The ratings of ``records`` and ``entry``; ``missing`` names the platforms that were not asked or
    gave no answer, with the caller's reason ("no credentials", "not on that platform", "timed out").

    A platform that has a rating is never listed as missing; a platform missing twice keeps the caller's
    reason (the first one given).
    """
    items = sorted((r if isinstance(r, Fetched) else Fetched(r) for r in records), key=_newest_first)
    ratings: dict[str, PlatformRating] = {}
    absent: dict[str, Missing] = {}
    for m in missing:
        absent.setdefault(m.platform, m)
    record_missing: dict[str, Missing] = {}
    for item in items:
        found = platform_rating(item)
        if isinstance(found, PlatformRating):
            ratings.setdefault(found.source, found)
        else:
            record_missing.setdefault(found.platform, found)
    for platform, m in record_missing.items():
        absent.setdefault(platform, m)
    own = catalogue_rating(entry, catalogue) if entry is not None else None
    if entry is not None and own is None:
        absent.setdefault(CATALOGUE, Missing(CATALOGUE, "no score in the catalogue"))
    rows = tuple(ratings[p] for p in sorted(ratings))
    return RatingTable(
        ratings=rows,
        missing=tuple(absent[p] for p in sorted(absent) if p not in ratings),
        catalogue=own,
        summary=summarise(rows, outlier_distance=outlier_distance),
    )
