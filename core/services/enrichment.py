"""Enrichment use case: the catalogue entry first, then the live sources that can add what it lacks, all at
once under one deadline, merged with provenance, rated side by side and honest about what is missing.

``enrich`` resolves the reference in the catalogue (through ``run_sync`` so a synchronous store does not
block the event loop), then plans which sources to ask:

- **named**: with ``only``, the sources not named are left out (not even listed);
- **capability**: a source is asked when it declares (``SourceInfo.fields``) a wanted field the catalogue
  does not give; a source named in ``only`` is asked for any wanted field it declares. ``score`` is never
  taken as given by the catalogue: its score is an aggregate, every platform's own is wanted;
- **credentials**: ``ready(source)`` false -> skipped, "no credentials" (the caller decides from its
  environment, e.g. ``SourceInfo.missing_credentials``);
- **a page**: the catalogue entry lists no page of the anime on the source's platform -> skipped, "not on
  that platform";
- **fallbacks**: a scraped source (``SourceKind.SCRAPE``, e.g. ``mal_web``) of a platform whose API source is
  asked waits: it is asked only if that API source fails in this request (within the same deadline), and is
  skipped, "not needed", when the API source answers. With no API source of the platform ready, it is
  asked like any other source.

The chosen sources are asked concurrently; every request shares one absolute deadline (``deadline`` seconds
from the start of the fan-out). Whatever arrived in time is kept; every source that did not contribute gets a
``SourceOutcome`` with its reason (``core.degradation``). A record served from a response cache
(``SourceRecord.cache``) contributes as cached, with its age and staleness: only cached answers make the
level ``cache_only``, a mix ``partial``.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Collection, Mapping, Set
from functools import cached_property
from typing import Any, TypeVar

import anyio
import structlog
from attrs import frozen

from anime_mcp.core.degradation import (
    NO_CREDENTIALS,
    NOT_ON_PLATFORM,
    Level,
    SourceOutcome,
    contributed,
    outcome_for_error,
    skipped,
    timed_out,
)
from anime_mcp.core.errors import SourceError
from anime_mcp.core.merging import (
    MERGED_FIELDS,
    TEXT_FIELDS,
    Fetched,
    MergedAnime,
    catalogue_filled,
    merge,
)
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, PlatformId, Platforms
from anime_mcp.core.progress import Progress, Stage, level_so_far, stages_of
from anime_mcp.core.ratings import Missing, RatingTable, rating_table
from anime_mcp.core.resolution import Resolution
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import RECORD_FIELDS, Source, SourceKind

T = TypeVar("T")
RunSync = Callable[..., Awaitable[Any]]
DEFAULT_DEADLINE = 3.0  # seconds, for all the sources of one request together
# What ``fields`` may name: the merged fields (characters and staff among them), each platform's own score,
# and every title and synopsis per language.
ENRICHABLE_FIELDS = frozenset(MERGED_FIELDS) | {"score", "titles", "synopses"}
# Asked for only by name: they cost sources a larger answer or more requests (MAL's Jikan, AniList).
ON_REQUEST_FIELDS = frozenset({"characters", "staff"})
DEFAULT_FIELDS = ENRICHABLE_FIELDS - ON_REQUEST_FIELDS  # what no ``fields`` means
NO_SOURCE_INSTALLED = "no source for that platform installed"
NOT_NEEDED = "not needed: the platform's API source answered"
Planned = tuple[Source, PlatformId, frozenset[str]]
log = structlog.get_logger("anime_mcp.enrichment")


@frozen
class Enrichment:
    """One enriched answer: the entry, what the sources gave, what each source did and the merged views."""

    entry: CatalogueEntry
    fields: frozenset[str]  # the fields wanted (``DEFAULT_FIELDS`` when none were named)
    records: tuple[Fetched, ...]
    outcomes: tuple[SourceOutcome, ...]  # one per source considered, by source id
    level: Level
    ratings: RatingTable
    deadline: float
    alternatives: tuple[CatalogueEntry, ...] = ()  # other entries a title reference also names

    @cached_property
    def anime_id(self) -> str:
        """The entry's internal id, worked out once (from all its pages): answers name it twice."""
        return self.entry.anime_id

    @cached_property
    def merged(self) -> MergedAnime:
        """Every merged field; titles and synopses per language when either is wanted."""
        return merge(self.records, self.entry, texts=self._texts)

    @cached_property
    def merged_wanted(self) -> MergedAnime:
        """The merged view of the wanted fields alone, the others ``None``: what an answer shows, without
        ranking the fields it does not (most of a repeat's time otherwise)."""
        return merge(self.records, self.entry, texts=self._texts, fields=self.fields)

    @property
    def _texts(self) -> bool:
        return not self.fields.isdisjoint(TEXT_FIELDS)

    def outcome(self, source: str) -> SourceOutcome | None:
        return next((o for o in self.outcomes if o.source == source), None)


