"""MyAnimeList as a live source: the official API v2 (``X-MAL-CLIENT-ID``) or any Jikan-v4-compatible API.

The public Jikan (api.jikan.moe) was discontinued on 2026-10-01; self-hosted Jikan or compatible services
remain, so Jikan is reached by base URL (``ANIME_MCP_JIKAN_URL``, e.g. ``https://jikan.example.org/v4``).
With a client id the official API answers ``fetch``/``search``/``season``; episodes and broadcast schedules
exist only in Jikan, so they need the Jikan URL; characters and staff too (one more Jikan request each, sent
only when the caller asks for them). Parsing is in ``parse.py``; a parser for MAL's HTML pages
can join later as another format of this source.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from anime_mcp.adapters.http import HttpPolicy, HttpResponse, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.errors import AuthRequired, ParseError, SourceError, Unavailable
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import Episode, Page, SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, Credential, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.mal import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.mal.parse")

CLIENT_ID_ENV = "ANIME_MCP_MAL_CLIENT_ID"
JIKAN_URL_ENV = "ANIME_MCP_JIKAN_URL"
API_V2 = "https://api.myanimelist.net/v2"
V2_FIELDS = ",".join(
    (
        "id",
        "title",
        "main_picture",
        "alternative_titles",
        "start_date",
        "end_date",
        "synopsis",
        "mean",
        "rank",
        "popularity",
        "num_list_users",
        "num_scoring_users",
        "nsfw",
        "media_type",
        "status",
        "genres",
        "num_episodes",
        "start_season",
        "broadcast",
        "source",
        "average_episode_duration",
        "rating",
        "studios",
        "related_anime",
    )
)
V2_LIST_FIELDS = "id,title,main_picture,alternative_titles,start_season,media_type,num_episodes,status,mean"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class MalSource(HttpSource):
    info = SourceInfo(
        id="mal",
        platform=Platform.MAL,
        kind="api",
        name="MyAnimeList",
        homepage="https://myanimelist.net",
        fields=ESSENTIAL_FIELDS
        | {
            "end_date",
            "rank",
            "popularity",
            "studios",
            "genres",
            "tags",
            "streaming",
            "relations",
            "cross_ids",
            "episode_list",
            "schedule",
            "characters",
            "staff",
            "localized_titles",
            "synopses",
        },
        rate_limits=(RateLimit(2, 1), RateLimit(60, 60)),
        credentials=(
            Credential(
                CLIENT_ID_ENV, "MyAnimeList API v2 client id (or set ANIME_MCP_JIKAN_URL)", required=False
            ),
            Credential(
                JIKAN_URL_ENV,
                "base URL of a Jikan v4 compatible API, e.g. https://jikan.example.org/v4 "
                "(used without a client id, and for episodes and schedules)",
                required=False,
            ),
        ),
        capabilities={Capability.SEARCH, Capability.SEASON, Capability.SCHEDULE, Capability.EPISODES},
        formats=("mal-v2", "jikan-v4"),  # parse.MAL_V2, parse.JIKAN
        kinds=("anime", "search", "season", "episodes", "characters", "staff", "schedule"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "season": deferred(lambda: parse.parse_search),
        "episodes": deferred(lambda: parse.parse_episodes),
        "characters": deferred(lambda: parse.parse_characters),
        "staff": deferred(lambda: parse.parse_staff),
        "schedule": deferred(lambda: parse.parse_schedule),
    }
    policy = HttpPolicy(forbidden_is_auth=True)

    # --- which API ---------------------------------------------------------------------------------
    def _client_id(self) -> str | None:
        return self.env(CLIENT_ID_ENV)

    def _jikan(self, need: str | None = None) -> str | None:
        base = self.env(JIKAN_URL_ENV)
        if base is None and need is not None:
            raise Unavailable(f"{need} come from a Jikan compatible API: set {JIKAN_URL_ENV}", source="mal")
        return base.rstrip("/") if base else None

    def _require_backend(self) -> None:
        if self._client_id() is None and self._jikan() is None:
            raise AuthRequired(
                f"set {CLIENT_ID_ENV} (MyAnimeList API v2) or {JIKAN_URL_ENV} (a Jikan v4 compatible API)",
                source="mal",
            )

    def _v2_headers(self) -> dict[str, str]:
        return {"X-MAL-CLIENT-ID": self._client_id() or ""}

    async def _get(
        self, url: str, *, params: Mapping[str, Any] | None = None, v2: bool = False
    ) -> HttpResponse:
        headers = self._v2_headers() if v2 else None
        return await self.http.get(url, params=params, headers=headers, detect_error=_DETECT)

    # --- the port ----------------------------------------------------------------------------------
    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        self._require_backend()
        if self._client_id() is not None:
            response = await self._get(f"{API_V2}/anime/{pid.id}", params={"fields": V2_FIELDS}, v2=True)
        else:
            response = await self._get(f"{self._jikan()}/anime/{pid.id}/full")
        record = parse.parse_anime(response.content, url=response.url, fetched_at=self.now())
        return await self._with_credits(record, fields)

    async def _with_credits(self, record: SourceRecord, fields: frozenset[str]) -> SourceRecord:
        """Characters and staff, when asked for: one more Jikan request each (MAL API v2 has none).

        Without a Jikan URL, or when one of those requests fails, the record simply lacks that field."""
        base = self._jikan()
        if base is None:
            return record
        found: dict[str, Any] = {}
        for name, parser in (("characters", parse.parse_characters), ("staff", parse.parse_staff)):
            if name not in fields:
                continue
            try:
                response = await self._get(f"{base}/anime/{record.platform_id.id}/{name}")
                found[name] = tuple(parser(response.content, url=response.url))
            except SourceError:
                continue  # the anime's record stands without this list
        if not found:
            return record
        return attrs.evolve(record, fields=record.fields | found.keys(), **found)

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        self._require_backend()
        if self._client_id() is not None:
            response = await self._get(
                f"{API_V2}/anime",
                v2=True,
                params={"q": title[:64], "limit": min(limit, 100), "fields": V2_LIST_FIELDS},
            )
        else:
            response = await self._get(f"{self._jikan()}/anime", params={"q": title, "limit": min(limit, 25)})
        return parse.parse_search(response.content, url=response.url)[:limit]

    async def season(self, year: int, season: Season, *, limit: int = 100) -> list[SearchCandidate]:
        return await self._guard(lambda: self._season(year, season, limit))

    async def _season(self, year: int, season: Season, limit: int) -> list[SearchCandidate]:
        self._require_backend()
        name = season.value.lower()
        if self._client_id() is not None:
            response = await self._get(
                f"{API_V2}/anime/season/{year}/{name}",
                v2=True,
                params={"limit": min(limit, 500), "fields": V2_LIST_FIELDS},
            )
            return parse.parse_search(response.content, url=response.url)[:limit]
        return await self.follow_pages(
            f"{self._jikan()}/seasons/{year}/{name}",
            lambda r: _page_of(parse.parse_search(r.content, url=r.url), r),
            limit=limit,
            detect_error=_DETECT,
        )

    async def schedule(self, *, day: dt.date | None = None, kind: AirKind = AirKind.SUB) -> list[AiringSlot]:
        return await self._guard(lambda: self._schedule(day or self.now().date()))

    async def _schedule(self, day: dt.date) -> list[AiringSlot]:
        """Jikan's broadcast slots of ``day``'s weekday (Japanese broadcast times: raw airings)."""
        base = self._jikan(need="broadcast schedules")
        response = await self._get(f"{base}/schedules", params={"filter": WEEKDAYS[day.weekday()]})
        return parse.parse_schedule(response.content, url=response.url)

    async def episodes(self, pid: PlatformId, *, limit: int = 500) -> list[Episode]:
        return await self._guard(lambda: self._episodes(pid, limit))

    async def _episodes(self, pid: PlatformId, limit: int) -> list[Episode]:
        base = self._jikan(need="episode lists")
        return await self.follow_pages(
            f"{base}/anime/{pid.id}/episodes",
            lambda r: parse.parse_episodes(r.content, url=r.url),
            limit=limit,
            detect_error=_DETECT,
        )

    async def ping(self) -> None:
        await super().ping()
        self._require_backend()
        if self._client_id() is not None:
            await self._get(f"{API_V2}/anime/1", params={"fields": "id,title"}, v2=True)
        else:
            await self._get(f"{self._jikan()}/anime/1")

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        detected = parse.detect_format(document)
        if format is not None and format != detected:
            raise ParseError(f"the document is {detected}, not {format}", source="mal")
        return super().document_parser(kind, format, document)


def _page_of(items: list[SearchCandidate], response: HttpResponse) -> Page[SearchCandidate]:
    """Jikan list pagination: the next page while ``pagination.has_next_page`` says so."""
    from anime_mcp.adapters.source_toolkit import load_json  # with the parse module: not at start

    document = load_json(response.content, source="mal")
    pagination = document.get("pagination") if isinstance(document, dict) else None
    has_next = isinstance(pagination, dict) and pagination.get("has_next_page") is True
    current = pagination.get("current_page", 1) if isinstance(pagination, dict) else 1
    next_url = None
    if has_next and isinstance(current, int):
        base = response.url.split("?", 1)[0]
        next_url = f"{base}?page={current + 1}"
    return Page(items=tuple(items), next_url=next_url)


@hookimpl
def register_sources(register: Register) -> None:
    register(MalSource())
