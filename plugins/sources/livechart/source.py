"""LiveChart.me as a scraped source: the anime page of an id, read by ``parse`` (JSON-LD first).

One request per second at most (``SCRAPE_RATE_LIMITS``), robots.txt obeyed, pages cached for days. Turn it
off with ``[plugins] disable = ["livechart"]``; tune it under ``[sources.livechart]`` (``cloudflare = true``
if the site starts answering with Cloudflare challenges).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import RecordParser
from anime_mcp.adapters.scraping import SCRAPE_RATE_LIMITS, ScrapedSource
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.livechart import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.livechart.parse")


class LiveChartSource(ScrapedSource):
    info = SourceInfo(
        id="livechart",  # parse.SOURCE
        platform=Platform.LIVECHART,
        kind="scrape",
        name="LiveChart.me",
        homepage="https://www.livechart.me",  # parse.SITE
        fields=ESSENTIAL_FIELDS
        | {"localized_titles", "studios", "genres", "tags", "relations", "streaming", "cross_ids"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("livechart-html",),
        kinds=("anime",),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.page(
            f"{parse.SITE}/anime/{pid.id}", detect_error=HttpSource.detector(parse.detect_error)
        )
        return parse.parse_anime(response.content, fetched_at=self.now())


@hookimpl
def register_sources(register: Register) -> None:
    register(LiveChartSource())
