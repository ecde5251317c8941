"""Simkl as a live source (``client_id``): anime by Simkl id, title search, episode lists."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpPolicy, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import Episode, SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, Credential, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.simkl import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.simkl.parse")

API = "https://api.simkl.com"
CLIENT_ID_ENV = "ANIME_MCP_SIMKL_CLIENT_ID"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class SimklSource(HttpSource):
    info = SourceInfo(
        id="simkl",
        platform=Platform.SIMKL,
        kind="api",
        name="Simkl",
        homepage="https://simkl.com",
        fields=ESSENTIAL_FIELDS
        | {"rank", "genres", "cross_ids", "episode_list", "localized_titles", "synopses"},
        rate_limits=(RateLimit(1, 1), RateLimit(60, 60)),
        credentials=(Credential(CLIENT_ID_ENV, "Simkl API client id (simkl.com/settings/developer)"),),
        capabilities={Capability.SEARCH, Capability.EPISODES},
        formats=("simkl-json",),
        kinds=("anime", "search", "episodes"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "episodes": deferred(lambda: parse.parse_episodes),
    }
    policy = HttpPolicy(forbidden_is_auth=True)

    def _auth(self) -> dict[str, str]:
        return {"simkl-api-key": self.require_env(CLIENT_ID_ENV)}

    def _params(self, **extra: str) -> dict[str, str]:
        return {**extra, "client_id": self.require_env(CLIENT_ID_ENV)}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(
            f"{API}/anime/{pid.id}",
            params=self._params(extended="full"),
            headers=self._auth(),
            detect_error=_DETECT,
        )
        return parse.parse_anime(response.content, url=response.url, fetched_at=self.now())

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        response = await self.http.get(
            f"{API}/search/anime",
            params=self._params(q=title, extended="full"),
            headers=self._auth(),
            detect_error=_DETECT,
        )
        return parse.parse_search(response.content, url=response.url)[:limit]

    async def episodes(self, pid: PlatformId, *, limit: int = 500) -> list[Episode]:
        return await self._guard(lambda: self._episodes(pid, limit))

    async def _episodes(self, pid: PlatformId, limit: int) -> list[Episode]:
        return await self.follow_pages(
            f"{API}/anime/episodes/{pid.id}",
            lambda r: parse.parse_episodes(r.content, url=r.url),
            limit=limit,
            params=self._params(extended="full"),
            headers=self._auth(),
            detect_error=_DETECT,
        )

    async def ping(self) -> None:
        await super().ping()
        await self.http.get(
            f"{API}/anime/40398", params=self._params(), headers=self._auth(), detect_error=_DETECT
        )


@hookimpl
def register_sources(register: Register) -> None:
    register(SimklSource())
