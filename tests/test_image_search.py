"""Image search end to end on fakes: a deterministic image embedder (a picture's vector is its mean colour),
a catalogue slice whose posters are solid colours, and the tools over the tool catalogue, REST and the CLI.
The picture of one poster's colour must find that anime first; hostile input is a 422 naming the field."""

from __future__ import annotations

import base64
import io
import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import zstandard
from attrs import evolve
from click.testing import CliRunner
from PIL import Image
from shared_data import CATALOGUE, require_shared
from starlette.testclient import TestClient
from test_image_decoding import bomb_png

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.image_fetch import GuardedImageInput
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.search_errors import IndexModelMismatch, IndexNotBuilt
from anime_mcp.core.services.image_search import ImageSearch, blend
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import ToolInputError, build_tools
from anime_mcp.ports.image_embedder import ImageEmbedder, RgbImage
from anime_mcp.ports.vector_index import IMAGE_VECTOR, ImageVectorsInfo, IndexQuery
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndex, FakeIndexBackend

ENTRIES = 12


def _unit(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]


class MeanColourEmbedder:
    """A picture's vector is its mean colour (unit length); a text's, the colours it names."""

    name = "fake-mean-colour"
    dimension = 3
    COLOURS: Mapping[str, tuple[float, float, float]] = {
        "red": (1, 0, 0),
        "green": (0, 1, 0),
        "blue": (0, 0, 1),
    }

    def embed_images(self, images: Sequence[RgbImage]) -> list[list[float]]:
        vectors = []
        for image in images:
            count = image.width * image.height
            sums = [sum(image.pixels[c::3]) / count for c in range(3)]
            vectors.append(_unit([s + 1e-3 for s in sums]))
        return vectors

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        return [
            _unit(
                [sum(self.COLOURS.get(w, (0.1, 0.1, 0.1))[c] for w in text.lower().split()) for c in range(3)]
            )
            for text in texts
        ]


def poster_colour(index: int) -> tuple[int, int, int]:
    """Distinct directions in RGB: a quarter circle in red-green, a little blue."""
    angle = (math.pi / 2) * index / (ENTRIES - 1)
    return (round(255 * math.cos(angle)), round(255 * math.sin(angle)), 40)


class PosterIndex:
    """The fake index plus poster vectors (``IMAGE_VECTOR``), searched by cosine under the same filters."""

    def __init__(self, inner: FakeIndex, posters: Mapping[str, Sequence[float]]) -> None:
        self.inner = inner
        self.manifest = inner.manifest
        self.posters = posters

    def search(self, query: IndexQuery) -> list[SearchHit]:
        if query.using != IMAGE_VECTOR:
            return self.inner.search(query)
        assert query.dense is not None
        scored = [
            SearchHit(
                p.anime_id, sum(a * b for a, b in zip(self.posters[p.anime_id], query.dense, strict=True))
            )
            for p in self.inner._eligible(query)
            if p.anime_id in self.posters
        ]
        return sorted(scored, key=lambda h: (-h.relevance, h.anime_id))[: query.limit]

    def dense_vector(self, anime_id: str, using: str = "text") -> list[float] | None:
        return self.inner.dense_vector(anime_id, using)

    def count(self) -> int:
        return self.inner.count()

    def close(self) -> None:
        pass


class PosterBackend(FakeIndexBackend):
    posters: Mapping[str, Sequence[float]] = {}

    def open(self) -> PosterIndex | None:  # type: ignore[override]
        inner = super().open()
        return PosterIndex(inner, self.posters) if inner is not None else None


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> FakeCatalogue:
    with require_shared(CATALOGUE).open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        head = b"".join(itertools.islice(stream, ENTRIES + 1))
    path = tmp_path_factory.mktemp("slice") / "slice.jsonl"
    path.write_bytes(head)
    return FakeCatalogue(AodJsonlReader().read(path, strict=True).entries)


