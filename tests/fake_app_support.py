"""A runtime over fakes (the Death Note example catalogue, the fake embedder and index; no plugin, no model,
no network) for tests of the HTTP faces that need no real search: access control, schemathesis, MCP fuzz."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from attrs import evolve
from shared_data import DATA, require_shared

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndexBackend


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("offline in tests", request=request)


def fake_runtime(home: Path, *, sources: bool = False, **serve: Any) -> Runtime:
    """``serve``: ``ServeSettings`` fields (``warm_up`` is off unless given). ``sources``: load the installed
    plugins (so every tool exists), their platforms unreachable (every request fails to connect)."""
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    catalogue = FakeCatalogue(AodJsonReader().read(example, strict=True).entries)
    environ = {"ANIME_MCP_HOME": str(home)} | ({} if sources else {"ANIME_MCP_LOAD_PLUGINS": ""})
    settings = Settings.load(environ)
    settings = evolve(settings, serve=ServeSettings(**{"warm_up": False, **serve}))
    provider, backend, encoder = FakeEmbedderProvider(), FakeIndexBackend(), Bm25SparseEncoder()
    build_index(catalogue, provider.embedder, encoder, backend)

    def search() -> SearchComponents:
        return SearchComponents(settings.search, home, provider.describe(home), provider, backend, encoder)

    fakes = Overrides(
        catalogue=lambda: catalogue,
        search=search,
        env={},
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(offline)),
        http_transport=httpx.MockTransport(offline),
    )
    return Runtime(bootstrap(settings, overrides=fakes))
