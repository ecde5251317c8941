"""Schedule use cases: the episodes airing in a range of days in a timezone (``airing_schedule``), and when
one anime's next episode airs (``next_episode``).

Sources are chosen by capability (``Capability.SCHEDULE`` declared and ``ScheduleProvider`` implemented),
never by id, and asked concurrently under one deadline: every day the window touches in UTC and in Japan
(``core.airing.days_to_ask``; a source whose timetables are weekly answers repeated days of one week from
its response cache). A day a source has no timetable for (``NotFound``) is an empty day, not a failure. A
source contributes when at least one of its days answered; the days that did not are listed as ``gaps`` with
their reason, and make a full answer ``partial``. Source ids map to catalogue entries through their
platform ids, else through a title that names exactly one catalogue entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import anyio
import structlog
from attrs import define, field, frozen

from anime_mcp.core.airing import (
    AnimeRef,
    Found,
    ScheduledEpisode,
    Window,
    ZoneOf,
    days_to_ask,
    merge_airings,
)
from anime_mcp.core.degradation import (
    NO_CREDENTIALS,
    Level,
    SourceOutcome,
    contributed,
    degradation_level,
    outcome_for_error,
    skipped,
    timed_out,
)
from anime_mcp.core.errors import NotFound, SourceError
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.references import normalise_title
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import Capability, ScheduleProvider, Source

RunSync = Callable[..., Awaitable[Any]]
DEFAULT_DEADLINE = 3.0
log = structlog.get_logger("anime_mcp.schedules")


@frozen
class Gap:
    """A day one source could not answer for, and why."""

    source: str
    day: dt.date
    kind: AirKind
    reason: str


@frozen
class Schedule:
    window: Window
    episodes: tuple[ScheduledEpisode, ...]
    outcomes: tuple[SourceOutcome, ...]
    gaps: tuple[Gap, ...]
    level: Level
    deadline: float


def schedule_sources(sources: Mapping[str, Source]) -> dict[str, Source]:
    """The sources that declare schedules and implement them."""
    return {
        sid: s
        for sid, s in sorted(sources.items())
        if s.info.supports(Capability.SCHEDULE) and isinstance(s, ScheduleProvider)
    }


@define
class _Asked:
    """What one source's days brought, filled in as they answer."""

    slots: list[tuple[AiringSlot, dt.datetime]] = field(factory=list)
    answered: int = 0
    gaps: list[Gap] = field(factory=list)
    error: SourceError | None = None  # the first failure, for the outcome when no day answered


async def collect(
    sources: Mapping[str, Source],
    days: Iterable[dt.date],
    kinds: Iterable[AirKind],
    *,
    deadline: float,
    now: Callable[[], dt.datetime],
    ready: Callable[[Source], bool] | None = None,
) -> tuple[list[Found], list[SourceOutcome], list[Gap]]:
    """Every schedule source asked for every day and kind at once, under one deadline."""
    days, kinds = list(days), list(kinds)
    outcomes: dict[str, SourceOutcome] = {}
    asked: dict[str, _Asked] = {}
    chosen = schedule_sources(sources)
    for sid, source in chosen.items():
        if ready is not None and not ready(source):
            outcomes[sid] = skipped(sid, NO_CREDENTIALS)
    until = anyio.current_time() + deadline

    async def ask(sid: str, provider: Any) -> None:
        result = asked[sid] = _Asked()

        async def one(day: dt.date, kind: AirKind) -> None:
            try:
                slots = await provider.schedule(day=day, kind=kind)
            except NotFound:
                slots = []  # no timetable for that week: nothing airs in it, as far as the source knows
            except SourceError as error:
                outcome = outcome_for_error(sid, error)
                result.gaps.append(Gap(sid, day, kind, outcome.reason or "failed"))
                result.error = result.error or error
                return
            except Exception as error:  # a plugin broke its promise of typed errors: that day is lost
                log.exception("schedule.source_crashed", source=sid)
                result.gaps.append(Gap(sid, day, kind, f"failed ({type(error).__name__})"))
                return
            fetched = now()
            result.slots.extend((slot, fetched) for slot in slots)
            result.answered += 1

        with anyio.CancelScope(deadline=until) as scope:
            async with anyio.create_task_group() as group:
                for day in days:
                    for kind in kinds:
                        group.start_soon(one, day, kind)
        if scope.cancelled_caught and not result.answered:
            outcomes[sid] = timed_out(sid, deadline)
        elif scope.cancelled_caught:
            result.gaps.append(Gap(sid, days[-1], kinds[-1], f"timed out after {deadline:g} s"))

    async with anyio.create_task_group() as group:
        for sid, source in chosen.items():
            if sid not in outcomes:
                group.start_soon(ask, sid, source)
    found: list[Found] = []
    gaps: list[Gap] = []
    for sid, result in sorted(asked.items()):
        gaps += sorted(result.gaps, key=lambda g: (g.day, g.kind.value))
        if sid in outcomes:
            continue
        if result.answered:
            outcomes[sid] = contributed(sid)
            found += [Found(sid, slot, fetched) for slot, fetched in _distinct(result.slots)]
        elif result.error is not None:
            outcomes[sid] = outcome_for_error(sid, result.error)
        else:
            outcomes[sid] = SourceOutcome(sid, "failed", "failed")
    return found, [outcomes[s] for s in sorted(outcomes)], gaps