@pytest.fixture(scope="module")
def ids(catalogue: FakeCatalogue) -> list[str]:
    found = sorted(entry.anime_id for entry in catalogue.entries())
    assert len(found) == ENTRIES
    return found


def overrides(
    home: Path,
    catalogue: FakeCatalogue,
    ids: list[str],
    *,
    embedder: ImageEmbedder | None,
    posters: bool = True,
) -> tuple[Settings, Overrides]:
    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""})
    settings = evolve(settings, serve=ServeSettings(warm_up=False))
    provider, backend, encoder = FakeEmbedderProvider(), PosterBackend(), Bm25SparseEncoder()
    backend.posters = (
        {a: _unit([float(c) for c in poster_colour(i)]) for i, a in enumerate(ids)} if posters else {}
    )
    build_index(catalogue, provider.embedder, encoder, backend)

    def search() -> SearchComponents:
        return SearchComponents(settings.search, home, provider.describe(home), provider, backend, encoder)

    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("offline in tests", request=request)

    return settings, Overrides(
        catalogue=lambda: catalogue,
        search=search,
        env={},
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(offline)),
        http_transport=httpx.MockTransport(offline),
        image_embedder=embedder,
        image_input=GuardedImageInput(timeout=2.0),
    )


def runtime_for(home: Path, catalogue: FakeCatalogue, ids: list[str], **options: Any) -> Runtime:
    options.setdefault("embedder", MeanColourEmbedder())
    settings, given = overrides(home, catalogue, ids, **options)
    return Runtime(bootstrap(settings, overrides=given))


