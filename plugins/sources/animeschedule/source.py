"""AnimeSchedule.net API v3 as a live source (bearer token): anime by slug, title search, and the weekly
timetables with raw, sub and dub air times. AnimeSchedule's API terms require attribution of the data."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpPolicy, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, Credential, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.animeschedule import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.animeschedule.parse")

API = "https://animeschedule.net/api/v3"
TOKEN_ENV = "ANIME_MCP_ANIMESCHEDULE_TOKEN"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class AnimeScheduleSource(HttpSource):
    info = SourceInfo(
        id="animeschedule",
        platform=Platform.ANIMESCHEDULE,
        kind="api",
        name="AnimeSchedule.net",
        homepage="https://animeschedule.net",
        fields=ESSENTIAL_FIELDS
        | {"studios", "genres", "streaming", "relations", "cross_ids", "schedule"}
        | {"localized_titles", "synopses"},
        rate_limits=(RateLimit(2, 1), RateLimit(60, 60)),
        credentials=(
            Credential(TOKEN_ENV, "AnimeSchedule.net API v3 application token (animeschedule.net/users)"),
        ),
        capabilities={Capability.SEARCH, Capability.SCHEDULE},
        formats=("animeschedule-v3-json",),
        kinds=("anime", "search", "schedule", "error"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "schedule": deferred(lambda: parse.parse_schedule),
    }
    policy = HttpPolicy(forbidden_is_auth=True)

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.require_env(TOKEN_ENV)}"}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(f"{API}/anime/{pid.id}", headers=self._headers(), detect_error=_DETECT)
        return parse.parse_anime(response.content, url=response.url, fetched_at=self.now())

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        response = await self.http.get(
            f"{API}/anime", params={"q": title}, headers=self._headers(), detect_error=_DETECT
        )
        return parse.parse_search(response.content, url=response.url)[:limit]

    async def schedule(self, *, day: dt.date | None = None, kind: AirKind = AirKind.SUB) -> list[AiringSlot]:
        """The timetable of the ISO week containing ``day``, in UTC, for raw, sub or dub airings."""
        return await self._guard(lambda: self._schedule(day or self.now().date(), kind))

    async def _schedule(self, day: dt.date, kind: AirKind) -> list[AiringSlot]:
        year, week, _ = day.isocalendar()
        response = await self.http.get(
            f"{API}/timetables/{AirKind(kind).value}",
            params={"year": str(year), "week": str(week), "tz": "UTC"},
            headers=self._headers(),
            detect_error=_DETECT,
        )
        return parse.parse_schedule(response.content, url=response.url)


@hookimpl
def register_sources(register: Register) -> None:
    register(AnimeScheduleSource())