# Hears an enrichment grow: offline, each source as it arrives, final (``enrich``'s ``progress``).
Listener = Callable[[Progress[Enrichment]], Awaitable[None]]


def catalogue_fields(entry: CatalogueEntry) -> frozenset[str]:
    """The merged fields the catalogue entry fills by itself."""
    return catalogue_filled(entry)


def _declared(source: Source) -> frozenset[str]:
    return source.info.fields & RECORD_FIELDS


def plan(
    entry: CatalogueEntry,
    sources: Mapping[str, Source],
    fields: Set[str],
    *,
    only: Collection[str] | None = None,
    ready: Callable[[Source], bool] | None = None,
) -> tuple[dict[str, tuple[Source, PlatformId, frozenset[str]]], list[SourceOutcome]]:
    """Which sources to ask (id -> source, page, fields to ask for) and the outcomes of those skipped."""
    wanted = frozenset(fields) or DEFAULT_FIELDS
    lacking = wanted - catalogue_fields(entry)
    pages = entry.ids()
    asked: dict[str, tuple[Source, PlatformId, frozenset[str]]] = {}
    left: list[SourceOutcome] = []
    for source_id in sorted(sources):
        source = sources[source_id]
        named = only is not None and source_id in only
        if only is not None and not named:
            continue
        useful = _declared(source) & (wanted if named else lacking)
        if not useful:
            missing = ", ".join(sorted(wanted if named else lacking)) or "anything the catalogue lacks"
            left.append(skipped(source_id, f"does not provide {missing}"))
            continue
        page = pages.get(source.info.platform)
        if page is None:
            left.append(skipped(source_id, NOT_ON_PLATFORM))
            continue
        if ready is not None and not ready(source):
            left.append(skipped(source_id, NO_CREDENTIALS))
            continue
        ask_for = _declared(source) & wanted if fields else frozenset[str]()  # none named: its default set
        asked[source_id] = (source, PlatformId(source.info.platform, page), ask_for)
    return asked, left


def hold_back_fallbacks(
    asked: Mapping[str, Planned],
) -> tuple[dict[str, Planned], dict[str, list[tuple[str, Planned]]]]:
    """The sources to ask at once, and the scraped sources held back for the API source (by id) of their
    platform that is asked: they stand by until that source fails."""
    api_of = {
        s.info.platform: sid for sid, (s, _, _) in sorted(asked.items()) if s.info.kind is SourceKind.API
    }
    at_once: dict[str, Planned] = {}
    standby: dict[str, list[tuple[str, Planned]]] = {}
    for source_id, planned in asked.items():
        api = api_of.get(planned[0].info.platform)
        if planned[0].info.kind is SourceKind.SCRAPE and api is not None:
            standby.setdefault(api, []).append((source_id, planned))
        else:
            at_once[source_id] = planned
    return at_once, standby


