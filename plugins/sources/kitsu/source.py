"""Kitsu as a live source: JSON:API with ``include=`` (genres, categories, studios, relations, cross ids,
streaming links in one request), title search, and paginated episodes (following ``links.next``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import Episode, SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.kitsu import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.kitsu.parse")

API = "https://kitsu.app/api/edge"
HEADERS = {"accept": "application/vnd.api+json"}
INCLUDE = ",".join(
    (
        "categories",
        "genres",
        "animeProductions.producer",
        "mediaRelationships.destination",
        "mappings",
        "streamingLinks.streamer",
    )
)
SPARSE_FIELDS = {"fields[categories]": "title", "fields[genres]": "name", "fields[producers]": "name"}
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class KitsuSource(HttpSource):
    info = SourceInfo(
        id="kitsu",
        platform=Platform.KITSU,
        kind="api",
        name="Kitsu",
        homepage="https://kitsu.app",
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
            "localized_titles",
            "synopses",
        },
        rate_limits=(RateLimit(4, 1), RateLimit(120, 60)),  # Kitsu publishes none: stay polite
        capabilities={Capability.SEARCH, Capability.EPISODES},
        formats=("kitsu-jsonapi",),
        kinds=("anime", "search", "episodes", "streaming"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "episodes": deferred(lambda: parse.parse_episodes),
        "streaming": deferred(lambda: parse.parse_streaming_links),
    }
    ping_id = None

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        key = "filter[id]" if pid.id.isdigit() else "filter[slug]"
        params = {key: pid.id, "include": INCLUDE, **SPARSE_FIELDS}
        response = await self.http.get(f"{API}/anime", params=params, headers=HEADERS, detect_error=_DETECT)
        return parse.parse_anime(response.content, url=response.url, fetched_at=self.now())

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        params = {"filter[text]": title, "page[limit]": str(min(limit, 20))}
        response = await self.http.get(f"{API}/anime", params=params, headers=HEADERS, detect_error=_DETECT)
        return parse.parse_search(response.content, url=response.url)[:limit]

    async def episodes(self, pid: PlatformId, *, limit: int = 500) -> list[Episode]:
        return await self._guard(lambda: self._episodes(pid, limit))

    async def _episodes(self, pid: PlatformId, limit: int) -> list[Episode]:
        if not pid.id.isdigit():
            pid = (await self.fetch(pid, frozenset({"title"}))).platform_id
        return await self.follow_pages(
            f"{API}/anime/{pid.id}/episodes",
            lambda r: parse.parse_episodes(r.content, url=r.url),
            limit=limit,
            params={"page[limit]": "20", "sort": "number"},
            headers=HEADERS,
            detect_error=_DETECT,
        )

    async def ping(self) -> None:
        await super().ping()
        await self.http.get(
            f"{API}/anime",
            params={"filter[id]": "1", "fields[anime]": "slug"},
            headers=HEADERS,
            detect_error=_DETECT,
        )


@hookimpl
def register_sources(register: Register) -> None:
    register(KitsuSource())
