"""search_by_image over MCP (the SDK's server and client, in process), and end to end with the tiny random
CLIP of tests/clip_support.py exported to ONNX: the poster whose vector is closest to the query picture's is
found first, through the real ``clip_image`` embedder, the tool and the MCP face."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import anyio
import pytest
from attrs import evolve
from clip_support import exported_tiny_clip, picture, rgb
from mcp.client.client import Client
from test_image_decoding import bomb_png
from test_image_search import ENTRIES, MeanColourEmbedder, b64, overrides, png, poster_colour, truncated_jpeg

from anime_mcp.adapters.clip_onnx import ClipOnnxEmbedder
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.mcp.server import build_server
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.ports.image_embedder import ImageEmbedder
from anime_mcp.testing import FakeCatalogue

pytest_plugins = ["test_image_search"]  # its catalogue and ids fixtures


def mcp_call(runtime: Runtime, name: str, arguments: dict[str, Any]) -> Any:
    async def run() -> Any:
        async with Client(build_server(runtime, build_tools(runtime))) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(run)


def text_of(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)


def test_mcp_search_by_image_returns_results(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    settings, given = overrides(tmp_path, catalogue, ids, embedder=MeanColourEmbedder())
    runtime = Runtime(bootstrap(settings, overrides=given))
    result = mcp_call(runtime, "search_by_image", {"image": b64(png(poster_colour(5))), "limit": 3})
    assert not result.is_error, text_of(result)
    assert result.structured_content["results"][0]["anime_id"] == ids[5]


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"image": b64(bomb_png())}, "pixels"),
        ({"image": b64(truncated_jpeg())}, "truncated or corrupt"),
        ({"image_url": "http://169.254.169.254/latest/meta-data/"}, "metadata"),
        ({"image_url": "http://[::1]/a.png"}, "loopback"),
    ],
)
def test_mcp_refuses_hostile_pictures_with_a_clear_tool_error(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str], arguments: dict[str, Any], words: str
) -> None:
    settings, given = overrides(tmp_path, catalogue, ids, embedder=MeanColourEmbedder())
    result = mcp_call(Runtime(bootstrap(settings, overrides=given)), "search_by_image", arguments)
    assert result.is_error and words in text_of(result)
    assert "internal error" not in text_of(result)


def test_the_tiny_clip_finds_the_poster_closest_to_the_picture(
    tmp_path: Path, catalogue: FakeCatalogue, ids: list[str]
) -> None:
    _, exported = exported_tiny_clip()
    clip: ImageEmbedder = ClipOnnxEmbedder(exported, threads=1)
    posters = [picture(48, 64, seed) for seed in range(ENTRIES)]
    settings, given = overrides(tmp_path, catalogue, ids, embedder=clip)
    vectors = clip.embed_images([rgb(p) for p in posters])
    backend = given.search().backend  # type: ignore[misc]
    backend.posters = dict(zip(ids, vectors, strict=True))  # type: ignore[attr-defined]
    runtime = Runtime(bootstrap(settings, overrides=evolve(given)))
    for index in (0, 7):
        buffer = io.BytesIO()
        posters[index].save(buffer, "PNG")
        result = mcp_call(runtime, "search_by_image", {"image": b64(buffer.getvalue()), "limit": 3})
        assert not result.is_error, text_of(result)
        found = result.structured_content["results"]
        assert found[0]["anime_id"] == ids[index]
        assert found[0]["relevance"] == pytest.approx(1.0, abs=1e-4)
