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
``cross_ids`` and ``relations`` are references, not facts to arbitrate. Characters and staff are merged like
any field: the list of the best source by ``CREDITS_PRIORITY`` (AniDB, then AniList, then MAL ...), the
other sources' lists as alternatives.

Titles and synopses are kept *per language* (``MergedAnime.titles``, ``MergedAnime.synopses``): one
``LanguageTexts`` per BCP 47 tag, each text once with every source that gave it in that language (best
first, by the title or synopsis priority). Texts come from the records' ``localized_titles`` and
``synopses``; a record that states no languages (and the catalogue's title and synonyms) adds its texts
under ``und``, unless the same text is already known in some language.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections.abc import Callable, Collection, Iterable
from typing import Any, Generic, TypeVar

from attrs import field, frozen

from anime_mcp.core.languages import UNDETERMINED
from anime_mcp.core.models import CatalogueEntry, Season
from anime_mcp.core.sources import SourceRecord

T = TypeVar("T")

CATALOGUE = "catalogue"  # the source id of the catalogue entry (anime-offline-database)
TEXT_FIELDS = ("titles", "synopses")  # kept per language, not merged into one value

_EPOCH = dt.datetime(1, 1, 1, tzinfo=dt.UTC)


@frozen
class Provenance:
    """Where a value came from: the source id (a platform id, or ``"catalogue"``), the page, when; from a
    cache: how old the answer was and whether it was stale (served because the platform failed)."""

    source: str
    url: str | None = None
    fetched_at: dt.datetime | None = None
    from_cache: bool = False
    age_seconds: float | None = None
    stale: bool = False


@frozen
class Fetched:
    """A ``SourceRecord`` and whether it was served from a cache (also when the record says so itself, in
    ``SourceRecord.cache``, which gives the age)."""

    record: SourceRecord
    from_cache: bool = False

    def provenance(self) -> Provenance:
        r, cache = self.record, self.record.cache
        return Provenance(
            r.platform_id.platform.value,
            r.url,
            r.fetched_at,
            self.from_cache or cache is not None,
            cache.age_seconds if cache else None,
            cache.stale if cache else False,
        )


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
class SourcedText:
    """One text in one language, every source that gave it (best first) and how they rank it."""

    text: str
    provenance: tuple[Provenance, ...]
    kinds: tuple[str, ...] = ()  # "main", "official", "synonym", "short" ..., as the sources say, best first

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(p.source for p in self.provenance)


@frozen
class LanguageTexts:
    """The texts of one field (titles, synopses) in one language (a BCP 47 tag; ``und``: not stated)."""

    language: str
    texts: tuple[SourcedText, ...]


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
# Characters and staff: AniDB's credits are the most complete, then the big databases.
CREDITS_PRIORITY = ("anidb", "anilist", "mal", "ann", "kitsu", "notify", "simkl", "animeschedule")
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
        ("characters", FieldRule(CREDITS_PRIORITY)),
        ("staff", FieldRule(CREDITS_PRIORITY)),
        ("status", FieldRule(LIVE_PRIORITY, newest_wins=True)),
        ("streaming", FieldRule(LIVE_PRIORITY, newest_wins=True)),
    ),
    default=FieldRule(IDENTITY_PRIORITY),
)


