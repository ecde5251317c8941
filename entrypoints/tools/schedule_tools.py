"""Schedules, seasons and where to watch: ``airing_schedule``, ``next_episode``, ``seasonal_anime`` and
``where_to_watch``, each defined once and served over MCP, REST and the CLI.

The tools parse and render; the rules are the domain's (``core.airing``, ``core.seasons``,
``core.streaming``) and the fan-outs the use cases' (``core.services.schedules``, ``seasons``,
``streaming``). Timezones are IANA names, checked here (a bad one is a 422 naming the field); a call that
names none gets ``[serve] timezone`` (``ANIME_MCP_TIMEZONE``, default UTC). ``seasonal_anime`` works
offline too; the others are offered only when source plugins are installed.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from anime_mcp.core.airing import JST, MAX_DAYS, ScheduledEpisode, Window, day_window, keep
from anime_mcp.core.degradation import SourceOutcome, degradation_level
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.schedule import AirKind
from anime_mcp.core.seasons import SeasonSort, is_live
from anime_mcp.core.services.schedules import Gap, airing_schedule, next_episode, schedule_sources
from anime_mcp.core.services.seasons import SeasonCatalogue, live_season, season_sources
from anime_mcp.core.services.streaming import where_to_watch
from anime_mcp.core.sources import SearchCandidate
from anime_mcp.core.streaming import Offer, canonical_service
from anime_mcp.entrypoints.presenters import entry_to_dict
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.anime import numbered
from anime_mcp.entrypoints.tools.base import Tool, ToolInputError
from anime_mcp.entrypoints.tools.catalogue_tools import reference_field
from anime_mcp.entrypoints.tools.enrichment_tools import degradation_of, provenance_to_dict
from anime_mcp.entrypoints.tools.schemas import (
    ANIME,
    ANIME_REF,
    DEGRADATION,
    PROVENANCE,
    SEASONS,
    STATUSES,
    TYPES,
    nullable,
    object_schema,
    string_list,
)
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import Source

SEASON_LIMIT = 25
NEXT_EPISODE_DAYS = 8  # a weekly show airs within a week, a day's slack for a late timetable
AIR_TYPES = [k.value for k in AirKind]


# --- shared pieces ---------------------------------------------------------------------------------------
@cache
def _zone_named(name: str) -> dt.tzinfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return None


def zone_of(name: str) -> dt.tzinfo | None:
    """An IANA timezone by name, or None for a name the tz database does not know."""
    return _zone_named(name.strip()) if name and len(name) <= 64 else None


def asked_zone(runtime: Runtime, args: dict[str, Any]) -> tuple[str, dt.tzinfo]:
    """The call's timezone (or the server's default), or a 422 naming ``timezone``."""
    name = args.get("timezone") or runtime.settings.timezone
    zone = zone_of(name)
    if zone is None:
        raise ToolInputError("timezone", f"{name!r} is not an IANA timezone name (e.g. America/New_York)")
    return name, zone


def _now(runtime: Runtime) -> Callable[[], dt.datetime]:
    http = runtime.http_runtime
    return http.clock.now if http is not None else lambda: dt.datetime.now(dt.UTC)


def _date(args: dict[str, Any], name: str) -> dt.date | None:
    text = args.get(name)
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ToolInputError(name, f"{text!r} is not a date (YYYY-MM-DD)") from None


def _page(runtime: Runtime, pid: PlatformId) -> str | None:
    try:
        return canonical_url(pid, runtime.app.plugins.platforms())
    except KeyError:
        return None


DATE: dict[str, Any] = {
    "type": "string",
    "format": "date",
    "pattern": r"^\d{4}-\d{2}-\d{2}$",
    "description": "A day, YYYY-MM-DD.",
}
TIMEZONE: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 64,
    "description": "IANA timezone name, e.g. 'America/New_York', 'Europe/Berlin', 'Asia/Tokyo'; absent: the "
    "server's default (UTC unless configured). Days begin and end at midnight in this timezone.",
}
GAP: dict[str, Any] = {
    "type": "object",
    "description": "A day one source could not answer for: its airings that day may be missing.",
    "properties": {
        "source": {"type": "string"},
        "day": {"type": "string"},
        "air_type": {"type": "string"},
        "reason": {"type": "string"},
    },
    "required": ["source", "day", "air_type", "reason"],
}
LISTING: dict[str, Any] = {
    "type": "object",
    "description": "One source's listing of the airing: its page of the anime, when it was fetched, the time "
    "it gives (UTC) and whether that is an exact time or a weekly broadcast slot.",
    "properties": {
        "source": {"type": "string"},
        "platform_id": {"type": "string"},
        "url": nullable("string"),
        "fetched_at": nullable("string"),
        "airs_at": {"type": "string"},
        "exact": {"type": "boolean"},
    },
    "required": ["source", "platform_id", "url", "fetched_at", "airs_at", "exact"],
}
EPISODE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "anime_id": nullable("string", description="The catalogue's id, when a source's page maps to it."),
        "title": {"type": "string"},
        "type": nullable("string"),
        "episode": nullable("integer"),
        "episodes": nullable("integer", description="Episodes announced in all."),
        "final": {"type": "boolean", "description": "The last episode announced."},
        "air_type": {"type": "string", "enum": AIR_TYPES},
        "airs_at": {"type": "string", "description": "ISO 8601 in the asked timezone."},
        "airs_at_jst": {"type": "string", "description": "ISO 8601 in Japan (JST)."},
        "date": {"type": "string", "description": "The day it airs in the asked timezone."},
        "exact": {"type": "boolean", "description": "false: from a weekly broadcast slot, not a timetable."},
        "status": {"type": "string", "enum": ["on_time", "delayed", "finished"]},
        "delayed_until": nullable("string", description="When delayed: the new date the source gives."),
        "platforms": {"type": "array", "items": {"type": "string"}},
        "sources": {"type": "array", "items": LISTING},
    },
    "required": [
        "anime_id",
        "title",
        "type",
        "episode",
        "episodes",
        "final",
        "air_type",
        "airs_at",
        "airs_at_jst",
        "date",
        "exact",
        "status",
        "delayed_until",
        "platforms",
        "sources",
    ],
}


def episode_to_dict(runtime: Runtime, episode: ScheduledEpisode, zone: dt.tzinfo) -> dict[str, Any]:
    local = episode.airs_at.astimezone(zone)
    return {
        "anime_id": episode.anime.anime_id if episode.anime else None,
        "title": episode.title,
        "type": episode.type.value if episode.type else None,
        "episode": episode.episode,
        "episodes": episode.episodes,
        "final": episode.final,
        "air_type": episode.kind.value,
        "airs_at": local.isoformat(),
        "airs_at_jst": episode.airs_at.astimezone(JST).isoformat(),
        "date": local.date().isoformat(),
        "exact": episode.listings[0].exact,
        "status": episode.status.value,
        "delayed_until": episode.delayed_until.isoformat() if episode.delayed_until else None,
        "platforms": list(dict.fromkeys(canonical_service(s) for s in episode.services)),
        "sources": [
            {
                "source": listing.source,
                "platform_id": str(listing.platform_id),
                "url": _page(runtime, listing.platform_id),
                "fetched_at": listing.fetched_at.isoformat() if listing.fetched_at else None,
                "airs_at": listing.airs_at.isoformat(),
                "exact": listing.exact,
            }
            for listing in episode.listings
        ],
    }


def gap_to_dict(gap: Gap) -> dict[str, Any]:
    return {
        "source": gap.source,
        "day": gap.day.isoformat(),
        "air_type": gap.kind.value,
        "reason": gap.reason,
    }


def _level_line(degradation: dict[str, Any]) -> str:
    lost = [f"{o['source']} ({o['reason']})" for o in degradation["outcomes"] if o["status"] != "contributed"]
    return f"answer: {degradation['level']}" + (f" | not answered: {'; '.join(lost)}" if lost else "")


def _episode_line(item: dict[str, Any]) -> str:
    number = f" ep {item['episode']}" if item["episode"] is not None else ""
    final = " (final)" if item["final"] else ""
    status = item["status"].replace("_", " ")
    if item["delayed_until"]:
        status += f" until {item['delayed_until']}"
    where = f" on {', '.join(item['platforms'][:4])}" if item["platforms"] else ""
    ident = f" [{item['anime_id']}]" if item["anime_id"] else ""
    local, jst = item["airs_at"][11:16], item["airs_at_jst"][5:16].replace("T", " ")
    return (
        f"{item['date']} {local} (JST {jst}) {item['title']}{number}{final}, {item['air_type']}, "
        f"{status}{where} — {', '.join(s['source'] for s in item['sources'])}{ident}"
    )


# --- airing_schedule -------------------------------------------------------------------------------------
async def run_airing_schedule(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    name, zone = asked_zone(runtime, args)
    sources = runtime.sources()
    now = _now(runtime)  # the sources' clock, once they are bound
    first = _date(args, "date") or now().astimezone(zone).date()
    last = _date(args, "date_to") or first
    try:
        window = day_window(first, last, zone)
    except ValueError as exc:
        raise ToolInputError("date_to", str(exc)) from None
    kind = AirKind(args["air_type"]) if args.get("air_type") else None
    schedule = await airing_schedule(
        sources,
        (await runtime.current_snapshot()).store,
        window,
        kind=kind,
        zone_of=zone_of,
        now=now,
        deadline=runtime.settings.deadline,
        ready=runtime.source_ready,
        run_sync=runtime.run_sync,
    )
    runtime.note_outcomes(schedule.outcomes)
    episodes = keep(
        schedule.episodes,
        platforms=args.get("platforms") or (),
        kind=kind,
        types=[AnimeType(t) for t in args.get("types") or ()],
        tags=args.get("tags") or (),
    )
    return {
        "date": first.isoformat(),
        "date_to": last.isoformat(),
        "timezone": name,
        "window": {
            "start": window.start.astimezone(zone).isoformat(),
            "end": window.end.astimezone(zone).isoformat(),
        },
        "count": len(episodes),
        "episodes": [episode_to_dict(runtime, e, zone) for e in episodes],
        "gaps": [gap_to_dict(g) for g in schedule.gaps],
        "degradation": degradation_of(schedule.outcomes, schedule.level, schedule.deadline),
    }


def render_schedule(output: dict[str, Any]) -> str:
    span = output["date"] + (f" to {output['date_to']}" if output["date_to"] != output["date"] else "")
    head = f"{output['count']} airing(s) {span} ({output['timezone']}):"
    lines = [head, *(_episode_line(item) for item in output["episodes"])]
    if output["gaps"]:
        lines.append(
            "missing days: " + "; ".join(f"{g['source']} {g['day']} ({g['reason']})" for g in output["gaps"])
        )
    lines.append(_level_line(output["degradation"]))
    return "\n".join(lines)


def airing_schedule_tool() -> Tool:
    return Tool(
        name="airing_schedule",
        title="What airs when",
        description=(
            "The anime episodes airing on a day or in a range of days (at most "
            f"{MAX_DAYS}), in a timezone: days begin at midnight there, so a 00:30 broadcast in Japan is "
            "listed on the previous day in New York. Each episode: the anime (its catalogue id when known), "
            "episode number, air time in the asked timezone and in Japan (JST), version (raw Japanese "
            "broadcast, sub, dub), streaming platforms, and status (on_time, delayed with the new date, "
            "finished = aired). Live: AnimeSchedule timetables, AniList airing schedules, MyAnimeList "
            "broadcast slots and any other schedule source, asked at once under one deadline, merged so each "
            "anime episode appears once with every source that lists it. Filter by platforms "
            "(['crunchyroll']), air_type, types and tags (tags are known for catalogue anime only). For one "
            "anime's next episode use next_episode."
        ),
        input_schema=object_schema(
            {
                "date": {**DATE, "description": "The first day, YYYY-MM-DD; absent: today in the timezone."},
                "date_to": {**DATE, "description": "The last day (inclusive); absent: the same day."},
                "timezone": TIMEZONE,
                "platforms": string_list(
                    "Only episodes on any of these streaming services, e.g. ['crunchyroll']."
                ),
                "air_type": {
                    "type": "string",
                    "enum": AIR_TYPES,
                    "description": "Only this version: raw (Japanese broadcast), sub or dub; absent: what "
                    "the sources list by default (subbed timetables, Japanese broadcasts).",
                },
                "types": string_list("Any of these formats.", enum=TYPES),
                "tags": string_list("Tags every anime must have (catalogue anime only)."),
            }
        ),
        output_schema=object_schema(
            {
                "date": {"type": "string"},
                "date_to": {"type": "string"},
                "timezone": {"type": "string"},
                "window": {
                    "type": "object",
                    "properties": {"start": {"type": "string"}, "end": {"type": "string"}},
                    "required": ["start", "end"],
                },
                "count": {"type": "integer"},
                "episodes": {"type": "array", "items": EPISODE},
                "gaps": {"type": "array", "items": GAP},
                "degradation": DEGRADATION,
            },
            ["date", "date_to", "timezone", "window", "count", "episodes", "gaps", "degradation"],
        ),
        handler=run_airing_schedule,
        render=render_schedule,
        open_world=True,
    )


# --- next_episode ----------------------------------------------------------------------------------------
async def run_next_episode(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    name, zone = asked_zone(runtime, args)
    sources = runtime.sources()
    now = _now(runtime)
    with reference_field("anime_id"):
        entry = (await runtime.resolve(args["anime_id"])).entry
    start = now()
    window = Window(start, start + dt.timedelta(days=NEXT_EPISODE_DAYS), zone)
    found = await next_episode(
        entry,
        sources,
        window,
        zone_of=zone_of,
        now=now,
        deadline=runtime.settings.deadline,
        ready=runtime.source_ready,
    )
    schedule = found.schedule
    runtime.note_outcomes(schedule.outcomes)
    return {
        "anime_id": entry.anime_id,
        "title": entry.title,
        "timezone": name,
        "searched_until": window.end.astimezone(zone).isoformat(),
        "next": [episode_to_dict(runtime, e, zone) for e in found.next.values()],
        "unknown": [k.value for k in AirKind if k not in found.next],
        "gaps": [gap_to_dict(g) for g in schedule.gaps],
        "degradation": degradation_of(schedule.outcomes, schedule.level, schedule.deadline),
    }


def render_next(output: dict[str, Any]) -> str:
    lines = [f"{output['title']} ({output['anime_id']}) — next episode ({output['timezone']}):"]
    lines += [_episode_line(item) for item in output["next"]]
    if not output["next"]:
        lines.append(f"no source lists an airing before {output['searched_until'][:16]}")
    elif output["unknown"]:
        lines.append(f"not listed: {', '.join(output['unknown'])}")
    lines.append(_level_line(output["degradation"]))
    return "\n".join(lines)


def next_episode_tool() -> Tool:
    return Tool(
        name="next_episode",
        title="When the next episode airs",
        description=(
            "When one anime's next episode airs, in a timezone, per version where the sources know it: the "
            "Japanese broadcast (raw), the subbed and the dubbed release, each with episode number, time in "
            "the asked timezone and in Japan, platforms, and status (on_time, or delayed with the new date). "
            f"Looks {NEXT_EPISODE_DAYS} days ahead in the live schedule sources (AnimeSchedule, AniList, "
            "MyAnimeList, ...); 'unknown' lists the versions no source lists. For a whole day's schedule use "
            "airing_schedule."
        ),
        input_schema=object_schema({"anime_id": ANIME_REF, "timezone": TIMEZONE}, ["anime_id"]),
        output_schema=object_schema(
            {
                "anime_id": {"type": "string"},
                "title": {"type": "string"},
                "timezone": {"type": "string"},
                "searched_until": {"type": "string"},
                "next": {"type": "array", "items": EPISODE, "description": "One per version listed."},
                "unknown": {"type": "array", "items": {"type": "string", "enum": AIR_TYPES}},
                "gaps": {"type": "array", "items": GAP},
                "degradation": DEGRADATION,
            },
            ["anime_id", "title", "timezone", "searched_until", "next", "unknown", "gaps", "degradation"],
        ),
        handler=run_next_episode,
        render=render_next,
        open_world=True,
    )


# --- seasonal_anime --------------------------------------------------------------------------------------
def season_catalogue(runtime: Runtime) -> SeasonCatalogue:
    """The runtime's season index (rebuilt for a new catalogue snapshot; built at warm-up)."""
    return runtime.seasons


