"""Tests hand fakes to the composition root, and every face works on them: no SQLite, no model, no Qdrant.

The fakes pass the same contract suites as the real adapters (tests/test_*_contract.py), so what runs here
is the application's own logic: use cases, tools, validation and rendering.
"""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest
from shared_data import DATA, require_shared

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import App, Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndexBackend


@pytest.fixture
def app(tmp_path: Path) -> App:
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    catalogue = FakeCatalogue(AodJsonReader().read(example, strict=True).entries)
    settings = Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": ""})
    provider, backend, encoder = FakeEmbedderProvider(), FakeIndexBackend(), Bm25SparseEncoder()
    build_index(catalogue, provider.embedder, encoder, backend)

    def search() -> SearchComponents:
        model = provider.describe(tmp_path)
        return SearchComponents(settings.search, tmp_path, model, provider, backend, encoder)

    return bootstrap(settings, overrides=Overrides(catalogue=lambda: catalogue, search=search))


def call(app: App, tool: str, **arguments: object) -> dict[str, object]:
    runtime = Runtime(app)
    result = anyio.run(lambda: build_tools(runtime).call(runtime, tool, arguments, face="test"))
    return dict(result.output)


def test_lookups_and_searches_run_on_the_fakes(app: App) -> None:
    loaded = [p["name"] for p in app.plugins.list_plugins() if p["status"] != "disabled"]
    assert loaded == []  # no plugin was loaded: the fakes are all there is
    found = call(app, "get_anime_by_id", anime_id="https://kitsu.app/anime/1376")
    assert found["anime"]["title"] == "Death Note"  # type: ignore[index]
    hits = call(app, "search_anime", query="death note", limit=3)
    assert hits["results"][0]["title"] == "Death Note"  # type: ignore[index]


def test_the_app_reports_the_fakes_as_its_ports(app: App) -> None:
    assert isinstance(app.catalogue, FakeCatalogue)
    assert app.open_catalogue() is app.catalogue
    assert isinstance(app.search_parts().backend, FakeIndexBackend)
