"""Anime News Network's encyclopedia page as a scraped source: the fallback of ``ann`` (the XML API) when
that source fails. Parsing is in ``parse.py``."""

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
    from anime_mcp.plugins.sources.ann_web import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.ann_web.parse")


class AnnWebSource(WebPageSource):
    info = SourceInfo(
        id="ann_web",
        platform=Platform.ANN,
        kind="scrape",
        name="Anime News Network encyclopedia (web page)",
        homepage="https://www.animenewsnetwork.com/encyclopedia/",
        fields=ESSENTIAL_FIELDS | {"studios", "genres", "tags", "localized_titles"},
        rate_limits=SCRAPE_RATE_LIMITS,
        formats=("ann-html",),
        kinds=("anime", "error"),
    )
    page_url = "https://www.animenewsnetwork.com/encyclopedia/anime.php?id={}"
    page_parser = staticmethod(deferred(lambda: parse.parse_anime))
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    error_detector = staticmethod(deferred(lambda: parse.detect_error))


@hookimpl
def register_sources(register: Register) -> None:
    register(AnnWebSource())