def _live_item(
    runtime: Runtime, source: str, candidate: SearchCandidate, fetched: dt.datetime | None
) -> dict[str, Any]:
    score = candidate.score
    return {
        "source": source,
        "platform_id": str(candidate.platform_id),
        "title": candidate.title,
        "type": candidate.type.value if candidate.type else None,
        "year": candidate.year,
        "episodes": candidate.episodes,
        "status": candidate.status.value if candidate.status else None,
        "score": None
        if score is None
        else {
            "value": score.value,
            "scale": score.scale,
            "normalised": score.normalised,
            "votes": score.votes,
        },
        "url": candidate.url,
        "fetched_at": fetched.isoformat() if fetched else None,
    }


async def run_seasonal(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    year, season = args["year"], Season(args["season"])
    filters = SearchFilters(
        statuses=[Status(args["status"])] if args.get("status") else (),
        types=[AnimeType(args["type"])] if args.get("type") else (),
        tags=args.get("tags") or (),
    )
    sort = SeasonSort(args["sort"])
    snapshot = await runtime.current_snapshot()
    seasons = season_catalogue(runtime)
    entries, matched = await runtime.run_sync(
        seasons.season, snapshot.store, year, season, filters, sort=sort, limit=args["limit"]
    )
    items = [{**entry_to_dict(e, "brief"), "live": []} for e in entries]
    sources = runtime.sources() if runtime.app.plugins.sources() else {}
    today = _now(runtime)().date()
    live = args["enhance"] and bool(sources) and is_live(year, season, today)
    outcomes: tuple[SourceOutcome, ...] = ()
    not_in_catalogue: list[dict[str, Any]] = []
    if live and season_sources(sources):
        found = await live_season(
            sources,
            year,
            season,
            now=_now(runtime),
            deadline=runtime.settings.deadline,
            ready=runtime.source_ready,
        )
        runtime.note_outcomes(found.outcomes)
        outcomes = found.outcomes
        by_pid = found.by_platform_id()
        for entry, item in zip(entries, items, strict=True):
            for pid in entry.sources:
                for source, candidate in by_pid.get(pid, ()):
                    item["live"].append(_live_item(runtime, source, candidate, found.fetched_at.get(source)))
        known = await runtime.run_sync(_known_pids, snapshot.store, list(by_pid))
        for pid, listed in by_pid.items():
            if pid in known:
                continue
            source, candidate = listed[0]
            if _passes(candidate, args):
                not_in_catalogue.append(_live_item(runtime, source, candidate, found.fetched_at.get(source)))
    return {
        "year": year,
        "season": season.value,
        "sort": sort.value,
        "count": len(items),
        "matched": matched,
        "results": items,
        "not_in_catalogue": not_in_catalogue[: args["limit"]],
        "live": live,
        "degradation": degradation_of(outcomes, degradation_level(outcomes), runtime.settings.deadline),
    }


def _known_pids(store: Catalogue, pids: list[PlatformId]) -> set[PlatformId]:
    """The platform ids the catalogue knows, among ``pids`` (one catalogue read each)."""
    return {pid for pid in pids if store.by_platform_id(pid) is not None}


def _passes(candidate: SearchCandidate, args: dict[str, Any]) -> bool:
    """Whether an anime the catalogue lacks passes the filters a candidate can answer (tags it cannot)."""
    if args.get("tags"):
        return False
    if args.get("type") and (candidate.type is None or candidate.type.value != args["type"]):
        return False
    return not (args.get("status") and (candidate.status is None or candidate.status.value != args["status"]))


def render_seasonal(output: dict[str, Any]) -> str:
    head = (
        f"{output['season'].title()} {output['year']}: {output['count']} of {output['matched']} anime, "
        f"by {output['sort']}"
    )
    lines = [head, *numbered(output["results"])]
    if output["not_in_catalogue"]:
        lines.append(
            "not in the catalogue yet: "
            + "; ".join(f"{c['title']} [{c['platform_id']}]" for c in output["not_in_catalogue"][:10])
        )
    if output["live"]:
        lines.append(_level_line(output["degradation"]))
    return "\n".join(lines)


def seasonal_tool() -> Tool:
    return Tool(
        name="seasonal_anime",
        title="A season's anime",
        description=(
            "The anime of one season (winter = January-March, spring, summer, fall = October-December) of a "
            "year, from the offline catalogue at once, filtered by status, format and tags, sorted by score "
            "or popularity (offline: how many platforms list the anime). For the current and the next season "
            "(still changing) the platforms that list seasons (AniList, MyAnimeList, ...) are asked live "
            "under one deadline: each result gains their score and status with provenance, and anime "
            "announced after the catalogue's release are listed in 'not_in_catalogue'. enhance=false never "
            "asks them."
        ),
        input_schema=object_schema(
            {
                "year": {"type": "integer", "minimum": 1917, "maximum": 2100},
                "season": {"type": "string", "enum": SEASONS},
                "status": {"type": "string", "enum": STATUSES, "description": "Only this airing status."},
                "type": {"type": "string", "enum": TYPES, "description": "Only this format."},
                "tags": string_list("Tags (genres, themes) every result must have."),
                "sort": {"type": "string", "enum": [s.value for s in SeasonSort], "default": "score"},
                "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": SEASON_LIMIT},
                "enhance": {
                    "type": "boolean",
                    "default": True,
                    "description": "false: the catalogue alone, no network, even for the current season.",
                },
            },
            ["year", "season"],
        ),
        output_schema=object_schema(
            {
                "year": {"type": "integer"},
                "season": {"type": "string"},
                "sort": {"type": "string"},
                "count": {"type": "integer"},
                "matched": {"type": "integer", "description": "Catalogue anime passing the filters."},
                "results": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            **ANIME["properties"],
                            "live": {"type": "array", "items": {"type": "object"}},
                        },
                        "required": [*ANIME["required"], "live"],
                    },
                },
                "not_in_catalogue": {"type": "array", "items": {"type": "object"}},
                "live": {"type": "boolean", "description": "Whether the season's platforms were asked."},
                "degradation": DEGRADATION,
            },
            [
                "year",
                "season",
                "sort",
                "count",
                "matched",
                "results",
                "not_in_catalogue",
                "live",
                "degradation",
            ],
        ),
        handler=run_seasonal,
        render=render_seasonal,
    )


