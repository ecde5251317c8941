"""What registering the live sources costs at start: composing the app (every ``anime-mcp mcp`` does, in a
fresh interpreter) registers every source plugin, yet imports none of their parse modules, which load when
a source is first asked something, nor httpx or lxml (the source modules import neither)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from shared_data import FIXTURES, require_shared

KITSU_ANIME = FIXTURES / "kitsu" / "anime" / "anime_1_cowboy-bebop.json"

# Composes the app as a start does, then asks the registered Kitsu source for a recorded answer.
COMPOSE_THEN_FETCH = """
import json, sys
import importlib.metadata as md
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.settings import Settings

SOURCES = "anime_mcp.plugins.sources."

def parse_modules():
    return sorted(m for m in sys.modules if m.startswith(SOURCES) and m.endswith(".parse"))

app = bootstrap(Settings.load(flags={}))
report = {
    "plugins": sorted(ep.name for ep in md.entry_points(group="anime_mcp")
                      if ep.value.startswith(SOURCES)),
    "sources": sorted(source.info.id for source in app.plugins.sources()),
    "parse_at_start": parse_modules(),
    "libraries_at_start": sorted(m for m in ("httpx", "lxml") if m in sys.modules),
}

import anyio, httpx
from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.core.platforms import Platform, PlatformId

body = open(sys.argv[1], "rb").read()
transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
runtime = HttpRuntime(client=make_async_client(transport), clock=VirtualClock(), env={})
kitsu = next(source for source in app.plugins.sources() if source.info.id == "kitsu").bind(runtime)
record = anyio.run(kitsu.fetch, PlatformId(Platform.KITSU, "1"))
report["title"] = record.title
report["parse_after_fetch"] = parse_modules()
print(json.dumps(report))
"""

IMPORT_SOURCES = """
import json, sys
import importlib, importlib.metadata as md
for ep in md.entry_points(group="anime_mcp"):
    if ep.value.startswith("anime_mcp.plugins.sources."):
        importlib.import_module(ep.value)
print(json.dumps(sorted(m for m in ("httpx", "lxml") if m in sys.modules)))
"""


def _run(code: str, home: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env |= {"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOG_LEVEL": "warning"}
    done = subprocess.run(
        [sys.executable, "-c", code, *args], check=False, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_composing_the_app_registers_every_source_and_imports_no_parser(tmp_path: Path) -> None:
    report = json.loads(_run(COMPOSE_THEN_FETCH, tmp_path, str(require_shared(KITSU_ANIME))))
    assert len(report["plugins"]) == 15
    assert set(report["plugins"]) <= set(report["sources"])  # each plugin registered its source
    assert report["parse_at_start"] == []
    assert report["libraries_at_start"] == []
    # Asked something, a source imports its parse module and reads the recorded answer as before.
    assert report["title"] == "Cowboy Bebop"
    assert report["parse_after_fetch"] == ["anime_mcp.plugins.sources.kitsu.parse"]


def test_the_source_plugins_import_no_httpx_and_no_lxml(tmp_path: Path) -> None:
    assert json.loads(_run(IMPORT_SOURCES, tmp_path)) == []


def test_what_a_source_declares_at_registration_is_what_its_parse_module_says() -> None:
    """The few constants a source's class body needs are written out (reading them from the parse module
    would import it at start): they must stay the parse module's values."""
    from anime_mcp.plugins.sources.animeplanet import parse as animeplanet
    from anime_mcp.plugins.sources.animeplanet.source import AnimePlanetSource
    from anime_mcp.plugins.sources.livechart import parse as livechart
    from anime_mcp.plugins.sources.livechart.source import LiveChartSource
    from anime_mcp.plugins.sources.mal import parse as mal
    from anime_mcp.plugins.sources.mal.source import MalSource

    assert MalSource.info.formats == (mal.MAL_V2, mal.JIKAN)
    assert (AnimePlanetSource.info.id, AnimePlanetSource.info.homepage) == (
        animeplanet.SOURCE,
        animeplanet.SITE,
    )
    assert (LiveChartSource.info.id, LiveChartSource.info.homepage) == (livechart.SOURCE, livechart.SITE)
