"""``find_similar_anime`` with ``similarity_type: visual``: the seed's nearest posters, on the embedded Qdrant
Edge index holding poster vectors (``index-images``' store, written directly here), through the use case,
the tool catalogue and REST; a seed or an index without poster vectors is a clear 503 naming the remedy."""

from __future__ import annotations

import io
import itertools
from pathlib import Path
from typing import Any

import anyio
import httpx
import numpy as np
import pytest
import zstandard
from attrs import evolve
from shared_data import CATALOGUE, require_shared
from starlette.testclient import TestClient

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.search_errors import IndexNotBuilt
from anime_mcp.core.services.indexing import build_index
from anime_mcp.core.similarity import KINDS, SimilarityKind
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.cli.search import similar as similar_command
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.entrypoints.tools.catalogue_tools import FIND_SIMILAR_ANIME
from anime_mcp.ports.vector_index import HnswSettings
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider

ENTRIES = 40
IMAGE_DIM = 16
NEAR = (1, 2, 3)  # posters drawn like the seed's (entry 0)
BARE = ENTRIES - 1  # an entry without a poster


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> FakeCatalogue:
    with require_shared(CATALOGUE).open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        head = b"".join(itertools.islice(stream, 2000))
    lines = head.splitlines(keepends=True)
    path = tmp_path_factory.mktemp("slice") / "slice.jsonl"
    path.write_bytes(b"".join([lines[0], *lines[1::45][:ENTRIES]]))
    return FakeCatalogue(AodJsonlReader().read(path, strict=True).entries)


@pytest.fixture(scope="module")
def ids(catalogue: FakeCatalogue) -> list[str]:
    found = sorted(e.anime_id for e in catalogue.entries())
    assert len(found) == ENTRIES
    return found


def posters(ids: list[str]) -> dict[str, list[float]]:
    """The seed's poster, three near it (cosine ~0.99), the others drawn at random across it (cosine 0);
    none for ``BARE``."""
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(ENTRIES, IMAGE_DIM))
    seed = vectors[0] / np.linalg.norm(vectors[0])
    vectors[1:] -= np.outer(vectors[1:] @ seed, seed)
    for near in NEAR:
        vectors[near] = vectors[0] + rng.normal(scale=0.08, size=IMAGE_DIM)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return {a: vectors[i].tolist() for i, a in enumerate(ids) if i != BARE}


def runtime_for(
    home: Path, catalogue: FakeCatalogue, ids: list[str], *, with_posters: bool = True
) -> Runtime:
    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""})
    settings = evolve(settings, serve=ServeSettings(warm_up=False))
    provider, encoder = FakeEmbedderProvider(), Bm25SparseEncoder()
    backend = EdgeBackend(home / "index", hnsw=HnswSettings(exact=True))
    build_index(catalogue, provider.embedder, encoder, backend)
    if with_posters:
        writer = backend.image_writer("clip-test", IMAGE_DIM)
        writer.upsert(posters(ids))
        writer.commit()

    def search() -> SearchComponents:
        return SearchComponents(settings.search, home, provider.describe(home), provider, backend, encoder)

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("offline in tests", request=request)

    given = Overrides(
        catalogue=lambda: catalogue,
        search=search,
        env={},
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(offline)),
        http_transport=httpx.MockTransport(offline),
    )
    return Runtime(bootstrap(settings, overrides=given))


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, catalogue: FakeCatalogue, ids: list[str]) -> Runtime:
    return runtime_for(tmp_path_factory.mktemp("home"), catalogue, ids)


def cosine(a: list[float], b: list[float]) -> float:
    return float(np.dot(a, b))


def test_the_nearest_posters_lead_with_their_reason(runtime: Runtime, ids: list[str]) -> None:
    seed, drawn = ids[0], posters(ids)
    _, results = runtime.search().similar(seed, limit=10, kind=SimilarityKind.VISUAL)
    found = [r.entry.anime_id for r in results]
    assert set(found[:3]) == {ids[n] for n in NEAR}
    assert seed not in found and ids[BARE] not in found  # never itself; no poster, no visual likeness
    for result in results:
        reason = result.reasons[0]
        assert reason.startswith("similar poster (") and reason.endswith(")")
        shown = float(reason.removeprefix("similar poster (").removesuffix(")"))
        assert shown == pytest.approx(cosine(drawn[seed], drawn[result.entry.anime_id]), abs=0.006)
    assert [r.relevance for r in results] == sorted((r.relevance for r in results), reverse=True)


def test_filters_are_honoured(runtime: Runtime, ids: list[str], catalogue: FakeCatalogue) -> None:
    service = runtime.search()
    gone = SearchFilters(exclude_ids=frozenset({ids[1]}))
    _, results = service.similar(ids[0], gone, limit=10, kind=SimilarityKind.VISUAL)
    assert ids[1] not in [r.entry.anime_id for r in results] and results
    kept = catalogue.by_anime_id(ids[2])
    assert kept is not None
    by_type = SearchFilters(types=frozenset({kept.type}))
    _, typed = service.similar(ids[0], by_type, limit=10, kind=SimilarityKind.VISUAL)
    assert typed and all(r.entry.type is kept.type for r in typed)
    assert ids[2] in [r.entry.anime_id for r in typed]
    nothing = SearchFilters(exclude_ids=frozenset(ids))
    assert service.similar(ids[0], nothing, kind=SimilarityKind.VISUAL)[1] == []


def test_a_seed_without_a_poster_says_what_to_do(runtime: Runtime, ids: list[str]) -> None:
    with pytest.raises(IndexNotBuilt, match="index-images"):
        runtime.search().similar(ids[BARE], kind=SimilarityKind.VISUAL)
    # the other kinds do not need posters
    assert runtime.search().similar(ids[BARE], limit=3, kind=SimilarityKind.OVERALL)[1]


def call(runtime: Runtime, arguments: dict[str, Any]) -> dict[str, Any]:
    tools = build_tools(runtime)

    async def run() -> dict[str, Any]:
        return (await tools.call(runtime, "find_similar_anime", arguments, face="test")).output

    return anyio.run(run)


def test_the_tool_and_rest(runtime: Runtime, ids: list[str]) -> None:
    output = call(runtime, {"anime_id": ids[0], "similarity_type": "visual", "limit": 3})
    assert output["similarity_type"] == "visual"
    assert {r["anime_id"] for r in output["results"]} == {ids[n] for n in NEAR}
    assert all(r["reasons"][0].startswith("similar poster (") for r in output["results"])
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as client:
        body = {"anime_id": ids[BARE], "similarity_type": "visual"}
        response = client.post("/api/tools/find_similar_anime", json=body)
        assert response.status_code == 503, response.text
        assert "index-images" in response.json()["error"]["message"]


def test_an_index_without_posters_is_a_clear_503(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids, with_posters=False)
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as client:
        body = {"anime_id": ids[0], "similarity_type": "visual"}
        response = client.post("/api/tools/find_similar_anime", json=body)
        assert response.status_code == 503, response.text
        assert "run `anime-mcp index-images`" in response.json()["error"]["message"]


def test_visual_is_offered_everywhere() -> None:
    assert SimilarityKind.VISUAL in KINDS
    assert "visual" in FIND_SIMILAR_ANIME.input_schema["properties"]["similarity_type"]["enum"]
    choice = next(p for p in similar_command.params if p.name == "similarity_type")
    assert "visual" in choice.type.choices  # type: ignore[attr-defined]
