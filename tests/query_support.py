"""A small catalogue of real entries (../shared/data) on the in-memory fakes, for query_anime's tests: the
titles the questions name, a year of anime (2021), the season of the reference time (fall 2026), shounen
anime and a few psychological thrillers, each picked by its raw line so that the whole catalogue is never
parsed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zstandard
from shared_data import CATALOGUE, require_shared

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import App, Overrides, bootstrap
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndexBackend

NOW = "2026-11-21T12:00:00+00:00"  # a Saturday in fall 2026, as in ../shared/queries/README.md
NAMED = (1535, 19, 1, 20, 21, 5114, 52991, 9253, 16498, 11061, 1575)  # Death Note, Monster, Cowboy Bebop, ...
PICKS = (
    (b'"year":2021}', 30),
    (b'"season":"FALL","year":2026}', 40),
    (b'"shounen"', 40),
    (b'"psychological"', 25),
)


def small_catalogue(folder: Path) -> list[CatalogueEntry]:
    """The picked lines of the real catalogue, read by the real reader (strict)."""
    data = zstandard.ZstdDecompressor().decompress(require_shared(CATALOGUE).read_bytes())
    header, *lines = data.split(b"\n")
    wanted = {f'"https://myanimelist.net/anime/{mal}"'.encode() for mal in NAMED}
    chosen = [line for line in lines if any(key in line for key in wanted)]
    for needle, count in PICKS:
        chosen += [line for line in lines if needle in line][:count]
    path = folder / "small.jsonl"
    path.write_bytes(b"\n".join([header, *dict.fromkeys(chosen)]))
    return list(AodJsonlReader().read(path, strict=True).entries)


def fake_app(folder: Path, entries: list[CatalogueEntry], **environ: str) -> App:
    """The app on the fakes (catalogue, index, embedder); the plugins ``environ`` allows (none by default)."""
    catalogue = FakeCatalogue(entries)
    settings = Settings.load({"ANIME_MCP_HOME": str(folder), "ANIME_MCP_LOAD_PLUGINS": "", **environ})
    provider, backend, encoder = FakeEmbedderProvider(), FakeIndexBackend(), Bm25SparseEncoder()
    build_index(catalogue, provider.embedder, encoder, backend)

    def search() -> SearchComponents:
        return SearchComponents(
            settings.search, folder, provider.describe(folder), provider, backend, encoder
        )

    return bootstrap(settings, overrides=Overrides(catalogue=lambda: catalogue, search=search))


def ids(answer: dict[str, Any]) -> list[str]:
    return [item["anime_id"] for item in answer["results"]]
