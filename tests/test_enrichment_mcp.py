"""The enrichment tools over MCP (the SDK's in-process client), answered by replayed platform recordings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from mcp.client.client import Client
from test_replay import env, recorded, runner

from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.mcp.server import build_server
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools

__all__ = ["recorded", "runner"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_compare_ratings_and_details_over_mcp(recorded: tuple[Path, Path]) -> None:
    home, folder = recorded
    environ = {k: v for k, v in env(home, ANIME_MCP_REPLAY=str(folder)).items() if v is not None}
    settings = Settings.load(environ)
    runtime = Runtime(bootstrap(evolve(settings, serve=ServeSettings(warm_up=False))))
    server = build_server(runtime, build_tools(runtime))
    try:
        async with Client(server) as mcp:
            names = {tool.name for tool in (await mcp.list_tools()).tools}
            assert {"get_anime_details", "compare_ratings"} <= names
            rated = await mcp.call_tool("compare_ratings", {"anime_id": "mal:1535"})
            details = await mcp.call_tool(
                "get_anime_details", {"anime_id": "mal:1535", "fields": ["synopsis", "episodes"]}
            )
    finally:
        await runtime.aclose()
    assert not rated.is_error and not details.is_error
    ratings: dict[str, Any] = rated.structured_content or {}
    rows = {row["source"]: row for row in ratings["ratings"]}
    assert {"kitsu", "anidb"} <= set(rows) and rows["anidb"]["scale"]["high"] == 10.0
    fields: dict[str, Any] = (details.structured_content or {})["fields"]
    assert fields["episodes"]["provenance"]["source"] == "catalogue"
    assert fields["synopsis"]["provenance"]["source"] in {"kitsu", "anidb"}
