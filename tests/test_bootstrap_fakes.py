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


def test_the_planner_vocabulary_is_built_once_for_a_burst_of_first_questions(tmp_path: Path) -> None:
    import threading
    import time

    example = require_shared(DATA / "examples" / "death-note.aod.json")

    class SlowCatalogue(FakeCatalogue):
        """Reading every entry takes a while, as for the real 36k catalogue: the builds would overlap."""

        reads = 0

        def entries(self):  # type: ignore[no-untyped-def]
            SlowCatalogue.reads += 1
            time.sleep(0.3)
            return super().entries()

    catalogue = SlowCatalogue(AodJsonReader().read(example, strict=True).entries)
    settings = Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": ""})
    app = bootstrap(settings, overrides=Overrides(catalogue=lambda: catalogue))
    start = threading.Barrier(6)
    built: list[object] = []

    def ask() -> None:
        start.wait()
        built.append(app.planner_vocabulary())

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(built) == 6 and all(vocabulary is built[0] for vocabulary in built)  # one build, shared
    assert SlowCatalogue.reads == 1
