"""AniDB as a live source: the HTTP API (XML, gzip), with AniDB's rules built into the policy.

AniDB bans clients that flood it or repeat requests: at most one request every 2 s (and a stricter long
window), answers cached for a day, no retries, and a breaker that opens on the first ban notice and stays
open for half an hour. A registered client name and version (``ANIME_MCP_ANIDB_CLIENT``,
``ANIME_MCP_ANIDB_CLIENTVER``) is required. ``ping`` sends nothing: a request only to say hello is what
AniDB asks clients not to do. Episodes, characters and staff come from the same document as the anime (one
request, cached); characters and staff are parsed into the record only when the caller asks for them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpPolicy, HttpResponse, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import Episode, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, Credential, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.anidb import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.anidb.parse")

API = "http://api.anidb.net:9001/httpapi"
CLIENT_ENV = "ANIME_MCP_ANIDB_CLIENT"
CLIENTVER_ENV = "ANIME_MCP_ANIDB_CLIENTVER"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class AnidbSource(HttpSource):
    info = SourceInfo(
        id="anidb",
        platform=Platform.ANIDB,
        kind="api",
        name="AniDB",
        homepage="https://anidb.net",
        fields=ESSENTIAL_FIELDS
        | {
            "end_date",
            "studios",
            "tags",
            "streaming",
            "relations",
            "cross_ids",
            "episode_list",
            "characters",
            "staff",
            "localized_titles",
            "synopses",
        },
        rate_limits=(RateLimit(1, 2), RateLimit(100, 3600)),
        credentials=(
            Credential(CLIENT_ENV, "registered AniDB HTTP API client name (anidb.net/software/add)"),
            Credential(CLIENTVER_ENV, "the registered client's version number"),
        ),
        capabilities={Capability.EPISODES},
        formats=("anidb-xml",),
        kinds=("anime", "episodes", "characters", "staff", "error"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "episodes": deferred(lambda: parse.parse_episodes),
        "characters": deferred(lambda: parse.parse_characters),
        "staff": deferred(lambda: parse.parse_staff),
    }
    policy = HttpPolicy(
        max_retries=0,  # a repeated request is what gets clients banned
        cache_ttl=24 * 3600,
        failure_threshold=2,
        recovery_timeout=1800,
        max_concurrency=1,
        header_window=None,
    )

    async def _anime_document(self, pid: PlatformId) -> HttpResponse:
        params = {
            "request": "anime",
            "client": self.require_env(CLIENT_ENV),
            "clientver": self.require_env(CLIENTVER_ENV),
            "protover": "1",
            "aid": pid.id,
        }
        return await self.http.get(
            API, params=params, headers={"accept-encoding": "gzip"}, detect_error=_DETECT
        )

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self._anime_document(pid)
        credits = fields & set(parse.CREDITS)  # in the same document: filled only when asked for
        return parse.parse_anime(response.content, url=response.url, fetched_at=self.now(), credits=credits)

    async def episodes(self, pid: PlatformId, *, limit: int = 500) -> list[Episode]:
        return await self._guard(lambda: self._episodes(pid, limit))

    async def _episodes(self, pid: PlatformId, limit: int) -> list[Episode]:
        response = await self._anime_document(pid)
        return list(parse.parse_episodes(response.content, url=response.url).items)[:limit]


@hookimpl
def register_sources(register: Register) -> None:
    register(AnidbSource())