# --- where_to_watch --------------------------------------------------------------------------------------
def offer_to_dict(offer: Offer, provenance: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "service": offer.service,
        "url": offer.url,
        "regions": list(offer.regions),
        "subtitles": list(offer.subtitles),
        "dubs": list(offer.dubs),
        "provenance": provenance.get(offer.source) or provenance_to_dict_missing(offer.source),
    }


def provenance_to_dict_missing(source: str) -> dict[str, Any]:
    return {
        "source": source,
        "url": None,
        "fetched_at": None,
        "from_cache": False,
        "age_seconds": None,
        "stale": False,
    }


async def run_where_to_watch(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    region = args.get("region")
    with reference_field("anime_id"):
        resolution = await runtime.resolve(args["anime_id"])
        found = await where_to_watch(
            resolution,
            (await runtime.current_snapshot()).store,
            runtime.sources(),
            regions=[region] if region else (),
            services=args.get("platforms") or (),
            deadline=runtime.settings.deadline,
            platforms=runtime.app.plugins.platforms(),
            ready=runtime.source_ready,
            run_sync=runtime.run_sync,
        )
    result, offers = found.enrichment, found.offers
    runtime.note_outcomes(result.outcomes)
    provenance = {
        f.record.platform_id.platform.value: provenance_to_dict(f.provenance()) for f in result.records
    }
    by_region = {r: [offer_to_dict(o, provenance) for o in group] for r, group in offers.by_region.items()}
    unstated = [offer_to_dict(o, provenance) for o in offers.unstated]
    if region:
        answer = "listed" if by_region else ("region not stated" if unstated else "unknown for this region")
    else:
        answer = "listed" if by_region or unstated else "unknown"
    return {
        "anime_id": result.entry.anime_id,
        "title": result.entry.title,
        "region": region.upper() if region else None,
        "answer": answer,
        "by_region": by_region,
        "region_not_stated": unstated,
        "unknown_regions": list(offers.unknown_regions),
        "left_out": offers.unlisted,
        "degradation": degradation_of(result.outcomes, result.level, result.deadline),
    }


def render_where(output: dict[str, Any]) -> str:
    lines = [f"{output['title']} ({output['anime_id']}) — where to watch"]
    for region, offers in output["by_region"].items():
        lines.append(
            f"{region}: "
            + ", ".join(f"{o['service']} ({o['url']}) [{o['provenance']['source']}]" for o in offers)
        )
    if output["region_not_stated"]:
        lines.append(
            "region not stated: "
            + ", ".join(
                f"{o['service']} ({o['url']}) [{o['provenance']['source']}]"
                for o in output["region_not_stated"]
            )
        )
    if output["answer"] in ("unknown for this region", "unknown"):
        where = f" in {output['region']}" if output["region"] else ""
        lines.append(f"unknown{where}: no source lists a legal streaming link")
    lines.append(_level_line(output["degradation"]))
    return "\n".join(lines)


OFFER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "service": {
            "type": "string",
            "description": "The service's name on the allow-list of legal services.",
        },
        "url": {"type": "string"},
        "regions": {
            "type": "array",
            "items": {"type": "string"},
            "description": "ISO 3166-1 codes; empty: not stated.",
        },
        "subtitles": {"type": "array", "items": {"type": "string"}},
        "dubs": {"type": "array", "items": {"type": "string"}},
        "provenance": PROVENANCE,
    },
    "required": ["service", "url", "regions", "subtitles", "dubs", "provenance"],
}