def png(colour: tuple[int, int, int], size: tuple[int, int] = (20, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def truncated_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, "JPEG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def call(runtime: Runtime, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    tools = build_tools(runtime)

    async def run() -> dict[str, Any]:
        return (await tools.call(runtime, name, arguments, face="test")).output

    return anyio.run(run)


# --- the use case ---------------------------------------------------------------------------------------
def test_the_poster_of_the_pictures_colour_comes_first(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids)
    searcher = ImageSearch(runtime.search(), MeanColourEmbedder())
    for index in (0, 5, ENTRIES - 1):
        picture = runtime.app.image_input.decode(png(poster_colour(index)))  # type: ignore[union-attr]
        results = searcher.by_image(picture, limit=3)
        assert results[0].entry.anime_id == ids[index]
        assert results[0].relevance == pytest.approx(1.0, abs=1e-3)
        assert results[0].relevance >= results[1].relevance >= results[2].relevance


def test_filters_apply_to_the_posters(tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids)
    searcher = ImageSearch(runtime.search(), MeanColourEmbedder())
    picture = runtime.app.image_input.decode(png(poster_colour(3)))  # type: ignore[union-attr]
    results = searcher.by_image(picture, SearchFilters(exclude_ids=frozenset({ids[3]})), limit=ENTRIES)
    assert ids[3] not in [r.entry.anime_id for r in results] and len(results) == ENTRIES - 1


def test_multimodal_weights_move_between_text_and_picture(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids)
    service = runtime.search()
    searcher = ImageSearch(service, MeanColourEmbedder())
    picture = runtime.app.image_input.decode(png(poster_colour(7)))  # type: ignore[union-attr]
    title = catalogue.by_anime_id(ids[2]).title  # type: ignore[union-attr]
    by_picture = searcher.multimodal(title, picture, limit=3, image_weight=1.0)
    assert by_picture[0].entry.anime_id == ids[7]
    by_text = searcher.multimodal(title, picture, limit=3, image_weight=0.0)
    assert by_text[0].entry.anime_id == service.search(title, limit=1)[0].entry.anime_id
    both = [r.entry.anime_id for r in searcher.multimodal(title, picture, limit=ENTRIES, image_weight=0.5)]
    assert set(both[:4]) >= {by_text[0].entry.anime_id, ids[7]} or both[0] in {
        by_text[0].entry.anime_id,
        ids[7],
    }


def test_blend_rescales_each_ranking_and_weights_it() -> None:
    blended = blend([({"a": 0.9, "b": 0.5}, 0.5), ({"b": 3.0, "c": 1.0}, 0.5), ({"z": 1.0}, 0.0)])
    assert blended == {"a": 0.5, "b": 0.5, "c": 0.0}


def test_an_index_without_poster_vectors_says_to_run_index_images(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids, posters=False)
    searcher = ImageSearch(runtime.search(), MeanColourEmbedder())
    with pytest.raises(IndexNotBuilt, match="index-images"):
        searcher.by_image(runtime.app.image_input.decode(png((1, 2, 3))))  # type: ignore[union-attr]


def test_posters_of_another_model_are_a_clear_error(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids)
    picture = runtime.app.image_input.decode(png(poster_colour(3)))  # type: ignore[union-attr]
    embedder = MeanColourEmbedder()
    for stored in (
        ImageVectorsInfo("clip-old", 3, ENTRIES, "2026-01-01T00:00:00Z"),
        ImageVectorsInfo(embedder.name, 512, ENTRIES, "2026-01-01T00:00:00Z"),
    ):
        searcher = ImageSearch(runtime.search(), embedder, lambda stored=stored: stored)
        with pytest.raises(IndexModelMismatch, match=r"made by .* run `anime-mcp index-images`") as caught:
            searcher.by_image(picture)
        assert embedder.name in str(caught.value)
        with pytest.raises(IndexModelMismatch):
            searcher.multimodal("anime", picture)
    same = ImageVectorsInfo(embedder.name, embedder.dimension, ENTRIES, "2026-01-01T00:00:00Z")
    found = ImageSearch(runtime.search(), embedder, lambda: same).by_image(picture, limit=1)
    assert found[0].entry.anime_id == ids[3]


def test_the_tools_check_the_stored_poster_model(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids)
    backend = runtime.app.search_parts().backend  # made an ImageVectorStore holding another model's posters
    backend.image_vectors = lambda: ImageVectorsInfo("clip-old", 3, ENTRIES, "2026-01-01T00:00:00Z")  # type: ignore[attr-defined]
    backend.image_writer = lambda model, dimension: None  # type: ignore[attr-defined]
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as client:
        response = client.post("/api/tools/search_by_image", json={"image": b64(png(poster_colour(1)))})
        assert response.status_code == 503, response.text
        assert "index-images" in response.json()["error"]["message"]
        body = {"query": {"text": "anime"}, "image": b64(png(poster_colour(1)))}
        assert client.post("/api/query", json=body).status_code == 503


# --- the tools (as MCP calls them: the tool catalogue) ------------------------------------------------------
@pytest.fixture
def runtime(tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]) -> Runtime:
    return runtime_for(tmp_path, catalogue, ids)


def test_search_by_image_with_a_base64_png(runtime: Runtime, ids: list[str]) -> None:
    output = call(runtime, "search_by_image", {"image": b64(png(poster_colour(4))), "limit": 3})
    assert output["results"][0]["anime_id"] == ids[4]
    assert output["image"] == {"source": "base64", "width": 20, "height": 30} and output["count"] == 3


def test_a_data_url_is_accepted(runtime: Runtime, ids: list[str]) -> None:
    image = "data:image/png;base64," + b64(png(poster_colour(9)))
    assert call(runtime, "search_by_image", {"image": image})["results"][0]["anime_id"] == ids[9]


@pytest.mark.parametrize(
    ("arguments", "field", "words"),
    [
        ({"image": "not base64!!"}, "image", "not valid base64"),
        ({}, "image", "give the picture"),
        ({"image": b64(png((0, 0, 0))), "image_url": "https://example.org/a.png"}, "image_url", "not both"),
        ({"image": b64(bomb_png())}, "image", "20000 x 20000|exceeds limit|more pixels"),
        ({"image": b64(truncated_jpeg())}, "image", "truncated or corrupt"),
        ({"image": b64(b"<svg></svg>")}, "image", "accepted format"),
        ({"image_url": "http://127.0.0.1:9/a.png"}, "image_url", "loopback"),
        ({"image_url": "http://[::1]/a.png"}, "image_url", "loopback"),
        ({"image_url": "http://10.0.0.1/a.png"}, "image_url", "private"),
        ({"image_url": "http://169.254.169.254/latest/meta-data/"}, "image_url", "metadata"),
        ({"image_url": "file:///etc/passwd"}, "image_url", "only http and https"),
    ],
)
def test_bad_pictures_are_input_errors_naming_the_field(
    runtime: Runtime, arguments: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(ToolInputError, match=words) as refused:
        call(runtime, "search_by_image", arguments)
    assert refused.value.field == field


def test_search_anime_takes_a_picture_beside_its_text(runtime: Runtime, ids: list[str]) -> None:
    arguments = {"query": "anime", "image": b64(png(poster_colour(6))), "image_weight": 1.0, "limit": 2}
    output = call(runtime, "search_anime", arguments)
    assert output["results"][0]["anime_id"] == ids[6]
    assert output["image"]["weight"] == 1.0
    with pytest.raises(ToolInputError) as refused:
        call(runtime, "search_anime", {"query": "anime", "image_weight": 0.3})
    assert refused.value.field == "image_weight"


# --- REST ---------------------------------------------------------------------------------------------------
@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as client:
        yield client


def test_rest_search_by_image(client: TestClient, ids: list[str]) -> None:
    response = client.post(
        "/api/tools/search_by_image", json={"image": b64(png(poster_colour(2))), "limit": 2}
    )
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["anime_id"] == ids[2]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"image": b64(bomb_png())}, "image"),
        ({"image": b64(truncated_jpeg())}, "image"),
        ({"image": "%%%"}, "image"),
        ({"image_url": "http://127.0.0.1/poster.png"}, "image_url"),
        ({"image_url": "file:///etc/passwd"}, "image_url"),
        ({"image": b64(png((1, 1, 1))), "image_url": "https://example.org/a.png"}, "image_url"),
    ],
)
def test_rest_refuses_hostile_pictures_with_422(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/api/tools/search_by_image", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_rest_query_with_an_image(client: TestClient, ids: list[str]) -> None:
    body = {"query": {"text": "anime"}, "image": b64(png(poster_colour(8))), "limit": 3}
    response = client.post("/api/query", json=body)
    assert response.status_code == 200, response.text
    assert ids[8] in [r["anime_id"] for r in response.json()["results"]]
    question = client.post(
        "/api/query", json={"query": "anime like this", "image": b64(png(poster_colour(8)))}
    )
    assert question.status_code == 200, question.text
    wrong = client.post("/api/query", json={"query": {"similar_to": "mal-1"}, "image": b64(png((1, 1, 1)))})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "image"
    bomb = client.post("/api/query", json={"query": "anime", "image": b64(bomb_png())})
    assert bomb.status_code == 422 and bomb.json()["error"]["field"] == "image"


def test_without_an_image_model_the_answer_says_how_to_get_one(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    runtime = runtime_for(tmp_path, catalogue, ids, embedder=None)
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as client:
        response = client.post("/api/tools/search_by_image", json={"image": b64(png((1, 2, 3)))})
    assert response.status_code == 503, response.text
    assert "models export" in response.json()["error"]["message"]


# --- the CLI ----------------------------------------------------------------------------------------------
def test_cli_search_image_with_a_file(tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]) -> None:
    _, given = overrides(tmp_path, catalogue, ids, embedder=MeanColourEmbedder())
    picture = tmp_path / "query.png"
    picture.write_bytes(png(poster_colour(10)))
    env = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": ""}
    result = CliRunner().invoke(
        cli_app.cli, ["search-image", str(picture), "--json", "-n", "2"], env=env, obj={"overrides": given}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["anime_id"] == ids[10]
    refused = CliRunner().invoke(
        cli_app.cli, ["search-image", "http://127.0.0.1/a.png"], env=env, obj={"overrides": given}
    )
    assert refused.exit_code == 1 and "loopback" in refused.output