def _level(outcomes: list[SourceOutcome], gaps: list[Gap]) -> Level:
    """The outcomes' level; a source that missed days makes a full answer partial."""
    level = degradation_level(outcomes)
    return Level.PARTIAL if gaps and level is Level.FULL else level


def _distinct(slots: list[tuple[AiringSlot, dt.datetime]]) -> list[tuple[AiringSlot, dt.datetime]]:
    """One of each slot: repeated days of one weekly timetable give the same slots again."""
    seen: dict[AiringSlot, dt.datetime] = {}
    for slot, fetched in slots:
        seen.setdefault(slot, fetched)
    return list(seen.items())


def map_to_catalogue(catalogue: Catalogue, slots: Iterable[AiringSlot]) -> dict[PlatformId, AnimeRef]:
    """Each slot's platform id -> its catalogue entry, by platform id, else by a title naming one entry.
    Synchronous (catalogue reads): run it in a worker thread."""
    found: dict[PlatformId, AnimeRef] = {}
    for slot in slots:
        if slot.platform_id in found:
            continue
        entry = catalogue.by_platform_id(slot.platform_id)
        if entry is None:
            key = normalise_title(slot.title)
            matches = catalogue.by_title_key(key) if key else []
            entry = matches[0].entry if len(matches) == 1 else None
        if entry is not None:
            found[slot.platform_id] = anime_ref(entry)
    return found


def anime_ref(entry: CatalogueEntry) -> AnimeRef:
    return AnimeRef(entry.anime_id, entry.title, entry.type, frozenset(t.lower() for t in entry.tags))


async def airing_schedule(
    sources: Mapping[str, Source],
    catalogue: Catalogue,
    window: Window,
    *,
    kind: AirKind | None = None,
    zone_of: ZoneOf,
    now: Callable[[], dt.datetime],
    deadline: float = DEFAULT_DEADLINE,
    ready: Callable[[Source], bool] | None = None,
    run_sync: RunSync | None = None,
) -> Schedule:
    """The airings inside ``window`` from every schedule source, merged; ``kind`` asks the sources for that
    version (none: each source's default, the subbed timetable where a source has several)."""
    kinds = [kind] if kind is not None else [AirKind.SUB]
    found, outcomes, gaps = await collect(
        sources, days_to_ask(window), kinds, deadline=deadline, now=now, ready=ready
    )
    slots = [f.slot for f in found]
    if run_sync is not None:
        anime_of = await run_sync(map_to_catalogue, catalogue, slots)
    else:
        anime_of = map_to_catalogue(catalogue, slots)
    episodes = merge_airings(found, window, anime_of=anime_of, zone_of=zone_of, now=now())
    return Schedule(
        window=window,
        episodes=tuple(episodes),
        outcomes=tuple(outcomes),
        gaps=tuple(gaps),
        level=_level(outcomes, gaps),
        deadline=deadline,
    )


@frozen
class NextEpisodes:
    """When one anime's next episode airs, per version (raw, sub, dub) where a source says."""

    entry: CatalogueEntry
    next: dict[AirKind, ScheduledEpisode]
    schedule: Schedule


def names_anime(entry: CatalogueEntry, slot: AiringSlot) -> bool:
    """Whether ``slot`` is about ``entry``: one of its platform pages, or one of its titles exactly."""
    if slot.platform_id in set(entry.sources):
        return True
    titles = {normalise_title(t) for t in (entry.title, *entry.synonyms)}
    return any(normalise_title(t) in titles for t in (slot.title, *slot.titles) if t)


async def next_episode(
    entry: CatalogueEntry,
    sources: Mapping[str, Source],
    window: Window,
    *,
    zone_of: ZoneOf,
    now: Callable[[], dt.datetime],
    deadline: float = DEFAULT_DEADLINE,
    ready: Callable[[Source], bool] | None = None,
) -> NextEpisodes:
    """The first airing of ``entry`` in each version inside ``window`` (from now on) that no source reports
    as aired; delayed airings count, with their new date."""
    found, outcomes, gaps = await collect(
        sources, days_to_ask(window), list(AirKind), deadline=deadline, now=now, ready=ready
    )
    mine = [f for f in found if names_anime(entry, f.slot)]
    ref = anime_ref(entry)
    anime_of = {f.slot.platform_id: ref for f in mine}
    episodes = merge_airings(mine, window, anime_of=anime_of, zone_of=zone_of, now=now())
    first: dict[AirKind, ScheduledEpisode] = {}
    for episode in episodes:
        if episode.status.value != "finished":
            first.setdefault(episode.kind, episode)
    schedule = Schedule(
        window, tuple(episodes), tuple(outcomes), tuple(gaps), degradation_level(outcomes), deadline
    )
    return NextEpisodes(entry, dict(sorted(first.items(), key=lambda kv: kv[0].value)), schedule)
