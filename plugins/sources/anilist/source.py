"""AniList as a live source: GraphQL, one query per need (detail, search, season page, airing schedule).

AniList announces 90 requests/minute but serves 30/minute in its degraded mode; the shared HTTP client
learns the real limit from the first 429 (see adapters/http/ratelimit.py). Queries are POSTs, but they
read only, so they are marked idempotent: coalesced, retried and cached like GETs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from anime_mcp.adapters.http import HttpPolicy, HttpResponse, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.anilist import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.anilist.parse")

ENDPOINT = "https://graphql.anilist.co"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))

MEDIA_FIELDS = """
  id idMal countryOfOrigin type format status episodes duration season seasonYear averageScore meanScore
  popularity
  title { romaji english native userPreferred } synonyms description(asHtml: false) genres
  startDate { year month day } endDate { year month day }
  coverImage { extraLarge large medium }
  studios { edges { isMain node { id name isAnimationStudio } } }
  relations { edges { relationType node { id idMal type format title { romaji english native } } } }
  externalLinks { url site type }
  rankings { rank type allTime format season year }
  tags { name rank isMediaSpoiler isGeneralSpoiler }
  stats { scoreDistribution { score amount } }
  nextAiringEpisode { airingAt episode }
  recommendations(sort: [RATING_DESC, ID], perPage: 25) { nodes { rating
    mediaRecommendation { id idMal type format title { romaji userPreferred } } } }
"""
LIST_FIELDS = """
  id idMal type format status episodes seasonYear averageScore meanScore
  title { romaji english native userPreferred } synonyms coverImage { large medium }
  startDate { year month day }
"""
# Asked for only when the caller wants them: the same request, a larger answer.
CHARACTER_FIELDS = """
  characters(sort: [ROLE, RELEVANCE, ID], perPage: 25) { edges { role
    node { id name { full native } image { large } siteUrl }
    voiceActors(language: JAPANESE, sort: [RELEVANCE, ID]) { id name { full native } image { large }
      languageV2 siteUrl } } }
"""
STAFF_FIELDS = """
  staff(sort: [RELEVANCE, ID], perPage: 25) { edges { role node { id name { full native } image { large }
    siteUrl } } }
"""


def media_query(fields: frozenset[str]) -> str:
    """The detail query, with the characters and staff blocks when ``fields`` names them."""
    extra = (CHARACTER_FIELDS if "characters" in fields else "") + (STAFF_FIELDS if "staff" in fields else "")
    return "query ($id: Int) { Media(id: $id, type: ANIME) {" + MEDIA_FIELDS + extra + "} }"


PING_QUERY = "query ($id: Int) { Media(id: $id, type: ANIME) { id title { romaji } } }"
SEARCH_QUERY = (
    "query ($search: String, $perPage: Int) { Page(page: 1, perPage: $perPage) {"
    " media(search: $search, type: ANIME, sort: SEARCH_MATCH) {" + LIST_FIELDS + "} } }"
)
SEASON_QUERY = (
    "query ($season: MediaSeason, $seasonYear: Int, $page: Int, $perPage: Int) {"
    " Page(page: $page, perPage: $perPage) { pageInfo { currentPage hasNextPage }"
    " media(season: $season, seasonYear: $seasonYear, type: ANIME, sort: POPULARITY_DESC) {"
    + LIST_FIELDS
    + "} } }"
)
SCHEDULE_QUERY = (
    "query ($from: Int, $to: Int, $page: Int) { Page(page: $page, perPage: 50) {"
    " pageInfo { currentPage hasNextPage }"
    " airingSchedules(airingAt_greater: $from, airingAt_lesser: $to, sort: TIME) {"
    " airingAt episode media {" + LIST_FIELDS + "} } } }"
)


class AnilistSource(HttpSource):
    info = SourceInfo(
        id="anilist",
        platform=Platform.ANILIST,
        kind="api",
        name="AniList",
        homepage="https://anilist.co",
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
            "schedule",
            "characters",
            "staff",
            "localized_titles",
            "synopses",
            "recommendations",
        },
        rate_limits=(RateLimit(90, 60),),  # announced; learned down to 30/min when AniList is degraded
        capabilities={Capability.SEARCH, Capability.SEASON, Capability.SCHEDULE},
        formats=("anilist-graphql",),
        kinds=("anime", "search", "season", "schedule", "characters", "staff"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "season": deferred(lambda: parse.parse_search),
        "schedule": deferred(lambda: parse.parse_schedule),
        "characters": deferred(lambda: parse.parse_characters),
        "staff": deferred(lambda: parse.parse_staff),
    }
    policy = HttpPolicy(header_window=60.0)
    ping_id = None

    async def _query(self, query: str, variables: dict[str, Any]) -> HttpResponse:
        return await self.http.post_json(
            ENDPOINT, {"query": query, "variables": variables}, idempotent=True, detect_error=_DETECT
        )

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self._query(media_query(fields), {"id": int(pid.id)})
        return parse.parse_anime(response.content, url=response.url, fetched_at=self.now())

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        response = await self._query(SEARCH_QUERY, {"search": title, "perPage": min(limit, 50)})
        return parse.parse_search(response.content, url=response.url)[:limit]

    async def season(self, year: int, season: Season, *, limit: int = 100) -> list[SearchCandidate]:
        return await self._guard(lambda: self._season(year, season, limit))

    async def _season(self, year: int, season: Season, limit: int) -> list[SearchCandidate]:
        found: list[SearchCandidate] = []
        page = 1
        while len(found) < limit and page <= 20:
            variables = {"season": season.value, "seasonYear": year, "page": page, "perPage": 50}
            response = await self._query(SEASON_QUERY, variables)
            found.extend(parse.parse_search(response.content, url=response.url))
            _, has_next = parse.page_info(response.content)
            if not has_next:
                break
            page += 1
        return found[:limit]

    async def schedule(self, *, day: dt.date | None = None, kind: AirKind = AirKind.SUB) -> list[AiringSlot]:
        """Japanese airings (AniList's airing schedule) of the ISO week containing ``day``."""
        return await self._guard(lambda: self._schedule(day or self.now().date()))

    async def _schedule(self, day: dt.date) -> list[AiringSlot]:
        monday = day - dt.timedelta(days=day.weekday())
        start = dt.datetime.combine(monday, dt.time(), tzinfo=dt.UTC)
        span = {"from": int(start.timestamp()) - 1, "to": int((start + dt.timedelta(days=7)).timestamp())}
        slots: list[AiringSlot] = []
        for page in range(1, 11):
            response = await self._query(SCHEDULE_QUERY, {**span, "page": page})
            slots.extend(parse.parse_schedule(response.content, url=response.url))
            if not parse.page_info(response.content)[1]:
                break
        return slots

    async def ping(self) -> None:
        await super().ping()
        await self._query(PING_QUERY, {"id": 1})


@hookimpl
def register_sources(register: Register) -> None:
    register(AnilistSource())
