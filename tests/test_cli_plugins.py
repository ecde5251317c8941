"""`anime-mcp plugins` in process: the installed entry points are what is under test here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest
import structlog
from click.testing import CliRunner

from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.ports.hookspecs import hookimpl
from anime_mcp.ports.plugin_host import PluginHost

KEYS = {"name", "version", "distribution", "entry_point", "hooks", "registered", "status", "detail"}


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()  # the CLI pointed structlog at the runner's (now closed) stderr


def env(home: Path, **extra: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_LOAD_PLUGINS": None,
        "ANIME_MCP_DISABLE_PLUGINS": None,
        "COLUMNS": "250",
    }
    base.update(extra)
    return base


def test_plugins_json_lists_the_built_in_catalogue_plugin(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["plugins", "--json"], env=env(tmp_path))

    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    aod = plugins["aod_catalogue"]
    assert aod["status"] == "ok"
    assert aod["distribution"] == "anime-mcp"
    assert aod["version"]
    assert aod["entry_point"] == "aod_catalogue = anime_mcp.plugins.aod_catalogue"
    assert aod["hooks"] == ["register_catalogue_readers"]
    assert aod["registered"] == {"catalogue_readers": ["aod-jsonl", "aod-json"]}
    for plugin in plugins.values():
        assert set(plugin) == KEYS


def test_plugins_table(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["plugins"], env=env(tmp_path))

    assert result.exit_code == 0, result.output
    assert "aod_catalogue" in result.stdout
    assert "aod-jsonl, aod-json" in result.stdout
    # Every provider of a single-provider kind is listed, the built-in defaults marked.
    assert "embedder providers: onnx-text (default)" in result.stdout
    assert "vector index providers: qdrant-edge (default), qdrant-server (default)" in result.stdout


def test_disabled_built_in_plugin_is_listed_as_disabled(runner: CliRunner, tmp_path: Path) -> None:
    environ = env(tmp_path, ANIME_MCP_DISABLE_PLUGINS="aod_catalogue")
    result = runner.invoke(cli, ["plugins", "--json"], env=environ)

    assert result.exit_code == 0, result.output
    aod = {p["name"]: p for p in json.loads(result.stdout)}["aod_catalogue"]
    assert (aod["status"], aod["detail"]) == ("disabled", "listed in ANIME_MCP_DISABLE_PLUGINS")
    assert aod["registered"] == {}


def test_listing_plugins_creates_no_files(runner: CliRunner, tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = runner.invoke(cli, ["plugins", "--json"], env=env(home))
    assert result.exit_code == 0, result.output
    assert not home.exists() or list(home.iterdir()) == []


def test_the_table_prints_plugin_text_literally_never_as_markup(runner: CliRunner, tmp_path: Path) -> None:
    @hookimpl
    def register_catalogue_readers(register: Callable[[object], None]) -> None:
        raise ValueError("model missing in [/opt/models], [bold]really[/bold] gone")

    plugin = ModuleType("bracketed_plugin")
    plugin.register_catalogue_readers = register_catalogue_readers  # type: ignore[attr-defined]
    host = PluginHost()
    host.register_module("brackets[x]", plugin)
    app = bootstrap(Settings.load({"ANIME_MCP_HOME": str(tmp_path)}), overrides=Overrides(plugins=host))

    result = runner.invoke(cli, ["plugins"], obj={"app": app}, env=env(tmp_path))

    assert result.exit_code == 0, repr(result.exception)
    assert "brackets[x]" in result.stdout
    assert "model missing in [/opt/models], [bold]really[/bold] gone" in result.stdout


def _run_cli(home: Path, *args: str, trace: bool) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    environ.update(ANIME_MCP_HOME=str(home), COLUMNS="250", NO_COLOR="1")
    if trace:
        environ["ANIME_MCP_TRACE_PLUGINS"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "anime_mcp.entrypoints.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("args", [("plugins",), ("plugins", "--json")], ids=["table", "json"])
def test_tracing_plugins_writes_to_stderr_only(tmp_path: Path, args: tuple[str, ...]) -> None:
    plain = _run_cli(tmp_path, *args, trace=False)
    traced = _run_cli(tmp_path, *args, trace=True)

    assert plain.returncode == traced.returncode == 0, traced.stderr
    assert traced.stdout == plain.stdout  # stdout is the MCP stdio channel: tracing never touches it
    if "--json" in args:
        assert {p["name"] for p in json.loads(traced.stdout)} >= {"aod_catalogue", "onnx_text", "qdrant"}
    assert "anime-mcp plugins:" not in plain.stderr
    lines = traced.stderr.splitlines()
    assert any(line.startswith("anime-mcp plugins: load plugin=aod_catalogue") for line in lines)
    assert "anime-mcp plugins: register plugin=aod_catalogue hooks=register_catalogue_readers" in lines
    assert "anime-mcp plugins: call hook=register_catalogue_readers plugin=aod_catalogue" in lines
    assert any(
        line.startswith("anime-mcp plugins: return hook=register_catalogue_readers plugin=aod_catalogue ")
        and line.endswith("result=ok registered=2")
        for line in lines
    )
    assert (
        "anime-mcp plugins: registered plugin=onnx_text hook=register_embedders kind=EmbedderProvider "
        "object='onnx-text' type=OnnxTextEmbedderProvider"
    ) in lines