def where_to_watch_tool() -> Tool:
    return Tool(
        name="where_to_watch",
        title="Where to watch an anime",
        description=(
            "The legal streaming services and links for one anime, by region (ISO country code such as 'US', "
            "'GB', 'JP'), from every platform that lists streaming links (Kitsu, AniList, MyAnimeList, "
            "AnimeSchedule, ...), asked at once under one deadline, each link with its provenance. Only "
            "services on anime-mcp's allow-list of legal services are shown ('left_out' counts the others). "
            "A link whose source names no region is listed under 'region_not_stated'; 'answer' says "
            "'unknown for this region' when no source says anything about the asked region (silence, not "
            "proof that it is unavailable). Filter by preferred platforms (['crunchyroll', 'netflix'])."
        ),
        input_schema=object_schema(
            {
                "anime_id": ANIME_REF,
                "region": {
                    "type": "string",
                    "pattern": "^[A-Za-z]{2}$",
                    "description": "ISO 3166-1 alpha-2 country code, e.g. 'US'.",
                },
                "platforms": string_list("Only these services, e.g. ['crunchyroll', 'netflix']."),
            },
            ["anime_id"],
        ),
        output_schema=object_schema(
            {
                "anime_id": {"type": "string"},
                "title": {"type": "string"},
                "region": nullable("string"),
                "answer": {
                    "type": "string",
                    "enum": ["listed", "region not stated", "unknown for this region", "unknown"],
                },
                "by_region": {"type": "object", "additionalProperties": {"type": "array", "items": OFFER}},
                "region_not_stated": {"type": "array", "items": OFFER},
                "unknown_regions": {"type": "array", "items": {"type": "string"}},
                "left_out": {"type": "integer", "description": "Links to services not on the allow-list."},
                "degradation": DEGRADATION,
            },
            [
                "anime_id",
                "title",
                "region",
                "answer",
                "by_region",
                "region_not_stated",
                "unknown_regions",
                "left_out",
                "degradation",
            ],
        ),
        handler=run_where_to_watch,
        render=render_where,
        open_world=True,
    )


def schedule_tools(sources: list[Source]) -> list[Tool]:
    """``seasonal_anime`` always (it works offline); the live ones when sources are installed, the schedule
    ones when one of them declares schedules."""
    tools = [seasonal_tool()]
    if sources:
        if schedule_sources({s.info.id: s for s in sources}):
            tools += [airing_schedule_tool(), next_episode_tool()]
        tools.append(where_to_watch_tool())
    return tools
