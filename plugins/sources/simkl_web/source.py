"""Simkl's public anime page as a scraped source: the fallback of ``simkl`` (the API, which needs a client
id) when that source has no credentials or fails. Parsing is in ``parse.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from anime_mcp.adapters.http.source_base import RecordParser
from anime_mcp.adapters.scraping import SCRAPE_RATE_LIMITS
from anime_mcp.core.platforms import Platform
from anime_mcp.plugins.sources.simkl_web import parse
from anime_mcp.plugins.sources.web_source import WebPageSource
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, SourceInfo


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
    page_parser = staticmethod(parse.parse_anime)
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": parse.parse_anime,
        "error": parse.parse_anime,
    }
    error_detector = staticmethod(parse.detect_error)


@hookimpl
def register_sources(register: Register) -> None:
    register(SimklWebSource())
