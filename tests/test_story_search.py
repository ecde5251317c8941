"""Issue 14's Done-when, proven on a catalogue slice: after the anime-mapper dump fills the enrichment store,
searching "a student finds a notebook that kills anyone whose name is written in it" has Death Note in the
top 3 (before the content vector, Kill la Kill came first), while "death note" still finds Death Note first.

Death Note, the entries that won before (Kill la Kill, All You Need Is Kill, ...) and about fifty others of
the real catalogue, their real records of ../shared/data/mal-details.jsonl.zst imported by the real plugin,
the real MiniLM, the embedded Qdrant index: the whole path but small (a few seconds, no full rebuild)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import zstandard
from search_support import MINILM, catalogue_lines, pick_lines, write_slice
from shared_data import DATA, require_shared

from anime_mcp.adapters.anime_mapper_dump import AnimeMapperDump
from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore
from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.adapters.story_lexical import StoryBm25Encoder
from anime_mcp.core.filters import SearchMode
from anime_mcp.core.services.bulk_import import import_dump
from anime_mcp.core.services.catalogue import ingest_file
from anime_mcp.core.services.indexing import build_index, content_texts
from anime_mcp.core.services.search import SearchService
from anime_mcp.ports.embedder import ModelInfo

pytestmark = pytest.mark.integration  # the real MiniLM model

DONE_WHEN = "a student finds a notebook that kills anyone whose name is written in it"
DEATH_NOTE = "mal-1535"
RIVALS = (
    "Kill la Kill",
    "All You Need Is Kill",
    "Hige wo Soru. Soshite Joshikousei wo Hirou.",
    "Death Parade",
)


def _mal_ids(lines: list[str]) -> set[int]:
    found = set()
    for line in lines:
        for url in json.loads(line)["sources"]:
            if url.startswith("https://myanimelist.net/anime/"):
                found.add(int(url.rsplit("/", 1)[1]))
    return found


def _dump_slice(path: Path, mal_ids: set[int]) -> Path:
    """The dump's records of these MAL ids, as the dump has them."""
    with require_shared(DATA / "mal-details.jsonl.zst").open("rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8")
        kept = [line for line in text if json.loads(line).get("idMal") in mal_ids]
    path.write_text("".join(kept), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> SearchService:
    folder = tmp_path_factory.mktemp("story")
    metadata, lines = catalogue_lines()
    chosen = pick_lines(lines[::1], every=700, titles=("Death Note", *RIVALS))
    catalogue = SqliteCatalogueStore(folder / "store")
    ingest_file(write_slice(folder / "slice.jsonl", metadata, chosen), [AodJsonlReader()], catalogue)
    enrichment = SqliteEnrichmentStore(folder / "store")
    report = import_dump(
        _dump_slice(folder / "dump.jsonl", _mal_ids(chosen)), [AnimeMapperDump()], catalogue, enrichment
    )
    assert report.matched >= 30
    embedder = OnnxTextEmbedder(require_shared(MINILM))
    encoder = Bm25SparseEncoder()
    backend = EdgeBackend(folder / "index")
    story = StoryBm25Encoder()
    contents = content_texts(enrichment)
    built = build_index(catalogue, embedder, encoder, backend, contents=contents, story_encoder=story)
    assert built.contents_embedded >= 30 and built.manifest.spec.has_content
    assert built.manifest.spec.content_lexical == story.version
    info = ModelInfo(embedder.name, embedder.dimension, str(MINILM))
    return SearchService(catalogue, backend.open(), encoder, lambda: embedder, info, story_encoder=story)


def top(service: SearchService, text: str, mode: SearchMode = SearchMode.HYBRID) -> list[str]:
    return [r.entry.anime_id for r in service.search(text, limit=3, mode=mode)]


def test_a_notebook_that_kills_finds_death_note(service: SearchService) -> None:
    assert service.story_encoder is not None  # the story's words are searched
    assert DEATH_NOTE in top(service, DONE_WHEN)
    assert top(service, DONE_WHEN, SearchMode.STORY)[0] == DEATH_NOTE


def test_a_title_still_finds_its_anime_first(service: SearchService) -> None:
    assert top(service, "death note")[0] == DEATH_NOTE
    assert top(service, "kill la kill")[0] != DEATH_NOTE
