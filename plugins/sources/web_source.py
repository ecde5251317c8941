"""``WebPageSource``: a scraped source that reads one public anime page per ``fetch`` (robots.txt, one
request per second, challenge pages ``Blocked``: ``anime_mcp.adapters.scraping.ScrapedSource``).

The web fallbacks (``mal_web``, ``anidb_web``, ``ann_web``, ``simkl_web``) serve the same platform as an API
source, for when that source has no credentials or fails: the enrichment planning asks a scraped source of a
platform only then (``core.services.enrichment``). A subclass names its ``info``, its ``page_url`` (one
``{}`` for the id), its module's ``parse_anime``/``detect_error`` and its ``record_parsers``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.scraping import ScrapedSource
from anime_mcp.core.errors import SourceError
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import SourceRecord

PageParser = Callable[..., SourceRecord]


class WebPageSource(ScrapedSource):
    page_url: ClassVar[str]
    page_parser: ClassVar[PageParser]
    error_detector: ClassVar[Callable[..., SourceError | None]]

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.page(
            self.page_url.format(pid.id), detect_error=HttpSource.detector(type(self).error_detector)
        )
        return type(self).page_parser(response.content, fetched_at=self.now(), url=response.url)