async def enrich(
    reference: str | Resolution,
    catalogue: Catalogue,
    sources: Mapping[str, Source],
    *,
    fields: Set[str] = frozenset(),
    only: Collection[str] | None = None,
    deadline: float = DEFAULT_DEADLINE,
    platforms: Platforms = BUILTIN_PLATFORMS,
    ready: Callable[[Source], bool] | None = None,
    run_sync: RunSync | None = None,
    enhance: bool = True,
    progress: Listener | None = None,
) -> Enrichment:
    """The catalogue entry of ``reference`` enriched by the sources (see the module's rules).

    ``only``: the source ids to consider (``None``: all). ``enhance=False`` asks no source: the catalogue's
    answer alone, at level ``full`` (nothing was wanted from the sources). Raises what ``lookup`` raises for
    a reference the catalogue does not know. A ``Resolution`` (the caller looked the reference up already,
    e.g. from its memory of earlier lookups) is used as it is.

    ``progress`` hears the answer grow (``core.progress``): the catalogue's answer before any source is
    asked, each source's outcome as it arrives (one at a time, in the order they arrive), then this answer.
    """
    if deadline <= 0 or not math.isfinite(deadline):
        raise ValueError(f"the deadline must be a positive number of seconds, not {deadline}")
    if isinstance(reference, Resolution):
        resolution = reference
    elif run_sync is not None:
        resolution = await run_sync(lookup, catalogue, reference, platforms)
    else:
        resolution = lookup(catalogue, reference, platforms)
    entry = resolution.entry
    wanted = frozenset(fields) or DEFAULT_FIELDS
    records: dict[str, Fetched] = {}
    outcomes: dict[str, SourceOutcome] = {}
    asked: Mapping[str, tuple[Source, PlatformId, frozenset[str]]] = {}
    standby: Mapping[str, list[tuple[str, Planned]]] = {}
    if enhance:
        planned, left = plan(entry, sources, fields, only=only, ready=ready)
        asked, standby = hold_back_fallbacks(planned)
        outcomes.update((o.source, o) for o in left)

    def answer_now() -> Callable[[], Enrichment]:
        """The answer from what has arrived until now, computed when called; its level counts the sources
        still awaited."""
        ordered = tuple(outcomes[s] for s in sorted(outcomes))
        kept = tuple(records[s] for s in sorted(records))
        pending = _pending(asked, outcomes)

        def compute() -> Enrichment:
            return Enrichment(
                entry=entry,
                fields=wanted,
                records=kept,
                outcomes=ordered,
                level=level_so_far(ordered, pending),
                ratings=rating_table(kept, entry, missing=_missing(entry, sources, ordered, only)),
                deadline=deadline,
                alternatives=resolution.alternatives,
            )

        return compute

    if progress is None:
        await _fan_out(asked, deadline, records, outcomes, standby=standby)
        return answer_now()()
    total = stages_of(len(asked))
    offline = Progress(Stage.OFFLINE, 1, total, pending=_pending(asked, outcomes), compute=answer_now())
    await progress(offline)
    # First come, first served: the stages reach the listener in the order they happened. A free lock is
    # taken without a trip through the event loop (``fast_acquire``): every remembered source of a repeat
    # takes it in turn, nobody waiting.
    lock = anyio.Lock(fast_acquire=True)
    told = 1  # the stages so far: offline

    async def arrived(source_id: str) -> None:
        nonlocal told
        told += 1  # the stage is taken the moment the source's outcome is in, before anything can wait
        pending = _pending(asked, outcomes)
        stage = Progress(Stage.SOURCE, told, total, outcomes[source_id], pending, compute=answer_now())
        async with lock:
            await progress(stage)

    await _fan_out(asked, deadline, records, outcomes, arrived, standby=standby)
    final = answer_now()()
    await progress(Progress(Stage.FINAL, total, total, compute=lambda: final))
    return final


def _pending(asked: Collection[str], outcomes: Mapping[str, SourceOutcome]) -> tuple[str, ...]:
    return tuple(sorted(s for s in asked if s not in outcomes))


