"""Several platforms' answers plus the catalogue entry become one answer, with provenance for every field.

``merge(records, entry)`` picks one value per field from the candidates (the catalogue entry and each
``SourceRecord`` that filled the field), by rules that are data: a ``MergePolicy`` holds one ``FieldRule``
per field, either a source priority list or "the newest ``fetched_at`` wins" (for live fields such as the
airing status and the streaming links). The chosen value carries its ``Provenance`` (source, URL,
fetched-at, from cache or live); every other candidate is kept as an ``Alternative`` so that callers can
show conflicts. Nothing here does I/O and the result does not depend on the order of the records: every
ordering ends with the source id, the URL and the value's ``repr``.

What is merged: the fields below in ``MERGED_FIELDS``. What is not: ``score``, ``rank`` and ``popularity``
are each platform's own figure (``core.ratings.RatingTable`` compares the scores side by side);
``cross_ids`` and ``relations`` are references, not facts to arbitrate.

Titles and synopses are kept *per source*, not per language: ``SourceRecord`` has ``title``, ``titles``
and ``synopsis`` without a language, so ``MergedAnime.titles`` and ``MergedAnime.synopses`` list each
source's texts with their provenance (the catalogue's ``synonyms`` count as its titles) and leave the
language to the caller.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from anime_mcp.core.models import CatalogueEntry, Season
from anime_mcp.core.sources import SourceRecord

T = TypeVar("T")

CATALOGUE = "catalogue"  # the source id of the catalogue entry (anime-offline-database)

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@frozen
class Provenance:
    """Where a value came from: the source id (a platform id, or ``"catalogue"``), the page, when."""

    source: str
    url: str | None = None
    fetched_at: dt.datetime | None = None
    from_cache: bool = False


@frozen
class Fetched:
    """A ``SourceRecord`` and whether it was served from a cache (``SourceRecord`` does not say)."""

    record: SourceRecord
    from_cache: bool = False


@frozen
class CatalogueOrigin:
    """Where the catalogue entry came from: the release URL and its date, when the caller knows them."""

    url: str | None = None
    fetched_at: dt.datetime | None = None
    from_cache: bool = False

    def provenance(self) -> Provenance:
        return Provenance(CATALOGUE, self.url, self.fetched_at, self.from_cache)


@frozen
class Alternative(Generic[T]):
    """A candidate value that lost, with where it came from."""

    value: T
    provenance: Provenance

    @property
    def source(self) -> str:
        return self.provenance.source


@frozen
class MergedField(Generic[T]):
    """The chosen value of one field, its provenance and the candidates that lost (best first)."""

    value: T
    provenance: Provenance
    alternatives: tuple[Alternative[T], ...] = ()

    @property
    def source(self) -> str:
        return self.provenance.source

    @property
    def conflict(self) -> bool:
        """Whether some other source gave a different value."""
        return any(alt.value != self.value for alt in self.alternatives)


@frozen
class SourceTexts:
    """One source's texts for a field kept per source (titles, a synopsis), with provenance."""

    provenance: Provenance
    texts: tuple[str, ...]

    @property
    def source(self) -> str:
        return self.provenance.source


@frozen
class FieldRule:
    """How one field is merged.

    ``priority``: the sources in order of preference; sources not listed come after the listed ones, by
    source id. ``newest_wins``: the candidate with the newest ``fetched_at`` wins (the priority list only
    breaks ties; a candidate without ``fetched_at``, such as a catalogue of unknown date, is the oldest).
    """

    priority: tuple[str, ...] = ()
    newest_wins: bool = False


def _rules(value: Iterable[tuple[str, FieldRule]]) -> tuple[tuple[str, FieldRule], ...]:
    return tuple(sorted(value, key=lambda pair: pair[0]))


@frozen
class MergePolicy:
    """Per-field ``FieldRule``s; a field without one follows ``default``."""

    rules: tuple[tuple[str, FieldRule], ...] = field(converter=_rules)
    default: FieldRule = FieldRule()

    def rule(self, name: str) -> FieldRule:
        for key, rule in self.rules:
            if key == name:
                return rule
        return self.default

    def with_rule(self, name: str, rule: FieldRule) -> MergePolicy:
        """A copy of this policy with ``name`` following ``rule``."""
        return MergePolicy(
            (*((k, r) for k, r in self.rules if k != name), (name, rule)), default=self.default
        )


