"""Airing schedules in a timezone: which airings fall on the asked days, their status, and one entry per
anime episode however many sources list it.

- **Day boundaries** are the asked timezone's: ``day_window`` turns dates into the half-open interval from
  the first date's midnight to the midnight after the last, in that zone (a 00:30 JST broadcast on a
  Tuesday airs on Monday in New York, and is listed there on Monday).
- **Occurrences**: a slot with an exact time (AnimeSchedule, AniList) occurs once; a weekly slot (MAL's
  broadcast day and time in Japan) occurs on each of its weekdays inside the window.
- **Status**: ``delayed`` when the source says so or the airing falls in the source's delay window (then
  ``delayed_until`` is the new date), ``finished`` when it has aired (the source says "aired", or it gives
  no word and the time is past), else ``on_time``.
- **Merging**: airings of the same anime (one catalogue entry, else the same normalised title), version and
  episode are one entry; a weekly slot joins the exact airing of that anime and version on the same Japanese
  day. Each entry keeps every source that listed it (``Listing``), exact times before weekly slots.

Timezones come in as ``tzinfo`` objects: resolving IANA names (which reads the tz database) is the caller's.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Collection, Iterable, Mapping

from attrs import evolve, field, frozen

from anime_mcp.core.models import AnimeType
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.references import normalise_title
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.streaming import canonical_service, service_key

JST = dt.timezone(dt.timedelta(hours=9), "JST")  # Japan has kept one offset, without summer time, since 1951
MAX_DAYS = 31  # the longest range one schedule request may cover
ZoneOf = Callable[[str], dt.tzinfo | None]  # an IANA name -> its zone (None: unknown name)


class AiringStatus(enum.StrEnum):
    ON_TIME = "on_time"
    DELAYED = "delayed"
    FINISHED = "finished"  # aired already


@frozen
class Window:
    """The half-open interval ``[start, end)`` of aware datetimes covering whole days in ``zone``."""

    start: dt.datetime
    end: dt.datetime
    zone: dt.tzinfo

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.start <= moment < self.end

    def dates_touched(self, zone: dt.tzinfo) -> list[dt.date]:
        """Every calendar date in ``zone`` that some instant of the window falls on."""
        first = self.start.astimezone(zone).date()
        last = (self.end - dt.timedelta(microseconds=1)).astimezone(zone).date()
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def day_window(first: dt.date, last: dt.date, zone: dt.tzinfo) -> Window:
    """From ``first``'s midnight to the midnight after ``last``, in ``zone``; at most ``MAX_DAYS`` days."""
    days = (last - first).days + 1
    if days < 1:
        raise ValueError(f"the range ends ({last}) before it starts ({first})")
    if days > MAX_DAYS:
        raise ValueError(f"the range covers {days} days; at most {MAX_DAYS} are allowed")
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return Window(_normalised(start), _normalised(end), zone)


def _normalised(moment: dt.datetime) -> dt.datetime:
    """The same instant in UTC: comparisons across zones with summer time are exact only between aware UTC
    datetimes (Python compares same-tzinfo datetimes by wall time)."""
    return moment.astimezone(dt.UTC)


def days_to_ask(window: Window) -> list[dt.date]:
    """The days to ask sources for: every date the window touches in UTC (exact timetables are kept by UTC
    week) and in Japan (broadcast weekdays are Japanese), sorted."""
    return sorted(set(window.dates_touched(dt.UTC)) | set(window.dates_touched(JST)))


def occurrences(slot: AiringSlot, window: Window, zone_of: ZoneOf) -> list[tuple[dt.datetime, bool]]:
    """When ``slot`` airs inside ``window`` (UTC), each with whether the time is exact (not a weekly slot)."""
    if slot.airs_at is not None:
        moment = slot.airs_at if slot.airs_at.tzinfo else slot.airs_at.replace(tzinfo=dt.UTC)
        moment = _normalised(moment)
        return [(moment, True)] if moment in window else []
    if slot.weekday is None or slot.local_time is None:
        return []
    zone = zone_of(slot.timezone) if slot.timezone else JST
    if zone is None:
        return []
    found = []
    for day in window.dates_touched(zone):
        if day.weekday() == slot.weekday:
            moment = _normalised(dt.datetime.combine(day, slot.local_time, tzinfo=zone))
            if moment in window:
                found.append((moment, False))
    return found


def airing_status(slot: AiringSlot, airs_at: dt.datetime, now: dt.datetime) -> AiringStatus:
    """The status of one airing (the module's rule); the source's word wins over the clock."""
    if slot.status == "delayed-air" or _in_delay_window(slot, airs_at):
        return AiringStatus.DELAYED
    if slot.status == "aired":
        return AiringStatus.FINISHED
    if slot.status in ("unaired", "airing"):
        return AiringStatus.ON_TIME
    return AiringStatus.FINISHED if airs_at <= now else AiringStatus.ON_TIME


def _in_delay_window(slot: AiringSlot, airs_at: dt.datetime) -> bool:
    start, until = slot.delayed_from, slot.delayed_until
    if start is None or until is None or until <= start:
        return False
    return start <= airs_at.astimezone(dt.UTC).date() < until


@frozen
class AnimeRef:
    """The catalogue entry a source's anime maps to: what merging and the filters need of it."""

    anime_id: str
    title: str
    type: AnimeType | None = None
    tags: frozenset[str] = frozenset()


@frozen
class Listing:
    """One source's word about an airing: who, when it says, and whether that time is exact."""

    source: str
    platform_id: PlatformId
    airs_at: dt.datetime
    exact: bool
    fetched_at: dt.datetime | None = None


