"""aniSearch as a scraped source: the public anime page (``https://www.anisearch.com/anime/<id>``).

aniSearch has no public API. One page gives titles (original, English, German, ...), synopses per language,
the rating (0.1-5 stars), genres and tags, type, episodes, dates, status and studios; the relations box of
the page names the main relations, and the relations page (``.../relations``, one more request, sent only
when the caller asks for ``relations``) lists them all. Parsing is in ``parse.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

import attrs

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import DocumentParser, RecordParser
from anime_mcp.adapters.scraping import SCRAPE_RATE_LIMITS, ScrapedSource
from anime_mcp.core.errors import SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.anisearch import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.anisearch.parse")

PAGE = "https://www.anisearch.com/anime/{}"
_DETECT = HttpSource.detector(deferred(lambda: parse.detect_error))


class AnisearchSource(ScrapedSource):
    info = SourceInfo(
        id="anisearch",
        platform=Platform.ANISEARCH,
        kind="scrape",
        name="aniSearch",
        homepage="https://www.anisearch.com",
        fields=ESSENTIAL_FIELDS | {"studios", "genres", "tags", "relations", "localized_titles", "synopses"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("anisearch-html",),
        kinds=("anime", "relations"),
    )
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {"anime": deferred(lambda: parse.parse_anime)}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {"relations": deferred(lambda: parse.parse_relations)}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        url = PAGE.format(pid.id)
        response = await self.page(url, detect_error=_DETECT)
        record = parse.parse_anime(response.content, fetched_at=self.now(), url=response.url)
        if "relations" not in fields:
            return record
        try:
            listing = await self.page(f"{url}/relations", detect_error=_DETECT)
            relations = parse.parse_relations(listing.content)
        except SourceError:
            return record  # the page's own relations box stands
        if not relations and record.relations:
            return record
        return attrs.evolve(record, relations=tuple(relations), fields=record.fields | {"relations"})


@hookimpl
def register_sources(register: Register) -> None:
    register(AnisearchSource())
