"""A template anime-mcp source: AnimeCountdown through a (made-up) JSON API.

Copy this distribution, rename the module and the entry point, then change ``info``, the request in
``_fetch`` and ``parse_anime``. Everything else (rate limits, retries, breaker, coalescing, typed errors,
no raw exceptions) comes from ``HttpSource`` and the shared HTTP runtime anime-mcp binds your source to;
loading documents safely, the HTTP error policy and building records come from the public source toolkit,
``anime_mcp.adapters.source_toolkit``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.source_base import DocumentParser
from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    clean_str,
    detect_http_error,
    guarded,
    guarded_detector,
    json_object_or_none,
    load_json,
    positive_int,
    require_id,
)
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.source import Credential, RateLimit, SourceInfo

SOURCE = "example"
API = "https://api.animecountdown.example/v1"
TOKEN_ENV = "ANIME_MCP_EXAMPLE_TOKEN"


@guarded(SOURCE)
def parse_anime(body: bytes, *, fetched_at: dt.datetime) -> SourceRecord:
    """Pure: one answer of ``GET /anime/{id}`` -> a record that names the fields it really filled."""
    document = load_json(body, source=SOURCE)  # size cap, HTML/challenge pages, bad JSON: typed errors
    if not isinstance(document, dict):
        raise ParseError("expected a JSON object", source=SOURCE)
    if document.get("error") == "not_found":
        raise NotFound("AnimeCountdown has no such anime", source=SOURCE)
    record = RecordBuilder(require_id(Platform.ANIMECOUNTDOWN, document.get("id"), source=SOURCE))
    title = clean_str(document.get("title"))
    if title is None:
        raise ParseError("the document has no title", source=SOURCE)
    record.set("title", title)
    record.set("episodes", positive_int(document.get("episodes")))
    return record.build(fetched_at=fetched_at, url=f"https://animecountdown.com/{record.pid.id}")


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error an answer stands for: the API's own error body first, then the HTTP error policy."""
    document = json_object_or_none(body, source=SOURCE)
    if isinstance(document, dict) and document.get("error") == "not_found":
        return NotFound("AnimeCountdown has no such anime", source=SOURCE)
    return detect_http_error(status, body, source=SOURCE, headers=headers)


class ExampleSource(HttpSource):
    info = SourceInfo(
        id=SOURCE,
        platform=Platform.ANIMECOUNTDOWN,
        kind="api",
        name="AnimeCountdown (example)",
        fields={"title", "episodes"},
        rate_limits=(RateLimit(1, 1), RateLimit(30, 60)),
        credentials=(Credential(TOKEN_ENV, "API token of the example service"),),
        formats=("example-json",),
    )

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(
            f"{API}/anime/{pid.id}",
            headers={"authorization": f"Bearer {self.require_env(TOKEN_ENV)}"},
            detect_error=HttpSource.detector(detect_error),
        )
        return parse_anime(response.content, fetched_at=self.now())

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        fetched_at = self.now()
        return lambda body: parse_anime(body, fetched_at=fetched_at)


@hookimpl
def register_sources(register):  # type: ignore[no-untyped-def]
    register(ExampleSource())
