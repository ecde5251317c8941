"""Poster vectors end to end: a loopback HTTP server serves generated PNGs (one broken, one 404), the
index-images use case fetches them through the cached picture fetcher, decodes them with the edge's
decoder, embeds them with a tiny CLIP exported to ONNX and stores them beside a Qdrant Edge index; an image
query then finds each poster first, filters apply, and a rerun fetches and embeds nothing."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import attrs
import numpy as np
import pytest
from click.testing import CliRunner, Result
from clip_support import exported_tiny_clip, picture
from search_support import catalogue_lines, write_slice

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.clip_onnx import ClipOnnxEmbedder
from anime_mcp.adapters.image_decoding import decode_image
from anime_mcp.adapters.picture_fetcher import CachedPictureFetcher
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.services.image_indexing import index_images
from anime_mcp.core.vectors import SparseVector
from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.ports.vector_index import IMAGE_VECTOR, HnswSettings, IndexPoint, IndexQuery, IndexSpec
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider

pytestmark = pytest.mark.integration  # an HTTP server and a torch export

POSTERS = 8  # entries with a good picture; then one broken, one 404, one not in the index, one without URL


class PictureServer(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    hits: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.hits.append(self.path)
        body = self.files.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), PictureServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def png(index: int) -> bytes:
    buffer = io.BytesIO()
    picture(40 + 7 * index, 60 - 3 * index, seed=100 + index).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def entries(server: str, tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    metadata, lines = catalogue_lines()
    path = write_slice(tmp_path_factory.mktemp("slice") / "slice.jsonl", metadata, lines[::997][:12])
    picked = list(AodJsonlReader().read(path, strict=True).entries)
    PictureServer.files = {f"/p/{i}.png": png(i) for i in range(POSTERS + 3)}
    PictureServer.files[f"/p/{POSTERS}.png"] = png(POSTERS)[:200]  # truncated: broken
    del PictureServer.files[f"/p/{POSTERS + 1}.png"]  # 404
    urls = [f"{server}/p/{i}.png" for i in range(len(picked) - 1)] + [""]
    return [attrs.evolve(e, picture=url) for e, url in zip(picked, urls, strict=True)]


@pytest.fixture
def backend(entries: list[CatalogueEntry], tmp_path: Path) -> EdgeBackend:
    """A text index holding every entry but the one at POSTERS + 2 (its poster is 'not in the index')."""
    backend = EdgeBackend(tmp_path / "index", hnsw=HnswSettings(exact=True))
    writer = backend.new_generation(IndexSpec(model="text", dimension=4, sparse_encoder="none"))
    writer.upsert(
        [
            IndexPoint(e.anime_id, [1.0, 0, 0, 0], SparseVector([1], [1.0]), IndexedFacts.of(e), f"fp{i}")
            for i, e in enumerate(entries)
            if i != POSTERS + 2
        ]
    )
    writer.commit()
    return backend


def run_index(entries: list[CatalogueEntry], backend: EdgeBackend, home: Path) -> tuple[object, int]:
    _, onnx = exported_tiny_clip()
    fetcher = CachedPictureFetcher(home / "pictures", per_host_rate=0, retries=0)
    report = index_images(
        FakeCatalogue(entries), backend, ClipOnnxEmbedder(onnx, threads=1), fetcher, decode_image, batch=3
    )
    return report, fetcher.fetched


def test_posters_are_indexed_counted_and_found_by_a_picture(
    entries: list[CatalogueEntry], backend: EdgeBackend, tmp_path: Path
) -> None:
    report, fetched = run_index(entries, backend, tmp_path)
    assert attrs.asdict(report) | {"seconds": 0} == {  # type: ignore[arg-type]
        "model": "tiny-clip",
        "dimension": 16,
        "entries": len(entries) - 1,
        "already": 0,
        "indexed": POSTERS,
        "missing": 1,
        "broken": 1,
        "skipped": 1,
        "points": POSTERS,
        "seconds": 0,
    }
    assert fetched == len(entries) - 1
    index = backend.open()
    assert index is not None
    embedder = ClipOnnxEmbedder(exported_tiny_clip()[1], threads=1)
    for i in range(POSTERS):
        query = embedder.embed_images([decode_image(png(i))])[0]
        hits = index.search(IndexQuery(dense=query, using=IMAGE_VECTOR, limit=3))
        assert hits[0].anime_id == entries[i].anime_id
        assert hits[0].relevance == pytest.approx(1.0, abs=1e-4)
        stored = index.dense_vector(entries[i].anime_id, using=IMAGE_VECTOR)
        np.testing.assert_allclose(stored or [], query, atol=1e-5)
    # entries without a poster vector are never found; filters apply to image queries
    found = {h.anime_id for h in index.search(IndexQuery(dense=query, using=IMAGE_VECTOR, limit=50))}
    assert found == {e.anime_id for e in entries[:POSTERS]}
    kind = entries[0].type
    first = embedder.embed_images([decode_image(png(0))])[0]
    filters = SearchFilters(types=frozenset({kind}))
    hits = index.search(IndexQuery(dense=first, using=IMAGE_VECTOR, filters=filters, limit=50))
    assert hits[0].anime_id == entries[0].anime_id
    assert {h.anime_id for h in hits} == {e.anime_id for e in entries[:POSTERS] if e.type == kind}
    info = backend.image_vectors()
    assert info is not None and (info.model, info.points) == ("tiny-clip", POSTERS)


def test_a_rerun_fetches_and_embeds_nothing_again(
    entries: list[CatalogueEntry], backend: EdgeBackend, tmp_path: Path
) -> None:
    run_index(entries, backend, tmp_path)
    report, fetched = run_index(entries, backend, tmp_path)
    assert fetched == 0  # the 404 and the broken file are remembered too
    assert (report.already, report.indexed, report.points) == (POSTERS, 0, POSTERS)  # type: ignore[attr-defined]


def test_a_query_of_another_dimension_is_a_clear_error(
    entries: list[CatalogueEntry], backend: EdgeBackend, tmp_path: Path
) -> None:
    run_index(entries, backend, tmp_path)
    index = backend.open()
    assert index is not None
    with pytest.raises(Exception, match="index-images"):
        index.search(IndexQuery(dense=[0.5] * 8, using=IMAGE_VECTOR))


# --- the command ------------------------------------------------------------------------------------------
def cli_index(home: Path, given: Overrides, *, terminal: bool = True) -> Result:
    env = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli_app.err, "_force_terminal", terminal)  # the bar draws only on a terminal
        return CliRunner().invoke(cli_app.cli, ["index-images", "--json"], env=env, obj={"overrides": given})


def test_the_index_images_command(
    entries: list[CatalogueEntry], backend: EdgeBackend, tmp_path: Path
) -> None:
    """--json prints the summary alone on stdout, the progress bar goes to stderr, a rerun fetches nothing."""
    _, onnx = exported_tiny_clip()
    settings = Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": ""})
    provider = FakeEmbedderProvider()

    def search() -> SearchComponents:
        return SearchComponents(
            settings.search, tmp_path, provider.describe(tmp_path), provider, backend, Bm25SparseEncoder()
        )

    given = Overrides(
        catalogue=lambda: FakeCatalogue(entries),
        search=search,
        env={},
        image_embedder=ClipOnnxEmbedder(onnx, threads=1),
    )
    PictureServer.hits.clear()
    first = cli_index(tmp_path, given)
    assert first.exit_code == 0, first.output + first.stderr
    summary = json.loads(first.stdout)
    assert {k: summary[k] for k in ("model", "indexed", "missing", "broken", "skipped", "points")} == {
        "model": "tiny-clip",
        "indexed": POSTERS,
        "missing": 1,
        "broken": 1,
        "skipped": 1,
        "points": POSTERS,
    }
    assert "posters" in first.stderr and f"{len(entries) - 1}/{len(entries) - 1}" in first.stderr
    assert len(PictureServer.hits) == len(entries) - 1
    again = cli_index(tmp_path, given, terminal=False)
    assert again.exit_code == 0, again.output + again.stderr
    assert (json.loads(again.stdout)["already"], json.loads(again.stdout)["indexed"]) == (POSTERS, 0)
    assert len(PictureServer.hits) == len(entries) - 1  # nothing fetched again
    assert again.stderr == ""  # no terminal: no bar


def test_index_images_without_an_image_model_says_how_to_get_one(tmp_path: Path) -> None:
    env = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": ""}
    result = CliRunner().invoke(cli_app.cli, ["index-images"], env=env)
    assert result.exit_code == 1 and "models export" in result.output + result.stderr
