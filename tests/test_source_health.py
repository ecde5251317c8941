"""Health shows each source's state: credentials, breaker with its retry time, rate limit, last outcome and
last failure with their times, requests and cache hits (``GET /health``, the MCP health resource and
``anime-mcp sources`` share ``Runtime.describe_sources``). Kitsu answers its real Death Note recording, AniDB
answers 503 (its breaker set to open at the first failure), AniList answers 429 with ``Retry-After: 30``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from shared_data import DATA, FIXTURES, require_shared

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.adapters.http import make_async_client
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.entrypoints.source_presenters import state_line
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.entrypoints.tools.info import health
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndexBackend

KITSU = FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"
CONFIG = """
[sources.anidb]
failure_threshold = 1
recovery_timeout = 600
max_retries = 0

[sources.anilist]
max_retries = 0
"""


def platform(kitsu: bytes) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.host.endswith("kitsu.app"):
            return httpx.Response(200, content=kitsu)
        if request.url.host.endswith("anilist.co"):
            return httpx.Response(429, headers={"Retry-After": "30"}, text="Too Many Requests")
        return httpx.Response(503, text="Service Unavailable")

    return httpx.MockTransport(handle)


ANIDB_READY = {"ANIME_MCP_ANIDB_CLIENT": "animemcptest", "ANIME_MCP_ANIDB_CLIENTVER": "1"}


@pytest.fixture
def make_runtime(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], Runtime]]:
    """A runtime on fakes whose sources read credentials from the given environment."""
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    catalogue = FakeCatalogue(AodJsonReader().read(example, strict=True).entries)
    (tmp_path / "config.toml").write_text(CONFIG)
    settings = Settings.load(
        {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": "kitsu,anidb,anilist"}
    )
    provider, backend, encoder = FakeEmbedderProvider(), FakeIndexBackend(), Bm25SparseEncoder()
    build_index(catalogue, provider.embedder, encoder, backend)
    transport = platform(require_shared(KITSU).read_bytes())
    made: list[Runtime] = []

    def search() -> SearchComponents:
        return SearchComponents(
            settings.search, tmp_path, provider.describe(tmp_path), provider, backend, encoder
        )

    def make(env: dict[str, str]) -> Runtime:
        overrides = Overrides(
            catalogue=lambda: catalogue,
            search=search,
            http_client=lambda: make_async_client(transport),
            env=env,
        )
        made.append(Runtime(bootstrap(settings, overrides=overrides)))
        return made[-1]

    yield make
    for runtime in made:
        anyio.run(runtime.aclose)


def enhanced_search(runtime: Runtime, *sources: str) -> dict[str, Any]:
    tools = build_tools(runtime)
    arguments = {"query": "death note", "limit": 1, "enhance": True, "fields": ["synopsis"]}
    if sources:
        arguments["source"] = list(sources)
    return dict(anyio.run(lambda: tools.call(runtime, "search_anime", arguments)).output)


def sources_health(runtime: Runtime) -> dict[str, Any]:
    component: dict[str, Any] = health(runtime)["components"]["sources"]
    return component


def test_before_any_call_the_state_is_empty_and_the_old_keys_stay(
    make_runtime: Callable[[dict[str, str]], Runtime],
) -> None:
    runtime = make_runtime({"ANIME_MCP_ANIDB_CLIENT": "animemcptest"})  # CLIENTVER missing: not ready
    each = sources_health(runtime)["sources"]
    assert set(each) == {"anidb", "anilist", "kitsu"}
    anidb = each["anidb"]
    assert {"status", "breaker", "ready"} <= set(anidb)  # the keys health had before
    assert anidb["status"] == "unconfigured" and anidb["ready"] is False
    assert anidb["credentials"] == {"ANIME_MCP_ANIDB_CLIENT": "set", "ANIME_MCP_ANIDB_CLIENTVER": "missing"}
    assert anidb["last_outcome"] is None and anidb["last_error"] is None and anidb["requests_sent"] == 0
    assert state_line(runtime.describe_sources()[0]).startswith("breaker closed; no calls yet")


def test_health_shows_each_sources_outcome_breaker_and_rate_limit(
    make_runtime: Callable[[dict[str, str]], Runtime],
) -> None:
    runtime = make_runtime(ANIDB_READY)
    enhanced_search(runtime)
    # AniList is held back 30 s now (a second ask would wait past the deadline); Kitsu again comes from the
    # cache, AniDB's breaker is open.
    enhanced_search(runtime, "kitsu", "anidb")
    each = sources_health(runtime)["sources"]

    kitsu = each["kitsu"]
    assert kitsu["status"] == "ok" and kitsu["last_outcome"]["status"] == "contributed"
    assert kitsu["last_error"] is None and kitsu["requests_sent"] == 1 and kitsu["cache_hits"] == 1

    anidb = each["anidb"]
    assert anidb["status"] == "breaker open" and anidb["breaker"] == "open"
    assert 0 < anidb["breaker_retry_in"] <= 600 and "503" in anidb["breaker_last_error"]
    assert anidb["last_error"]["reason"].startswith("breaker open, retry in")
    assert anidb["last_error"]["at"] and anidb["requests_sent"] == 1  # the second call never left

    anilist = each["anilist"]
    assert anilist["last_error"]["reason"] == "rate limited, retry in 30 s"
    assert anilist["last_error"]["retry_after"] == 30.0
    assert 25 < anilist["rate_limit"]["blocked_for"] <= 30
    assert sources_health(runtime)["status"] == "degraded"

    line = state_line(next(d for d in runtime.describe_sources() if d["id"] == "anidb"))
    assert line.startswith("breaker open, retry in") and "last: failed (breaker open" in line


def test_a_repeated_reference_is_resolved_from_memory_until_the_snapshot_changes(
    make_runtime: Callable[[dict[str, str]], Runtime],
) -> None:
    runtime = make_runtime({})

    async def twice() -> tuple[object, object, object]:
        first = await runtime.resolve("mal:1535")
        again = await runtime.resolve("mal:1535")
        runtime.refresh()  # the same catalogue: the snapshot stays, and so does the memory
        third = await runtime.resolve("mal:1535")
        return first, again, third

    first, again, third = anyio.run(twice)
    assert first is again is third  # remembered: the same object, no second lookup
    assert first.entry.title == "Death Note"  # type: ignore[attr-defined]
    for _ in range(2):  # an unknown reference fails every time: nothing is remembered for it
        with pytest.raises(AnimeMcpError, match="no catalogue entry has mal:999999999"):
            anyio.run(lambda: runtime.resolve("mal:999999999"))
