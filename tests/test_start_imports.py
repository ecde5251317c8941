"""What the start of ``anime-mcp mcp`` does not import: building the app, the runtime and the tool catalogue
(the work before its first answer, which must come within a second of its spawn) loads none of the modules
that only other paths need. Checked in a fresh interpreter, as a spawned ``anime-mcp mcp`` is; the names
deferred there still resolve when asked for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Each is imported where it is first needed, never by the start.
DEFERRED = (
    "httpx",  # the live sources' HTTP client: first live call, catalogue download or check, picture fetch
    "jsonschema",  # names the error when a value fails a tool's compiled schema check
    "anime_mcp.core.planning.planner",  # query_anime's planner and its reading rules (many regexes)
    "anime_mcp.core.planning.dates",
    "anime_mcp.entrypoints.tools.query_execution",  # how query_anime answers a plan
    "anime_mcp.adapters.catalogue_download",  # anime-mcp ingest / update
    "anime_mcp.adapters.catalogue_check",
    "anime_mcp.adapters.http.replay",  # ANIME_MCP_REPLAY / ANIME_MCP_RECORD
    "anime_mcp.entrypoints.replay_setup",
    "anime_mcp.entrypoints.search_setup",  # the model and the index: the first search (or the warm-up)
    "anime_mcp.adapters.redis_coordination",  # [cache] redis_url, at the first source runtime
    "anime_mcp.adapters.picture_fetcher",  # anime-mcp index-images
    "anime_mcp.adapters.enrichment_sqlite",  # the enrichment store, opened at first use
    "anime_mcp.adapters.scraping.pages",  # lxml: a scraped source parsing a page
    "urllib.robotparser",  # a scraped source reading robots.txt
    "zstandard",  # a zstd catalogue or dump being read
    "tomllib",  # config.toml, when there is one
    "platformdirs",  # the default home, when ANIME_MCP_HOME is not set
)

START = """
import json, sys
import anime_mcp.entrypoints.cli
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.entrypoints.tools import build_tools

tools = build_tools(Runtime(bootstrap(Settings.load(flags={}))))
listed = [(tool.name, tool.input_schema, tool.output_schema) for tool in tools]
print(json.dumps({"tools": len(listed), "loaded": sorted(m for m in DEFERRED if m in sys.modules)}))
"""


def test_the_start_of_the_mcp_command_defers_what_it_does_not_use(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env |= {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOG_LEVEL": "warning"}  # no config.toml there
    probe = f"DEFERRED = {list(DEFERRED)!r}\n{START}"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    found = json.loads(run.stdout.splitlines()[-1])
    assert found["tools"] > 0
    assert found["loaded"] == []


def test_the_deferred_names_resolve_when_asked_for() -> None:
    from anime_mcp.adapters import scraping
    from anime_mcp.adapters.scraping import pages
    from anime_mcp.core import planning
    from anime_mcp.core.planning import planner
    from anime_mcp.entrypoints.tools import base

    assert planning.plan is planner.plan
    assert scraping.parse_page is pages.parse_page
    assert scraping.HtmlElement is pages.HtmlElement
    assert base.StrictValidator is base.strict_validator()
    assert not base.StrictValidator({"type": "integer"}).is_valid(26.0)  # an integer is an int here


PLAIN_START = """
import json, sys
from anime_mcp.entrypoints.launch import plain_structlog

plain_structlog()  # what the console script does for `anime-mcp mcp`
import structlog.dev
{start}
loaded = sorted(
    m for m in sys.modules if m.split(".")[0] in ("rich", "pygments") and sys.modules[m] is not None
)
from anime_mcp.entrypoints.cli.app import err, out  # the CLI's consoles still come when asked for
import rich.console
print(json.dumps({{"loaded": loaded, "traceback_renderer": structlog.dev.rich is None,
                  "consoles": [type(c).__name__ for c in (out, err)], "err_is_stderr": err.stderr}}))
"""


def test_the_mcp_start_imports_no_rich_and_the_cli_still_gets_its_consoles(tmp_path: Path) -> None:
    """rich (and pygments through it) cost the start ~0.05 s: structlog is imported with rich hidden, and
    the CLI's consoles are built on first use; both still work for every other command."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env |= {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOG_LEVEL": "warning"}
    probe = "DEFERRED = []\n" + PLAIN_START.format(start=START)  # START prints its line first
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    found = json.loads(run.stdout.splitlines()[-1])
    assert found["loaded"] == []
    assert found["traceback_renderer"] is True  # plain tracebacks in the log
    assert found["consoles"] == ["Console", "Console"] and found["err_is_stderr"] is True
