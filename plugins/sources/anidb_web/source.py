"""AniDB's public anime page as a scraped source: the fallback of ``anidb`` (the HTTP API, which needs a
registered client) when that source has no credentials or fails. Parsing is in ``parse.py``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from anime_mcp.adapters.http.deferred import DeferredModule, deferred
from anime_mcp.adapters.http.source_base import RecordParser
from anime_mcp.core.platforms import Platform
from anime_mcp.plugins.sources.web_source import WebPageSource
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.source import ESSENTIAL_FIELDS, RateLimit, SourceInfo

if TYPE_CHECKING:
    from anime_mcp.plugins.sources.anidb_web import parse
else:  # imported on first use: every start (`anime-mcp mcp`) registers this source, few ask it anything
    parse = DeferredModule("anime_mcp.plugins.sources.anidb_web.parse")


class AnidbWebSource(WebPageSource):
    info = SourceInfo(
        id="anidb_web",
        platform=Platform.ANIDB,
        kind="scrape",
        name="AniDB (web page)",
        homepage="https://anidb.net",
        fields=ESSENTIAL_FIELDS | {"end_date", "tags", "localized_titles"},
        rate_limits=(RateLimit(1, 2),),  # AniDB bans floods: one page every two seconds
        formats=("anidb-html",),
        kinds=("anime", "error"),
    )
    page_url = "https://anidb.net/anime/{}"
    page_parser = staticmethod(deferred(lambda: parse.parse_anime))
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {
        "anime": deferred(lambda: parse.parse_anime),
        "error": deferred(lambda: parse.parse_anime),
    }
    error_detector = staticmethod(deferred(lambda: parse.detect_error))


@hookimpl
def register_sources(register: Register) -> None:
    register(AnidbWebSource())
