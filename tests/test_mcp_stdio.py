"""The MCP server over stdio, driven by the SDK's own client (``ClientSession`` + ``stdio_client``) against
the real ``anime-mcp mcp`` process and a real catalogue slice and index."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from serve_support import ANIME_MCP, HELLO, environment, ingested_home, mcp_process

pytestmark = pytest.mark.anyio
TOOLS = {"search_anime", "get_anime_by_id", "find_similar_anime"}


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_stdio_server_lists_tools_and_answers_death_note(home: Path) -> None:
    server = StdioServerParameters(command=ANIME_MCP, args=["mcp"], env=environment(home))
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        init = await session.initialize()
        assert init.server_info.name == "anime-mcp"
        assert "search_anime" in (init.instructions or "")

        listed = {tool.name: tool for tool in (await session.list_tools()).tools}
        assert set(listed) >= TOOLS
        for tool in listed.values():
            assert tool.input_schema["type"] == "object" and tool.input_schema["properties"]
            assert tool.output_schema is not None and tool.output_schema["type"] == "object"
            assert len(tool.description or "") > 200, "descriptions are written for an LLM"
            Draft202012Validator.check_schema(tool.input_schema)
            Draft202012Validator.check_schema(tool.output_schema)
            assert tool.annotations is not None and tool.annotations.read_only_hint

        # The client validates structured content against the listed output schema itself.
        found = await session.call_tool("search_anime", {"query": "death note"})
        assert not found.is_error
        first = found.structured_content["results"][0]
        assert first["ids"]["mal"] == "1535" and first["title"] == "Death Note"
        assert (
            found.structured_content["count"] == len(found.structured_content["results"]) <= 5
        )  # small default
        text = found.content[0].text
        assert text.splitlines()[1].startswith("1. Death Note") and "[mal-1535]" in text

        filtered = await session.call_tool(
            "search_anime", {"query": "death", "limit": 10, "filters": {"types": ["TV"], "year_min": 2010}}
        )
        results = filtered.structured_content["results"]
        assert results and all(r["type"] == "TV" and r["year"] >= 2010 for r in results)

        one = await session.call_tool("get_anime_by_id", {"anime_id": "https://kitsu.io/anime/1376"})
        anime = one.structured_content["anime"]
        assert anime["anime_id"] == "mal-1535" and "psychological" in anime["tags"]  # full detail by default

        similar = await session.call_tool("find_similar_anime", {"anime_id": "mal:1535", "limit": 3})
        assert similar.structured_content["anime"]["anime_id"] == "mal-1535"
        ids = [r["anime_id"] for r in similar.structured_content["results"]]
        assert len(ids) == 3 and "mal-1535" not in ids


async def test_failures_are_tool_errors_and_the_server_keeps_serving(home: Path) -> None:
    server = StdioServerParameters(command=ANIME_MCP, args=["mcp"], env=environment(home))
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()

        async def error_text(name: str, arguments: dict[str, Any]) -> str:
            result = await session.call_tool(name, arguments)
            assert result.is_error, result
            text: str = result.content[0].text
            assert "Traceback" not in text
            return text

        assert "limit" in await error_text("search_anime", {"query": "x", "limit": 1000})
        assert "query" in await error_text("search_anime", {"limit": 3})
        assert "filters.types.0" in await error_text(
            "search_anime", {"query": "x", "filters": {"types": ["TVX"]}}
        )
        assert "filters.year_max" in await error_text(
            "search_anime", {"query": "x", "filters": {"year_min": 2010, "year_max": 2000}}
        )
        assert "no catalogue entry has mal:99999999" in await error_text(
            "get_anime_by_id", {"anime_id": "mal:99999999"}
        )
        assert "search_anime" in await error_text("no_such_tool", {})

        still = await session.call_tool("get_anime_by_id", {"anime_id": "mal:1535"})
        assert not still.is_error


async def test_resources_describe_the_installation(home: Path) -> None:
    server = StdioServerParameters(command=ANIME_MCP, args=["mcp"], env=environment(home))
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        uris = {str(r.uri) for r in (await session.list_resources()).resources}
        assert uris == {
            "anime-mcp://plugins",
            "anime-mcp://health",
            "anime-mcp://stats",
            "anime-mcp://sources",
        }

        async def read(uri: str) -> Any:
            contents = (await session.read_resource(uri)).contents[0]
            return json.loads(contents.text)

        plugins = await read("anime-mcp://plugins")
        cli = subprocess.run(
            [ANIME_MCP, "plugins", "--json"],
            capture_output=True,
            text=True,
            env=environment(home),
            check=True,
        )
        assert plugins == json.loads(cli.stdout), "one list_plugins() for the CLI and MCP"
        health = await read("anime-mcp://health")
        assert health["status"] == "ok"
        assert {"catalogue", "index", "embedder", "plugins"} <= set(health["components"])
        sources = {source["id"]: source for source in await read("anime-mcp://sources")}
        assert {"kitsu", "anilist", "mal"} <= set(sources)
        assert sources["kitsu"]["breaker"] == "closed" and "synopsis" in sources["kitsu"]["fields"]
        assert set(health["components"]["sources"]["sources"]) == set(sources)
        stats = await read("anime-mcp://stats")
        assert stats["catalogue"]["entries"] == health["components"]["catalogue"]["entries"] > 50


async def test_a_client_of_the_2026_era_is_served_by_the_sdk(home: Path) -> None:
    """The SDK's ``Client`` opens with ``server/discover`` in the 2026-07-28 envelope: ``anime-mcp mcp``
    hands that connection to the SDK's server, which answers in that era."""
    from mcp.client.client import Client

    server = StdioServerParameters(command=ANIME_MCP, args=["mcp"], env=environment(home))
    async with Client(server) as client:
        assert client.protocol_version == "2026-07-28"
        assert client.session.discover_result is not None
        assert {tool.name for tool in (await client.list_tools()).tools} >= TOOLS
        found = await client.call_tool("search_anime", {"query": "death note"})
        assert not found.is_error and found.structured_content["results"][0]["ids"]["mal"] == "1535"


async def test_a_handshake_client_is_served_by_the_lean_session_without_the_sdk(home: Path) -> None:
    """What every client sends today (``initialize``) is answered without importing the SDK: the server
    says so in its debug log line (``mcp.session``); tests/test_mcp_session.py checks it answers as the
    SDK would."""
    process = mcp_process(home, ANIME_MCP_WARM_UP="0")
    out, err = process.communicate(
        json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}) + "\n", timeout=120
    )
    assert json.loads(out)["result"]["serverInfo"]["name"] == "anime-mcp"
    assert "mcp.session" in err and "sdk_loaded=False" in err
