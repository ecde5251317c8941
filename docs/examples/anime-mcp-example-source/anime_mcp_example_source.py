"""A template anime-mcp source: AnimeCountdown through a (made-up) JSON API.

Copy this distribution, rename the module and the entry point, then change ``info``, the request in
``_fetch`` and ``parse_anime``. Everything else (rate limits, retries, breaker, coalescing, typed errors,
no raw exceptions) comes from ``HttpSource`` and the shared HTTP runtime anime-mcp binds your source to.
"""

from __future__ import annotations

import datetime as dt
import json

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.source_base import DocumentParser
from anime_mcp.core.errors import NotFound, ParseError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports import hookimpl
from anime_mcp.ports.source import Credential, RateLimit, SourceInfo

API = "https://api.animecountdown.example/v1"
TOKEN_ENV = "ANIME_MCP_EXAMPLE_TOKEN"


def parse_anime(body: bytes, *, fetched_at: dt.datetime) -> SourceRecord:
    """Pure: one answer of ``GET /anime/{id}`` -> a record that names the fields it really filled."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise ParseError(f"not JSON: {exc}", source="example") from None
    if not isinstance(document, dict):
        raise ParseError("expected a JSON object", source="example")
    if document.get("error") == "not_found":
        raise NotFound("AnimeCountdown has no such anime", source="example")
    try:
        pid = PlatformId(Platform.ANIMECOUNTDOWN, str(document["id"]))
        title = str(document["title"]).strip()
    except (KeyError, ValueError) as exc:
        raise ParseError(f"missing or invalid id/title: {exc}", source="example") from None
    values: dict[str, object] = {"title": title}
    episodes = document.get("episodes")
    if isinstance(episodes, int) and not isinstance(episodes, bool) and episodes > 0:
        values["episodes"] = episodes
    return SourceRecord(
        platform_id=pid,
        url=f"https://animecountdown.com/{pid.id}",
        fetched_at=fetched_at,
        fields=frozenset(values),
        **values,
    )  # type: ignore[arg-type]


class ExampleSource(HttpSource):
    info = SourceInfo(
        id="example",
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
            f"{API}/anime/{pid.id}", headers={"authorization": f"Bearer {self.require_env(TOKEN_ENV)}"}
        )
        return parse_anime(response.content, fetched_at=self.now())

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        fetched_at = self.now()
        return lambda body: parse_anime(body, fetched_at=fetched_at)


@hookimpl
def register_sources(register):  # type: ignore[no-untyped-def]
    register(ExampleSource())
