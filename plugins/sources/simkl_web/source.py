"""Simkl's public anime page as a scraped source: the fallback of ``simkl`` (the API, which needs a client
id) when that source has no credentials or fails. Parsing is in ``parse.py``."""

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
    from anime_mcp.plugins.sources.simkl_web import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.simkl_web.parse")


class SimklWebSource(WebPageSource):
    info = SourceInfo(
        id="simkl_web",
        platform=Platform.SIMKL,
        kind="scrape",
        name="Simkl (web page)",
        homepage="https://simkl.com",
        fields=ESSENTIAL_FIELDS | {"studios", "genres", "tags", "localized_titles"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("simkl-html",),
        kinds=("anime", "error"),
    )
    page_url = "https://simkl.com/anime/{}"
    page_parser = staticmethod(deferred(lambda: parse.parse_anime))
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    error_detector = staticmethod(deferred(lambda: parse.detect_error))


@hookimpl
def register_sources(register: Register) -> None:
    register(SimklWebSource())