# The catalogue aggregates every platform, so it comes first for identity; then the big databases.
IDENTITY_PRIORITY = (CATALOGUE, "mal", "anilist", "kitsu", "anidb", "ann", "notify", "simkl", "animeschedule")
# Sources whose synopses are written (or curated) for the site, not one-line blurbs; the catalogue has none.
SYNOPSIS_PRIORITY = ("anilist", "kitsu", "mal", "anidb", "ann", "simkl", "notify", "animeschedule")
# Genres: the sites with a curated genre list first.
GENRE_PRIORITY = ("anilist", "mal", "kitsu", "notify", "simkl", "animeschedule")
# Live fields: the newest answer wins; ties go to the sites that follow airing closely.
LIVE_PRIORITY = ("animeschedule", "anilist", "mal", "kitsu", "simkl", "anidb", "notify", CATALOGUE)

DEFAULT_POLICY = MergePolicy(
    (
        ("title", FieldRule(IDENTITY_PRIORITY)),
        ("type", FieldRule(IDENTITY_PRIORITY)),
        ("episodes", FieldRule(IDENTITY_PRIORITY)),
        ("season", FieldRule(IDENTITY_PRIORITY)),
        ("year", FieldRule(IDENTITY_PRIORITY)),
        ("start_date", FieldRule(IDENTITY_PRIORITY)),
        ("end_date", FieldRule(IDENTITY_PRIORITY)),
        ("duration_seconds", FieldRule(IDENTITY_PRIORITY)),
        ("picture", FieldRule(IDENTITY_PRIORITY)),
        ("studios", FieldRule(IDENTITY_PRIORITY)),
        ("tags", FieldRule(IDENTITY_PRIORITY)),
        ("genres", FieldRule(GENRE_PRIORITY)),
        ("synopsis", FieldRule(SYNOPSIS_PRIORITY)),
        ("status", FieldRule(LIVE_PRIORITY, newest_wins=True)),
        ("streaming", FieldRule(LIVE_PRIORITY, newest_wins=True)),
    ),
    default=FieldRule(IDENTITY_PRIORITY),
)


def _catalogue_value(name: str) -> Callable[[CatalogueEntry], object]:
    getters: dict[str, Callable[[CatalogueEntry], object]] = {
        "title": lambda e: e.title,
        "type": lambda e: e.type,
        "episodes": lambda e: e.episodes or None,  # AOD writes 0 for "unknown"
        "status": lambda e: e.status,
        "season": lambda e: e.season.season if e.season.season is not Season.UNDEFINED else None,
        "year": lambda e: e.season.year,
        "picture": lambda e: e.picture,
        "duration_seconds": lambda e: e.duration.seconds if e.duration is not None else None,
        "studios": lambda e: e.studios,
        "tags": lambda e: e.tags,
    }
    return getters.get(name, lambda e: None)


# The merged fields, in the order of ``MergedAnime``'s attributes.
MERGED_FIELDS = (
    "title",
    "type",
    "episodes",
    "status",
    "start_date",
    "end_date",
    "season",
    "year",
    "synopsis",
    "studios",
    "genres",
    "tags",
    "picture",
    "duration_seconds",
    "streaming",
)


@frozen
class MergedAnime:
    """One answer about an anime from every source at hand; ``None`` where no source gave a value."""

    title: MergedField[Any] | None = None
    type: MergedField[Any] | None = None
    episodes: MergedField[Any] | None = None
    status: MergedField[Any] | None = None
    start_date: MergedField[Any] | None = None
    end_date: MergedField[Any] | None = None
    season: MergedField[Any] | None = None
    year: MergedField[Any] | None = None
    synopsis: MergedField[Any] | None = None
    studios: MergedField[Any] | None = None
    genres: MergedField[Any] | None = None
    tags: MergedField[Any] | None = None
    picture: MergedField[Any] | None = None
    duration_seconds: MergedField[Any] | None = None
    streaming: MergedField[Any] | None = None
    titles: tuple[SourceTexts, ...] = ()  # every source's titles (title first), per source: no language known
    synopses: tuple[SourceTexts, ...] = ()  # every source's synopsis, per source: no language known
    sources: tuple[Provenance, ...] = ()  # every input, contributing or not

    def get(self, name: str) -> MergedField[Any] | None:
        """The merged field ``name`` (one of ``MERGED_FIELDS``)."""
        if name not in MERGED_FIELDS:
            raise KeyError(name)
        value: MergedField[Any] | None = getattr(self, name)
        return value

    def value(self, name: str) -> Any:
        """The chosen value of ``name``, or ``None``."""
        merged = self.get(name)
        return merged.value if merged is not None else None