# What the catalogue entry says for a merged field (AOD has no dates, synopsis, streaming ...).
_CATALOGUE_VALUES: dict[str, Callable[[CatalogueEntry], object]] = {
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


def _nothing(entry: CatalogueEntry) -> object:
    return None


def _catalogue_value(name: str) -> Callable[[CatalogueEntry], object]:
    return _CATALOGUE_VALUES.get(name, _nothing)


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
    "characters",
    "staff",
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
    characters: MergedField[Any] | None = None
    staff: MergedField[Any] | None = None
    titles: tuple[LanguageTexts, ...] = ()  # every title per language (tags sorted, ``und`` last)
    synopses: tuple[LanguageTexts, ...] = ()  # every synopsis per language
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


def catalogue_filled(entry: CatalogueEntry) -> frozenset[str]:
    """The merged fields the catalogue entry fills by itself (what ``merge((), entry)`` would fill)."""
    return frozenset(name for name in MERGED_FIELDS if not _empty(_catalogue_value(name)(entry)))


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


def _order(rule: FieldRule, p: Provenance) -> tuple[Any, ...]:
    """Where a value from ``p`` ranks under ``rule`` (smaller first); it depends on the provenance alone."""
    by_priority = (_rank(rule, p.source), p.source, p.url or "", -_timestamp(p.fetched_at))
    tail = (p.from_cache,)  # live before cached; ties then go by the value's repr (``_total``)
    return ((-_timestamp(p.fetched_at), *by_priority) if rule.newest_wins else by_priority) + tail


def _total(items: Iterable[T], key: Callable[[T], Any], tie: Callable[[T], str]) -> list[T]:
    """``items`` sorted by ``key``, items with equal keys by ``tie``: a total order that does not depend on
    the input order. ``tie`` (a ``repr``, costly for a record with 60 characters) runs only on ties."""
    listed = list(items)
    if len(listed) < 2:
        return listed
    keyed = sorted(((key(item), index) for index, item in enumerate(listed)), key=lambda pair: pair[0])
    result: list[T] = []
    start = 0
    while start < len(keyed):
        end = start + 1
        while end < len(keyed) and keyed[end][0] == keyed[start][0]:
            end += 1
        group = [listed[index] for _, index in keyed[start:end]]
        result.extend(sorted(group, key=tie) if len(group) > 1 else group)
        start = end
    return result


def _provenance(item: Fetched) -> Provenance:
    return item.provenance()


def _inputs(records: Iterable[SourceRecord | Fetched]) -> list[Fetched]:
    items = [r if isinstance(r, Fetched) else Fetched(r) for r in records]
    return _total(items, lambda i: _order(FieldRule(), _provenance(i)), lambda i: repr(i.record))


def merge_field(candidates: Iterable[Alternative[Any]], rule: FieldRule) -> MergedField[Any] | None:
    """The winner of ``candidates`` under ``rule`` with the others as alternatives; ``None`` if none."""
    return _merged([(_order(rule, c.provenance), c) for c in candidates])


def _rank_of(pair: tuple[tuple[Any, ...], Alternative[Any]]) -> tuple[Any, ...]:
    return pair[0]


def _merged(ranked: list[tuple[tuple[Any, ...], Alternative[Any]]]) -> MergedField[Any] | None:
    """``merge_field`` of candidates whose ranks are known already (each with its ``_order``)."""
    if not ranked:
        return None
    if len(ranked) > 1:
        ranked = sorted(ranked, key=_rank_of)
        if any(a[0] == b[0] for a, b in itertools.pairwise(ranked)):  # a tie (rare): by the values' repr
            ranked = _total(ranked, _rank_of, lambda pair: repr(pair[1].value))
    best = ranked[0][1]
    return MergedField(best.value, best.provenance, tuple(alt for _, alt in ranked[1:]))


def merge(
    records: Iterable[SourceRecord | Fetched],
    entry: CatalogueEntry | None = None,
    *,
    policy: MergePolicy = DEFAULT_POLICY,
    catalogue: CatalogueOrigin | None = None,
    texts: bool = True,
    fields: Collection[str] = MERGED_FIELDS,
) -> MergedAnime:
    """Merge the records (``Fetched`` to say one came from a cache) and the catalogue entry.

    ``texts=False`` leaves ``titles`` and ``synopses`` (per language) empty: grouping every title of every
    source costs more than all the other fields together, and most answers do not show them. ``fields``:
    the merged fields to merge, the others left ``None`` (an answer showing three fields need not rank
    seventeen)."""
    items = _inputs(records)
    provenances = [_provenance(item) for item in items]  # once per record, not once per field
    origin = (catalogue or CatalogueOrigin()).provenance()
    # Each input ranked once per rule (a handful of distinct rules for 17 fields): a rank depends on the
    # provenance alone, never on the value.
    ranks: dict[FieldRule, tuple[tuple[Any, ...], list[tuple[Any, ...]]]] = {}
    merged: dict[str, MergedField[Any] | None] = {}
    for name in MERGED_FIELDS:
        if name not in fields:
            merged[name] = None
            continue
        rule = policy.rule(name)
        known = ranks.get(rule)
        if known is None:
            known = ranks[rule] = (_order(rule, origin), [_order(rule, p) for p in provenances])
        origin_rank, record_ranks = known
        candidates: list[tuple[tuple[Any, ...], Alternative[Any]]] = []
        if entry is not None:
            value = _catalogue_value(name)(entry)
            if not _empty(value):
                candidates.append((origin_rank, Alternative(value, origin)))
        for item, provenance, rank in zip(items, provenances, record_ranks, strict=True):
            value = getattr(item.record, name)
            if name in item.record.fields and not _empty(value):
                candidates.append((rank, Alternative(value, provenance)))
        merged[name] = _merged(candidates)

    sources = ((origin,) if entry is not None else ()) + tuple(provenances)
    if not texts:
        return MergedAnime(**merged, titles=(), synopses=(), sources=sources)
    titles: list[_Said] = []
    synopses: list[_Said] = []
    if entry is not None:
        titles.append(_Said(origin, UNDETERMINED, entry.title, "main"))
        titles += [_Said(origin, UNDETERMINED, s, "synonym") for s in entry.synonyms]
    for item, provenance in zip(items, provenances, strict=True):
        titles += _record_titles(item.record, provenance)
        synopses += _record_synopses(item.record, provenance)
    return MergedAnime(
        **merged,
        titles=by_language(titles, policy.rule("title")),
        synopses=by_language(synopses, policy.rule("synopsis")),
        sources=sources,
    )


# --- titles and synopses per language ----------------------------------------------------------------------
# How the sources rank a title, best first; other words come after these, by name.
KIND_ORDER = ("main", "official", "synonym", "short")


@frozen
class _Said:
    """One source said ``text`` in ``language`` (``und``: it did not say which)."""

    provenance: Provenance
    language: str
    text: str
    kind: str | None = None


def _record_titles(record: SourceRecord, provenance: Provenance) -> list[_Said]:
    if "localized_titles" in record.fields and record.localized_titles:
        return [_Said(provenance, t.language, t.text, t.kind) for t in record.localized_titles]
    said = [_Said(provenance, UNDETERMINED, record.title, "main")] if record.title else []
    return said + [_Said(provenance, UNDETERMINED, t, "synonym") for t in record.titles if t]


def _record_synopses(record: SourceRecord, provenance: Provenance) -> list[_Said]:
    if "synopses" in record.fields and record.synopses:
        return [_Said(provenance, t.language, t.text, t.kind) for t in record.synopses]
    return [_Said(provenance, UNDETERMINED, record.synopsis)] if record.synopsis else []


_KIND_RANKS = {kind: (index, "") for index, kind in enumerate(KIND_ORDER)}


def _kind_rank(kind: str | None) -> tuple[int, str]:
    rank = _KIND_RANKS.get(kind) if kind is not None else None
    return rank if rank is not None else (len(KIND_ORDER), kind or "~")


def by_language(said: Iterable[_Said], rule: FieldRule) -> tuple[LanguageTexts, ...]:
    """Texts grouped by language, each text once with its sources best first (by ``rule``); a text said
    without a language is dropped when some source gave it a language. Languages sorted, ``und`` last.
    Within a language: the main title first, then official ones ...; within a kind, the best source's first.
    """
    said = [s for s in said if s.text.strip()]
    known = {s.text for s in said if s.language != UNDETERMINED}
    grouped: dict[tuple[str, str], list[_Said]] = {}
    for item in said:
        if item.language == UNDETERMINED and item.text in known:
            continue
        grouped.setdefault((item.language, item.text), []).append(item)
    orders: dict[int, tuple[Any, ...]] = {}  # a few records said every text: rank each record once

    def order(provenance: Provenance) -> tuple[Any, ...]:
        key = orders.get(id(provenance))
        if key is None:
            key = orders[id(provenance)] = _order(rule, provenance)
        return key

    languages: dict[str, list[tuple[tuple[Any, ...], SourcedText]]] = {}
    for (language, text), items in grouped.items():
        if len(items) == 1:  # most texts: said once (no ranking, no duplicates to drop)
            only = items[0]
            provenance: tuple[Provenance, ...] = (only.provenance,)
            kinds: tuple[str, ...] = (only.kind,) if only.kind else ()
        else:
            ranked = sorted(items, key=lambda s: (order(s.provenance), _kind_rank(s.kind)))
            provenance = tuple(dict.fromkeys(s.provenance for s in ranked))
            kinds = tuple(dict.fromkeys(s.kind for s in ranked if s.kind))
        best_kind = min(map(_kind_rank, kinds)) if kinds else _kind_rank(None)
        key = (best_kind, order(provenance[0]), text)
        languages.setdefault(language, []).append((key, SourcedText(text, provenance, kinds)))
    return tuple(
        LanguageTexts(language, tuple(t for _, t in sorted(texts, key=lambda pair: pair[0])))
        for language, texts in sorted(languages.items(), key=lambda pair: (pair[0] == UNDETERMINED, pair[0]))
    )
