"""A third-party MCP client: the MCP Inspector CLI (@modelcontextprotocol/inspector 0.15.0, the last version
that runs on Node 20) lists the tools and calls search_anime, over stdio and over streamable HTTP.

``.ci/run`` installs the Inspector from the npm registry into build/inspector and points ANIME_MCP_INSPECTOR
at its executable; without it (a bare ``pytest``) these tests are skipped, naming the command to run.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from search_support import MINILM
from serve_support import ANIME_MCP, ingested_home, served

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "build" / "inspector" / "node_modules" / ".bin" / "mcp-inspector"


@pytest.fixture(scope="module")
def inspector() -> str:
    configured = os.environ.get("ANIME_MCP_INSPECTOR")
    path = Path(configured) if configured else DEFAULT
    if not path.is_file():
        if configured:
            pytest.fail(f"ANIME_MCP_INSPECTOR={configured} does not exist")
        pytest.skip(
            "the MCP Inspector is not installed; `bash .ci/run` installs it (npm, into build/inspector)"
        )
    return str(path)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


def run(inspector: str, *args: str) -> Any:
    result = subprocess.run(
        [inspector, "--cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def check_tools_and_search(inspector: str, *target: str) -> None:
    listed = run(inspector, *target, "--method", "tools/list")
    tools = {tool["name"]: tool for tool in listed["tools"]}
    assert {"search_anime", "get_anime_by_id", "find_similar_anime"} <= set(tools)
    assert all(
        tool["inputSchema"]["properties"] and tool["outputSchema"]["properties"] for tool in tools.values()
    )

    called = run(
        inspector,
        *target,
        "--method",
        "tools/call",
        "--tool-name",
        "search_anime",
        "--tool-arg",
        "query=death note",
        "--tool-arg",
        "limit=3",
    )
    assert called["isError"] is False
    first = called["structuredContent"]["results"][0]
    assert first["ids"]["mal"] == "1535" and first["title"] == "Death Note"
    assert "Death Note" in called["content"][0]["text"]


def test_inspector_over_stdio(inspector: str, home: Path) -> None:
    check_tools_and_search(
        inspector, "-e", f"ANIME_MCP_HOME={home}", "-e", f"ANIME_MCP_MODEL={MINILM}", ANIME_MCP, "mcp"
    )


def test_inspector_over_streamable_http(inspector: str, home: Path) -> None:
    with served(home) as server:
        check_tools_and_search(inspector, f"{server.url}/mcp", "--transport", "http")