def _empty(value: object) -> bool:
    """No answer: ``None``, an empty string or tuple, or an "unknown" enum member."""
    if value is None or value in ("", ()):
        return True
    return isinstance(value, enum.Enum) and value.value in {"UNKNOWN", "UNDEFINED"}


def _timestamp(moment: dt.datetime | None) -> float:
    if moment is None:
        return _EPOCH.timestamp()
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)).timestamp()


def _rank(rule: FieldRule, source: str) -> int:
    return rule.priority.index(source) if source in rule.priority else len(rule.priority)


def _order(rule: FieldRule, candidate: Alternative[Any]) -> tuple[Any, ...]:
    p = candidate.provenance
    by_priority = (_rank(rule, p.source), p.source, p.url or "", -_timestamp(p.fetched_at))
    tail = (p.from_cache, repr(candidate.value))  # live before cached, then the value: a total order
    return ((-_timestamp(p.fetched_at), *by_priority) if rule.newest_wins else by_priority) + tail


def _provenance(item: Fetched) -> Provenance:
    r = item.record
    return Provenance(r.platform_id.platform.value, r.url, r.fetched_at, item.from_cache)


def _inputs(records: Iterable[SourceRecord | Fetched]) -> list[Fetched]:
    items = [r if isinstance(r, Fetched) else Fetched(r) for r in records]
    return sorted(
        items, key=lambda i: (_order(FieldRule(), Alternative(None, _provenance(i))), repr(i.record))
    )


def merge_field(candidates: Iterable[Alternative[Any]], rule: FieldRule) -> MergedField[Any] | None:
    """The winner of ``candidates`` under ``rule`` with the others as alternatives; ``None`` if none."""
    ranked = sorted(candidates, key=lambda c: _order(rule, c))
    if not ranked:
        return None
    best, *rest = ranked
    return MergedField(best.value, best.provenance, tuple(rest))


def merge(
    records: Iterable[SourceRecord | Fetched],
    entry: CatalogueEntry | None = None,
    *,
    policy: MergePolicy = DEFAULT_POLICY,
    catalogue: CatalogueOrigin | None = None,
) -> MergedAnime:
    """Merge the records (``Fetched`` to say one came from a cache) and the catalogue entry."""
    items = _inputs(records)
    origin = (catalogue or CatalogueOrigin()).provenance()
    merged: dict[str, MergedField[Any] | None] = {}
    for name in MERGED_FIELDS:
        candidates: list[Alternative[Any]] = []
        if entry is not None:
            value = _catalogue_value(name)(entry)
            if not _empty(value):
                candidates.append(Alternative(value, origin))
        for item in items:
            value = getattr(item.record, name)
            if name in item.record.fields and not _empty(value):
                candidates.append(Alternative(value, _provenance(item)))
        merged[name] = merge_field(candidates, policy.rule(name))

    titles: list[SourceTexts] = []
    synopses: list[SourceTexts] = []
    if entry is not None:
        titles.append(SourceTexts(origin, _unique((entry.title, *entry.synonyms))))
    for item in items:
        record = item.record
        texts = _unique((record.title, *record.titles))
        if texts:
            titles.append(SourceTexts(_provenance(item), texts))
        if record.synopsis:
            synopses.append(SourceTexts(_provenance(item), (record.synopsis,)))
    sources = ((origin,) if entry is not None else ()) + tuple(_provenance(i) for i in items)
    return MergedAnime(**merged, titles=tuple(titles), synopses=tuple(synopses), sources=sources)


def _unique(texts: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            seen.setdefault(text, None)
    return tuple(seen)