@frozen
class Found:
    """A source's slot with when it was fetched; the unit ``merge_airings`` takes."""

    source: str
    slot: AiringSlot
    fetched_at: dt.datetime | None = None


def _listings(values: Iterable[Listing]) -> tuple[Listing, ...]:
    return tuple(sorted(values, key=lambda listing: (not listing.exact, listing.source)))


@frozen
class ScheduledEpisode:
    """One airing of one anime's episode in one version, merged from every source that lists it."""

    key: str  # the anime: ``anime:<catalogue id>`` or ``title:<normalised title>``
    title: str
    anime: AnimeRef | None
    kind: AirKind
    episode: int | None
    airs_at: dt.datetime  # UTC; the first exact listing's time, else the weekly slot's
    status: AiringStatus
    delayed_until: dt.date | None
    final: bool  # the last episode announced
    episodes: int | None
    type: AnimeType | None
    services: tuple[str, ...]  # streaming services the sources name for it
    listings: tuple[Listing, ...] = field(converter=_listings)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(listing.source for listing in self.listings))


def _key(slot: AiringSlot, anime: AnimeRef | None) -> str:
    if anime is not None:
        return f"anime:{anime.anime_id}"
    return f"title:{normalise_title(slot.title) or slot.platform_id}"


def merge_airings(
    found: Iterable[Found],
    window: Window,
    *,
    anime_of: Mapping[PlatformId, AnimeRef],
    zone_of: ZoneOf,
    now: dt.datetime,
) -> list[ScheduledEpisode]:
    """One entry per anime, version and episode airing inside ``window``, sorted by time then title."""
    exact: dict[tuple[str, AirKind, object], ScheduledEpisode] = {}
    weekly: list[ScheduledEpisode] = []
    for item in found:
        slot = item.slot
        anime = anime_of.get(slot.platform_id)
        for moment, is_exact in occurrences(slot, window, zone_of):
            entry = _entry(item, anime, moment, is_exact, now)
            if not is_exact:
                weekly.append(entry)
                continue
            ident = (entry.key, entry.kind, entry.episode if entry.episode is not None else moment)
            exact[ident] = _joined(exact[ident], entry) if ident in exact else entry
    by_day = {(e.key, e.kind, e.airs_at.astimezone(JST).date()): ident for ident, e in exact.items()}
    loose: dict[tuple[str, AirKind, dt.date], ScheduledEpisode] = {}
    for entry in weekly:
        day = (entry.key, entry.kind, entry.airs_at.astimezone(JST).date())
        if day in by_day:
            exact[by_day[day]] = _joined(exact[by_day[day]], entry)
        else:
            loose[day] = _joined(loose[day], entry) if day in loose else entry
    merged = [*exact.values(), *loose.values()]
    return sorted(merged, key=lambda e: (e.airs_at, e.title.casefold(), e.kind.value, e.episode or 0))


def _entry(
    item: Found, anime: AnimeRef | None, moment: dt.datetime, is_exact: bool, now: dt.datetime
) -> ScheduledEpisode:
    slot = item.slot
    status = airing_status(slot, moment, now)
    return ScheduledEpisode(
        key=_key(slot, anime),
        title=anime.title if anime is not None else slot.title,
        anime=anime,
        kind=slot.kind,
        episode=slot.episode,
        airs_at=moment,
        status=status,
        delayed_until=slot.delayed_until if status is AiringStatus.DELAYED else None,
        final=slot.episode is not None and slot.episodes is not None and slot.episode >= slot.episodes,
        episodes=slot.episodes,
        type=slot.type or (anime.type if anime is not None else None),
        services=tuple(dict.fromkeys(link.service for link in slot.streaming)),
        listings=(Listing(item.source, slot.platform_id, moment, is_exact, item.fetched_at),),
    )


def _joined(kept: ScheduledEpisode, other: ScheduledEpisode) -> ScheduledEpisode:
    """``kept`` with ``other``'s listing: an exact time beats a weekly slot; a delay anyone reports stands."""
    first = kept if kept.listings[0].exact or not other.listings[0].exact else other
    delayed = [e for e in (kept, other) if e.status is AiringStatus.DELAYED]
    status = AiringStatus.DELAYED if delayed else first.status
    until = max((e.delayed_until for e in delayed if e.delayed_until), default=None)
    return evolve(
        first,
        status=status,
        delayed_until=until,
        episode=first.episode if first.episode is not None else kept.episode or other.episode,
        episodes=first.episodes or kept.episodes or other.episodes,
        final=kept.final or other.final,
        type=first.type or kept.type or other.type,
        services=tuple(dict.fromkeys([*kept.services, *other.services])),
        listings=(*kept.listings, *other.listings),
    )


def keep(
    episodes: Iterable[ScheduledEpisode],
    *,
    platforms: Collection[str] = (),
    kind: AirKind | None = None,
    types: Collection[AnimeType] = (),
    tags: Collection[str] = (),
) -> list[ScheduledEpisode]:
    """The entries that pass every given filter: any of ``platforms`` (streaming services, matched by
    ``core.streaming.service_key``), the version, any of ``types``, every one of ``tags`` (known only for
    anime the catalogue knows)."""
    wanted_services = {service_key(canonical_service(p)) for p in platforms}
    wanted_tags = {t.strip().lower() for t in tags}
    kept = []
    for entry in episodes:
        services = {service_key(canonical_service(s)) for s in entry.services}
        if wanted_services and not wanted_services & services:
            continue
        if kind is not None and entry.kind is not kind:
            continue
        if types and entry.type not in types:
            continue
        if wanted_tags and (entry.anime is None or not wanted_tags <= entry.anime.tags):
            continue
        kept.append(entry)
    return kept