async def _fan_out(
    asked: Mapping[str, tuple[Source, PlatformId, frozenset[str]]],
    deadline: float,
    records: dict[str, Fetched],
    outcomes: dict[str, SourceOutcome],
    arrived: Callable[[str], Awaitable[None]] | None = None,
    *,
    standby: Mapping[str, list[tuple[str, Planned]]] | None = None,
) -> None:
    """Ask every source at once under one deadline; a source that fails hands over to the sources standing
    by for it (``hold_back_fallbacks``), asked one after another within what is left of the deadline."""
    if not asked:
        return
    until = anyio.current_time() + deadline
    waiting = standby or {}

    def keep(source_id: str, record: SourceRecord) -> None:
        for fallback_id, _ in waiting.get(source_id, ()):
            outcomes[fallback_id] = skipped(fallback_id, NOT_NEEDED)
        cache = record.cache
        records[source_id] = Fetched(record, from_cache=cache is not None)
        outcomes[source_id] = contributed(
            source_id,
            from_cache=cache is not None,
            age_seconds=cache.age_seconds if cache else None,
            stale=cache.stale if cache else False,
        )

    async def ask(source_id: str, source: Source, pid: PlatformId, wanted: frozenset[str]) -> None:
        with anyio.CancelScope(deadline=until) as scope:
            try:
                record = await source.fetch(pid, wanted)
            except SourceError as error:
                outcomes[source_id] = outcome_for_error(source_id, error)
                for fallback_id, (fallback, fallback_pid, fallback_wanted) in waiting.get(source_id, ()):
                    await ask(fallback_id, fallback, fallback_pid, fallback_wanted)
                    if fallback_id in records:
                        break
                return
            except Exception as error:  # a plugin broke its promise of typed errors: one source lost
                log.exception("enrichment.source_crashed", source=source_id)
                outcomes[source_id] = SourceOutcome(
                    source_id, "failed", f"failed ({type(error).__name__})", detail=str(error) or None
                )
                return
            keep(source_id, record)
        if scope.cancelled_caught and source_id not in outcomes:
            outcomes[source_id] = timed_out(source_id, deadline)

    async def ask_and_tell(source_id: str, source: Source, pid: PlatformId, wanted: frozenset[str]) -> None:
        await ask(source_id, source, pid, wanted)
        if arrived is not None:  # outside the deadline's scope: telling is not asking
            await arrived(source_id)

    # Answers a source still remembers (a repeat within their cache lifetime) need no task, no I/O: taken
    # at once, so a fully remembered answer skips the task group (about a tenth of a repeat's time).
    left: dict[str, tuple[Source, PlatformId, frozenset[str]]] = {}
    for source_id, (source, pid, wanted) in asked.items():
        peek = getattr(source, "remembered", None)  # RemembersRecords, optional (a plain attribute check)
        record = peek(pid, wanted) if peek is not None else None
        if record is None:
            left[source_id] = (source, pid, wanted)
            continue
        keep(source_id, record)
        if arrived is not None:
            await arrived(source_id)
    if not left:
        return
    async with anyio.create_task_group() as group:
        for source_id, (source, pid, wanted) in left.items():
            group.start_soon(ask_and_tell, source_id, source, pid, wanted)
    for fallbacks in waiting.values():  # their API source ran out of time, and so did they
        for fallback_id, _ in fallbacks:
            outcomes.setdefault(fallback_id, timed_out(fallback_id, deadline))


def _missing(
    entry: CatalogueEntry,
    sources: Mapping[str, Source],
    outcomes: tuple[SourceOutcome, ...],
    only: Collection[str] | None,
) -> list[Missing]:
    """Each platform without a rating of its own, and why: the source's reason, or no source installed."""
    platform_of = {s: sources[s].info.platform.value for s in sources}
    missing = [Missing(platform_of.get(o.source, o.source), o.reason) for o in outcomes if o.reason]
    if only is None:
        installed = {source.info.platform for source in sources.values()}
        missing += [Missing(p.value, NO_SOURCE_INSTALLED) for p in entry.ids() if p not in installed]
    return missing
