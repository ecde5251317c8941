"""Anime News Network's encyclopedia API as a live source (XML; up to 50 ids in one request).

``fetch_many`` asks for many anime in one ``api.xml?anime=1/5/100`` request, as ANN prefers; ``fetch`` is
the one-id case. Search uses ``api.xml?title=~name``. ANN asks for at most one request per second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.errors import NotFound
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, Capability, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.ann import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.ann.parse")

API = "https://cdn.animenewsnetwork.com/encyclopedia/api.xml"
BATCH_SIZE = 50
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class AnnSource(HttpSource):
    info = SourceInfo(
        id="ann",
        platform=Platform.ANN,
        kind="api",
        name="Anime News Network encyclopedia",
        homepage="https://www.animenewsnetwork.com/encyclopedia/",
        fields=ESSENTIAL_FIELDS
        | {"end_date", "studios", "genres", "tags", "relations", "episode_list", "characters", "staff"}
        | {"localized_titles", "synopses"},
        rate_limits=(RateLimit(1, 1), RateLimit(60, 60)),
        capabilities={Capability.SEARCH, Capability.BATCH},
        formats=("ann-xml",),
        kinds=("anime", "search", "episodes", "characters", "staff", "error"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime_batch),
        "error": deferred(lambda: parse.parse_anime_batch),
    }
    parsers: ClassVar[Mapping[str, DocumentParser]] = {
        "search": deferred(lambda: parse.parse_search),
        "episodes": deferred(lambda: parse.parse_episodes),
        "characters": deferred(lambda: parse.parse_characters),
        "staff": deferred(lambda: parse.parse_staff),
    }

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        found = await self._batch([pid], fields)
        if pid not in found:
            raise NotFound(f"ANN has no anime {pid.id}", source="ann")
        return found[pid]

    async def fetch_many(
        self, pids: Sequence[PlatformId], fields: Set[str] = frozenset()
    ) -> dict[PlatformId, SourceRecord]:
        wanted = [pid for pid in dict.fromkeys(pids) if pid.platform is Platform.ANN]
        return await self._guard(lambda: self._batch(wanted, fields))

    async def _batch(self, pids: list[PlatformId], fields: Set[str]) -> dict[PlatformId, SourceRecord]:
        credits = set(fields) & set(parse.CREDITS)  # in the same document: filled only when asked for
        found: dict[PlatformId, SourceRecord] = {}
        for start in range(0, len(pids), BATCH_SIZE):
            chunk = pids[start : start + BATCH_SIZE]
            response = await self.http.get(
                API, params={"anime": "/".join(p.id for p in chunk)}, detect_error=_DETECT
            )
            try:
                records = parse.parse_anime_batch(
                    response.content, url=response.url, fetched_at=self.now(), credits=credits
                )
            except NotFound:
                continue  # none of this chunk exists
            wanted = set(chunk)
            found.update((r.platform_id, r) for r in records if r.platform_id in wanted)
        return found

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        response = await self.http.get(API, params={"title": f"~{title}"}, detect_error=_DETECT)
        return parse.parse_search(response.content, url=response.url)[:limit]


@hookimpl
def register_sources(register: Register) -> None:
    register(AnnSource())
