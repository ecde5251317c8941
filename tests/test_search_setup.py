"""Search wiring: the built-in plugins register providers, settings pick the model and the index location."""

from __future__ import annotations

from pathlib import Path

import pytest
from search_support import write_tiny_model

from anime_mcp.core.search_errors import EmbedderError, SearchError
from anime_mcp.entrypoints.search_setup import pick_embedder_provider, pick_index_provider, resolve_model_dir
from anime_mcp.entrypoints.settings import ConfigError, SearchSettings, Settings
from anime_mcp.ports.embedder import EmbedderProvider
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection
from anime_mcp.ports.vector_index import HnswSettings, VectorIndexProvider


@pytest.fixture(scope="module")
def host() -> PluginHost:
    host = PluginHost()
    host.load_entry_points(PluginSelection(allow=frozenset({"onnx_text", "qdrant"})))
    return host


def test_the_built_in_plugins_register_providers(host: PluginHost, tmp_path: Path) -> None:
    embedders = host.embedders()
    assert [p.name for p in embedders] == ["onnx-text"]
    assert isinstance(embedders[0], EmbedderProvider)
    indexes = host.vector_indexes()
    assert [p.name for p in indexes] == ["qdrant-edge", "qdrant-server"]
    assert all(isinstance(p, VectorIndexProvider) for p in indexes)
    listing = {p["name"]: p for p in host.list_plugins()}
    assert listing["qdrant"]["registered"] == {"vector_indexes": ["qdrant-edge", "qdrant-server"]}


def test_locations_choose_the_backend(host: PluginHost, tmp_path: Path) -> None:
    providers = host.vector_indexes()
    assert pick_index_provider(providers, str(tmp_path / "index")).name == "qdrant-edge"
    assert pick_index_provider(providers, "https://qdrant.example:6333").name == "qdrant-server"
    assert pick_index_provider(providers, ":memory:").name == "qdrant-server"
    with pytest.raises(SearchError, match="no vector index plugin serves"):
        pick_index_provider([], "x")


def test_model_folders_choose_the_embedder(host: PluginHost, tmp_path: Path) -> None:
    tiny = write_tiny_model(tmp_path / "tiny")
    provider = pick_embedder_provider(host.embedders(), tiny)
    info = provider.describe(tiny)
    assert (info.name, info.dimension, info.pooling, info.provider) == ("tiny-8", 8, "mean", "onnx-text")
    assert provider.load(tiny, threads=1).embed_query("death note")
    (tmp_path / "empty").mkdir()
    with pytest.raises(EmbedderError, match=r"needs model\.onnx and tokenizer\.json"):
        pick_embedder_provider(host.embedders(), tmp_path / "empty")


def settings(home: Path, **env: str) -> SearchSettings:
    return Settings.load({"ANIME_MCP_HOME": str(home), **{k.upper(): v for k, v in env.items()}}).search


def test_which_model_is_used(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(EmbedderError, match="no embedding model installed"):
        resolve_model_dir(settings(home))
    other = write_tiny_model(home / "models" / "other")
    assert resolve_model_dir(settings(home)) == other  # the only one installed
    write_tiny_model(home / "models" / "third")
    with pytest.raises(EmbedderError, match=r"several models are installed \(other, third\)"):
        resolve_model_dir(settings(home))
    default = write_tiny_model(home / "models" / "all-MiniLM-L6-v2")
    assert resolve_model_dir(settings(home)) == default
    assert resolve_model_dir(settings(home, anime_mcp_model="third")) == home / "models" / "third"
    assert resolve_model_dir(settings(home, anime_mcp_model=str(other))) == other
    with pytest.raises(EmbedderError, match="'nope' is neither a folder nor installed"):
        resolve_model_dir(settings(home, anime_mcp_model="nope"))


def test_settings_from_the_environment_and_config_toml(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        '[search]\nmodel = "from-config"\nhnsw_ef = 256\nexact = true\nqdrant_alias = "shows"\n'
    )
    loaded = settings(tmp_path, anime_mcp_model="from-env", anime_mcp_embed_threads="2")
    assert (loaded.model, loaded.embed_threads, loaded.qdrant_alias) == ("from-env", 2, "shows")
    assert loaded.hnsw == HnswSettings(ef=256, exact=True)
    assert loaded.index_location == str(tmp_path / "index")
    remote = settings(tmp_path, anime_mcp_qdrant_url="http://q:6333", anime_mcp_qdrant_api_key="k")
    assert remote.index_location == "http://q:6333"
    assert settings(tmp_path / "elsewhere").hnsw.exact  # embedded: exact search, no graph to build
    assert not settings(tmp_path / "elsewhere", anime_mcp_qdrant_url="http://q:6333").hnsw.exact
    assert remote.index_options == {"alias": "shows", "api_key": "k"}
    (tmp_path / "config.toml").write_text("[search]\nhnsw_m = 0\n")
    with pytest.raises(ConfigError, match="hnsw_m must be positive"):
        settings(tmp_path)


def test_the_providers_named_in_the_settings_are_the_ones_used(tmp_path: Path) -> None:
    from anime_mcp.entrypoints.bootstrap import bootstrap

    tiny = write_tiny_model(tmp_path / "tiny")
    base = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_MODEL": str(tiny)}
    base["ANIME_MCP_LOAD_PLUGINS"] = "onnx_text,qdrant"
    parts = bootstrap(Settings.load({**base, "ANIME_MCP_INDEX": "qdrant-edge"})).search_parts()
    assert (parts.embedder_provider.name, parts.backend.name) == ("onnx-text", "qdrant-edge")
    with pytest.raises(ConfigError, match=r"\(ANIME_MCP_EMBEDDER\) names 'nope', .* available: onnx-text"):
        bootstrap(Settings.load({**base, "ANIME_MCP_EMBEDDER": "nope"}))  # at start-up, not at first search
    with pytest.raises(ConfigError, match="provider 'qdrant-server' cannot serve this"):
        bootstrap(Settings.load({**base, "ANIME_MCP_INDEX": "qdrant-server"})).search_parts()
