"""Anime-Planet as a scraped source: the anime page of a slug, read by ``parse``.

One request per second at most (``SCRAPE_RATE_LIMITS``), robots.txt obeyed, pages cached for days; the site
sits behind Cloudflare, so requests go through cloudscraper when the runtime reaches the network. Turn it
off with ``[plugins] disable = ["animeplanet"]``; tune it under ``[sources.animeplanet]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import attrs

from anime_mcp.adapters.http import HttpPolicy, HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import RecordParser
from anime_mcp.adapters.scraping import SCRAPE_POLICY, SCRAPE_RATE_LIMITS, ScrapedSource
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.animeplanet import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.animeplanet.parse")


class AnimePlanetSource(ScrapedSource):
    info = SourceInfo(
        id="animeplanet",  # parse.SOURCE
        platform=Platform.ANIMEPLANET,
        kind="scrape",
        name="Anime-Planet",
        homepage="https://www.anime-planet.com",  # parse.SITE
        fields=ESSENTIAL_FIELDS | {"localized_titles", "end_date", "rank", "studios", "tags", "relations"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("animeplanet-html",),
        kinds=("anime",),
    )
    policy: ClassVar[HttpPolicy] = attrs.evolve(SCRAPE_POLICY, cloudflare=True)
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.page(
            f"{parse.SITE}/anime/{pid.id}", detect_error=HttpSource.detector(parse.detect_error)
        )
        return parse.parse_anime(response.content, fetched_at=self.now())


@hookimpl
def register_sources(register: Register) -> None:
    register(AnimePlanetSource())
