"""``anime-mcp models export`` of a CLIP model and the ``clip_image`` plugin, end to end without network.

A tiny random CLIP is built with transformers' own config classes (tests/clip_support.py), exported through
the CLI while sockets refuse to connect, installed, loaded through the plugin host and the composition root,
and its vectors are compared with torch's (``get_image_features`` / ``get_text_features``, normalised) for
square, wide, tall and smaller-than-the-crop pictures and for texts short, empty, unknown and too long.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner, Result
from clip_support import (
    PROJECTION,
    build_tiny_clip,
    picture,
    rgb,
    torch_image_vectors,
    torch_text_vectors,
)

from anime_mcp.adapters.clip_onnx import ClipOnnxEmbedder
from anime_mcp.entrypoints.bootstrap import load_plugins
from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.entrypoints.search_setup import load_image_embedder, resolve_model_dir
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.plugins import clip_image
from anime_mcp.ports.image_embedder import ImageEmbedder
from anime_mcp.ports.plugin_host import PluginHost

pytestmark = pytest.mark.integration  # torch builds and exports a model: seconds, not milliseconds

PICTURES = [(32, 32), (64, 48), (48, 97), (20, 50), (300, 7)]
TEXTS = ["a dark anime girl", "robot", "", "unheard words", "a red robot in a blue sky at night city poster"]


def run(home: Path, *args: str) -> Result:
    environment = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": "", "ANIME_MCP_IMAGE_MODEL": ""}
    return CliRunner().invoke(cli_app.cli, list(args), env=environment, catch_exceptions=False)


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test that must not download anything")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture(scope="module")
def hf_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_clip(tmp_path_factory.mktemp("hf") / "tiny-clip")


@pytest.fixture(scope="module")
def exported(hf_clip: Path, tmp_path_factory: pytest.TempPathFactory, offline: None) -> Path:
    target = tmp_path_factory.mktemp("exports") / "tiny-clip-onnx"
    result = run(target.parent / "home", "models", "export", "--from", str(hf_clip), "--to", str(target))
    assert result.exit_code == 0, result.output
    assert f"exported to {target}" in result.stdout
    return target


def test_picture_vectors_equal_the_torch_model(hf_clip: Path, exported: Path) -> None:
    images = [picture(w, h, seed) for seed, (w, h) in enumerate(PICTURES)]
    got = np.asarray(ClipOnnxEmbedder(exported, threads=1).embed_images([rgb(i) for i in images]))
    np.testing.assert_allclose(got, torch_image_vectors(hf_clip, images), atol=2e-5)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_text_vectors_equal_the_torch_model(hf_clip: Path, exported: Path) -> None:
    got = np.asarray(ClipOnnxEmbedder(exported, threads=1).embed_texts(TEXTS))
    np.testing.assert_allclose(got, torch_text_vectors(hf_clip, TEXTS), atol=2e-5)


def test_a_batch_gives_each_picture_the_vector_it_gets_alone(exported: Path) -> None:
    embedder = ClipOnnxEmbedder(exported, threads=1)
    images = [rgb(picture(w, h, seed)) for seed, (w, h) in enumerate(PICTURES)]
    together = embedder.embed_images(images * 4)  # more than one session batch
    alone = [embedder.embed_images([image])[0] for image in images]
    np.testing.assert_allclose(together, alone * 4, atol=1e-5)


def test_the_export_is_a_complete_self_describing_folder(hf_clip: Path, exported: Path) -> None:
    described = json.loads((exported / "anime-mcp-clip.json").read_text())
    assert described["name"] == "tiny-clip"  # the Hugging Face folder's name
    assert described["dimension"] == PROJECTION
    assert described["source"] == str(hf_clip.resolve())
    assert {p.name for p in exported.iterdir()} >= {
        "vision_model.onnx",
        "text_model.onnx",
        "tokenizer.json",
        "preprocessor_config.json",
    }
    assert not [p for p in exported.parent.iterdir() if p.name.startswith(".")]  # no staging left


def test_installed_and_loaded_through_the_plugin_and_the_settings(exported: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = run(home, "models", "install", "--from", str(exported), "--name", "clip")
    assert result.exit_code == 0, result.output
    assert run(home, "models", "install", "--from", str(exported), "--name", "clip").exit_code == 0  # again
    host = PluginHost(trace=False)
    host.register_module("clip_image", clip_image)
    # ANIME_MCP_IMAGE_MODEL unset: the one installed CLIP model is used
    settings = Settings.load({"ANIME_MCP_HOME": str(home)})
    embedder = load_image_embedder(settings.search, host)
    assert isinstance(embedder, ImageEmbedder)
    assert (embedder.name, embedder.dimension) == ("clip", PROJECTION)
    direct = ClipOnnxEmbedder(exported, threads=1)
    np.testing.assert_allclose(embedder.embed_texts(["anime"]), direct.embed_texts(["anime"]), atol=1e-6)
    # named by the setting, as a folder
    named = Settings.load({"ANIME_MCP_HOME": str(tmp_path / "other"), "ANIME_MCP_IMAGE_MODEL": str(exported)})
    assert load_image_embedder(named.search, host) is not None
    # a CLIP folder is never taken for the text model
    with pytest.raises(Exception, match="no embedding model installed"):
        resolve_model_dir(settings.search)


def test_without_an_image_model_image_search_is_off(tmp_path: Path) -> None:
    settings = Settings.load({"ANIME_MCP_HOME": str(tmp_path)})
    assert load_image_embedder(settings.search, load_plugins(settings)) is None


def test_a_missing_image_model_says_what_to_do(tmp_path: Path) -> None:
    settings = Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_IMAGE_MODEL": "nowhere"})
    with pytest.raises(Exception, match="ANIME_MCP_IMAGE_MODEL"):
        load_image_embedder(settings.search, load_plugins(settings))


def test_int8_is_refused_for_clip(hf_clip: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app.cli,
        ["models", "export", "--from", str(hf_clip), "--to", str(tmp_path / "x"), "--int8"],
        env={"ANIME_MCP_HOME": str(tmp_path)},
    )
    assert result.exit_code != 0 and "fp32" in result.output
    assert not (tmp_path / "x").exists()
