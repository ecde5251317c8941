"""notify.moe as a live source (JSON, no credentials): anime by notify id; relations on request.

notify.moe is barely maintained; it stays a source because its ids are in the catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import attrs

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.notify import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.notify.parse")

API = "https://notify.moe/api"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class NotifySource(HttpSource):
    info = SourceInfo(
        id="notify",
        platform=Platform.NOTIFY,
        kind="api",
        name="notify.moe",
        homepage="https://notify.moe",
        fields=ESSENTIAL_FIELDS
        | {"end_date", "genres", "cross_ids", "relations", "localized_titles", "synopses"},
        rate_limits=(RateLimit(2, 1), RateLimit(60, 60)),
        formats=("notify-json",),
        kinds=("anime", "relations"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {"relations": deferred(lambda: parse.parse_relations)}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(f"{API}/anime/{pid.id}", detect_error=_DETECT)
        record = parse.parse_anime(response.content, url=response.url, fetched_at=self.now())
        if "relations" not in fields:
            return record
        related = await self.http.get(f"{API}/animerelations/{pid.id}", detect_error=_DETECT)
        relations = parse.parse_relations(related.content, url=related.url)
        return attrs.evolve(record, relations=tuple(relations), fields=record.fields | {"relations"})


@hookimpl
def register_sources(register: Register) -> None:
    register(NotifySource())
