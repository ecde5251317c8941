"""Bad input is never a 500 and never echoed whole, on every face: REST (``/api/query``, ``/api/tools/...``)
and MCP (the SDK's in-process client), against the same real catalogue slice and index as the REST tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from click.testing import CliRunner
from mcp.client.client import Client
from serve_support import environment, ingested_home
from starlette.testclient import TestClient

from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.mcp.server import build_server
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.entrypoints.tools.echo import ECHO_CHARS, MAX_MESSAGE_CHARS

# JSON text, so the lone surrogate arrives as JSON sends it ("\ud800" is valid JSON, not valid Unicode)
SURROGATE_QUERY = b'{"query": "\\u0000\\ud800"}'
HUGE = "x" * 200_000


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture(scope="module")
def runtime(home: Path) -> Iterator[Runtime]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment(home).items():
            if key.startswith("ANIME_MCP_"):
                patch.setenv(key, value)
        configured = Settings.load()
        yield Runtime(bootstrap(evolve(configured, serve=ServeSettings(warm_up=False))))


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, build_tools(runtime)), raise_server_exceptions=False) as test_client:
        yield test_client


def post(client: TestClient, path: str, body: bytes) -> Any:
    return client.post(path, content=body, headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/query", SURROGATE_QUERY, "query"),
        ("/api/query", b'{"query": {"text": "death \\udc00 note"}}', "query.text"),
        ("/api/query", b'{"query": {"similar_to": "\\ud800", "filters": {}}}', "query.similar_to"),
        ("/api/tools/search_anime", SURROGATE_QUERY, "query"),
        (
            "/api/tools/search_anime",
            b'{"query": "x", "filters": {"tags": ["ok", "\\ud83d"]}}',
            "filters.tags.1",
        ),
        ("/api/tools/get_anime_by_id", b'{"anime_id": "\\ud800"}', "anime_id"),
        ("/api/batch", b'{"queries": [{"query": "\\ud800"}]}', None),
    ],
)
def test_a_lone_surrogate_is_a_422_naming_the_field(
    client: TestClient, path: str, body: bytes, field: str | None
) -> None:
    response = post(client, path, body)
    if field is None:  # a batch answers 200; the item fails on its own
        assert response.status_code == 200, response.text
        item = response.json()["results"][0]
        assert (item["status"], item["error"]["field"]) == (422, "queries.0.query")
        return
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_input", field)
    assert "not valid Unicode" in error["message"] and "\\ud" in error["message"]


def test_text_with_a_nul_character_is_searched(client: TestClient) -> None:
    response = post(client, "/api/query", b'{"query": "death\\u0000note"}')
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("path", "arguments", "field"),
    [
        ("/api/query", {"query": HUGE}, "query"),
        ("/api/query", {"query": {"text": HUGE}}, "query.text"),
        ("/api/tools/search_anime", {"query": HUGE}, "query"),
        ("/api/tools/search_anime", {"query": "x", "filters": {"types": [HUGE]}}, "filters.types.0"),
        ("/api/tools/get_anime_by_id", {"anime_id": HUGE}, "anime_id"),
        ("/api/tools/get_anime_by_id", {"anime_id": "mal:1", "detail": HUGE}, "detail"),
        ("/api/tools/search_anime", {"query": "x", HUGE: 1}, None),  # an unknown field with a huge name
    ],
)
def test_errors_quote_at_most_the_start_of_a_huge_value(
    client: TestClient, path: str, arguments: dict[str, Any], field: str | None
) -> None:
    response = client.post(path, json=arguments)
    assert response.status_code == 422, response.text[:500]
    error = response.json()["error"]
    assert len(error["message"]) <= MAX_MESSAGE_CHARS + 40
    assert len(error["field"]) <= MAX_MESSAGE_CHARS + 40
    if field is not None:
        assert error["field"] == field
        assert "x" * ECHO_CHARS in error["message"] and "x" * (ECHO_CHARS + 1) not in error["message"]
        assert f"({len(HUGE)} characters)" in error["message"]
    assert len(response.content) < 3000


def test_a_long_unknown_reference_is_quoted_capped(client: TestClient) -> None:
    reference = "no such anime " * 35  # under the 500-character limit, over the echo cap
    response = client.post("/api/tools/get_anime_by_id", json={"anime_id": reference})
    assert response.status_code in (404, 422), response.text
    message = response.json()["error"]["message"]
    assert reference not in message and "characters)" in message


def test_an_unknown_tool_name_is_quoted_capped(client: TestClient) -> None:
    response = client.post(f"/api/tools/{'y' * 3000}", json={})
    assert response.status_code == 404
    assert len(response.json()["error"]["message"]) < 400


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_mcp_tool_errors_for_the_same_inputs(runtime: Runtime) -> None:
    server = build_server(runtime, build_tools(runtime))
    async with Client(server) as mcp:

        async def error_text(name: str, arguments: dict[str, Any]) -> str:
            result = await mcp.call_tool(name, arguments)
            assert result.is_error
            text = result.content[0].text  # type: ignore[union-attr]
            json.dumps(text).encode()  # valid Unicode: it can go over the wire
            return text

        surrogate = await error_text("search_anime", {"query": "\x00\ud800"})
        assert surrogate.startswith("Error: query: ") and "not valid Unicode" in surrogate
        assert "filters.tags.0" in await error_text(
            "find_similar_anime", {"anime_id": "x", "filters": {"tags": ["\udfff"]}}
        )
        huge = await error_text("search_anime", {"query": HUGE})
        assert huge.startswith("Error: query: ") and f"({len(HUGE)} characters)" in huge
        assert len(huge) < MAX_MESSAGE_CHARS
        reference = await error_text("get_anime_by_id", {"anime_id": "\ud800"})
        assert reference.startswith("Error: anime_id: ")
        ok = await mcp.call_tool("search_anime", {"query": "death note", "limit": 1})
        assert not ok.is_error  # the server keeps serving


def test_an_unknown_endpoint_is_not_echoed_whole(client: TestClient) -> None:
    response = client.get(f"/{'z' * 5000}")
    assert response.status_code == 404
    assert len(response.json()["error"]["message"]) <= MAX_MESSAGE_CHARS + 40


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "death \udcff note"], "query: 'death \\udcff note' is not valid Unicode text"),
        (["get", "\udcff"], "anime_id: '\\udcff' is not valid Unicode text"),
        (["search", HUGE[:5000]], "… (5000 characters) is too long"),
        (["search", "x", "--tag", HUGE[:5000]], "filters.tags.0: 'xxx"),
    ],
)
def test_the_cli_gets_the_same_errors_in_one_short_line(home: Path, args: list[str], message: str) -> None:
    """Bytes that are not UTF-8 reach a command as lone surrogates (``surrogateescape``)."""
    result = CliRunner().invoke(cli, args, env=environment(home))
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and len(result.stderr) < 400


def test_the_cli_names_its_own_option_for_an_out_of_range_limit(home: Path) -> None:
    result = CliRunner().invoke(cli, ["similar", "mal:1535", "--limit", "0"], env=environment(home))
    assert result.exit_code == 2  # a usage error, before any tool runs
    assert "Invalid value for '--limit'" in result.output and "1<=x<=100" in result.output
