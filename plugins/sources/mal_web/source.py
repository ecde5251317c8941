"""MyAnimeList's public anime page as a scraped source: the fallback of ``mal`` (API v2 / Jikan) when that
source has no credentials or fails. Parsing (desktop and smartphone layouts) is in ``parse.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import RecordParser
from anime_mcp.adapters.scraping import SCRAPE_RATE_LIMITS
from anime_mcp.core.platforms import Platform
from anime_mcp.plugins.sources.web_source import WebPageSource
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.mal_web import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.mal_web.parse")


class MalWebSource(WebPageSource):
    info = SourceInfo(
        id="mal_web",
        platform=Platform.MAL,
        kind="scrape",
        name="MyAnimeList (web page)",
        homepage="https://myanimelist.net",
        fields=ESSENTIAL_FIELDS
        | {"end_date", "rank", "studios", "genres", "tags", "relations", "localized_titles"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("mal-html",),
        kinds=("anime", "error"),
    )
    page_url = "https://myanimelist.net/anime/{}"
    page_parser = staticmethod(deferred(lambda: parse.parse_anime))
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    error_detector = staticmethod(deferred(lambda: parse.detect_error))


@hookimpl
def register_sources(register: Register) -> None:
    register(MalWebSource())
