"""``anime-mcp serve`` as a user runs it: a real uvicorn on 127.0.0.1 (port 0), REST and MCP over streamable
HTTP from the same process, driven over loopback with httpx and the MCP SDK's own client."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import httpx2
import pytest
from hub_support import write_catalogue_slice
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from openapi_spec_validator import validate
from serve_support import Server, ingested_home, served

TOKEN = "test-admin-token"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = ingested_home(tmp_path_factory)
    with served(
        home, ANIME_MCP_ADMIN_TOKEN=TOKEN, ANIME_MCP_LOG_LEVEL="info", ANIME_MCP_LOG_FORMAT="json"
    ) as s:
        yield s


@pytest.fixture(scope="module")
def client(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60) as http:
        yield http


def test_health_reports_every_component(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    components = health["components"]
    assert components["catalogue"]["entries"] > 50
    assert components["index"]["model"] == "all-MiniLM-L6-v2"
    assert components["embedder"]["loaded"] is True  # warmed up at start-up
    assert response.headers["x-correlation-id"]


def test_query_answers_with_results_metadata_sources_and_warnings(client: httpx.Client) -> None:
    response = client.post(
        "/api/query", json={"query": "death note", "limit": 3}, headers={"X-Correlation-ID": "abc-123"}
    )
    assert response.status_code == 200
    assert response.headers["x-correlation-id"] == "abc-123"
    body = response.json()
    assert set(body) == {"results", "metadata", "sources", "warnings"}
    first = body["results"][0]
    assert {"title", "ids", "type", "year", "score", "sources", "relevance"} <= set(first)
    assert first["ids"]["mal"] == "1535"
    assert "planner" in body["metadata"] and body["metadata"]["mode"] == "hybrid"
    assert body["sources"][0]["name"] == "catalogue"


def test_openapi_document_validates_and_covers_every_tool(client: httpx.Client) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    tools = client.get("/api/tools").json()["tools"]
    for tool in tools:
        operation = document["paths"][f"/api/tools/{tool['name']}"]["post"]
        assert operation["requestBody"]["content"]["application/json"]["schema"] == tool["input_schema"]
        assert operation["responses"]["200"]["content"]["application/json"]["schema"] == tool["output_schema"]
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api/query" in docs.text and "search_anime" in docs.text


def test_admin_without_the_token_is_refused(client: httpx.Client) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = client.post("/api/admin/jobs", json={"kind": "ingest"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert client.get("/api/admin/jobs").status_code == 401


def test_a_10_mb_body_is_refused_and_a_picture_request_has_its_own_cap(client: httpx.Client) -> None:
    json_type = {"content-type": "application/json"}
    response = client.post("/api/tools/get_anime_by_id", content=b"x" * (10 * 1024 * 1024), headers=json_type)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    # /api/query may carry a base64 picture: 10 MB is under its 28 MiB cap (and not JSON), 30 MB is over
    assert client.post("/api/query", content=b"x" * (10 * 1024 * 1024), headers=json_type).status_code == 422
    over = client.post("/api/query", content=b"x" * (30 * 1024 * 1024), headers=json_type)
    assert over.status_code == 413 and "29,360,128 bytes" in over.json()["error"]["message"]


def test_malformed_bodies_are_422_naming_the_field(client: httpx.Client) -> None:
    broken = client.post("/api/query", content=b'{"query": ', headers={"content-type": "application/json"})
    assert broken.status_code == 422
    assert "not valid JSON" in broken.json()["error"]["message"]
    cases = [
        ({"query": "x", "limit": "many"}, "limit"),
        ({"limit": 3}, "query"),
        ({"query": {"text": "x", "filters": {"year_min": "2000"}}}, "query.filters.year_min"),
        ({"query": "x", "option": {}}, "option"),
    ]
    for body, field in cases:
        response = client.post("/api/query", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error["field"] == field and error["message"].startswith(f"{field}: ")
        assert "Traceback" not in response.text


def test_mcp_over_streamable_http_in_the_same_server(server: Server) -> None:
    async def session() -> None:
        async with (
            httpx2.AsyncClient(headers={"X-Correlation-ID": "mcp-http-1"}) as http,
            streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as mcp,
        ):
            await mcp.initialize()
            tools = {tool.name: tool for tool in (await mcp.list_tools()).tools}
            assert {"search_anime", "get_anime_by_id", "find_similar_anime"} <= set(tools)
            assert all(tool.output_schema for tool in tools.values())
            result = await mcp.call_tool("search_anime", {"query": "death note"})
            assert not result.is_error
            assert result.structured_content["results"][0]["ids"]["mal"] == "1535"

    anyio.run(session)
    tool_logs = [json.loads(line) for line in server.log if '"tool.done"' in line]
    assert any(
        entry["correlation_id"] == "mcp-http-1" and entry["tool"] == "search_anime" for entry in tool_logs
    )


def test_admin_ingest_job_runs_and_the_server_switches_to_its_catalogue(
    server: Server, client: httpx.Client
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/health").json()["components"]["catalogue"]["ingested_at"]
    source = client.get("/stats").json()["catalogue"]["source"]  # the slice this home was ingested from
    started = client.post("/api/admin/jobs", json={"kind": "ingest", "source": source}, headers=auth)
    assert started.status_code == 202, started.text
    location = started.headers["location"]
    assert client.post("/api/admin/jobs", json={"kind": "ingest"}, headers=auth).status_code == 409
    deadline = time.monotonic() + 120
    job = started.json()["job"]
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = client.get(location, headers=auth).json()["job"]
    assert job["status"] == "succeeded", job
    assert job["report"]["index"]["mode"] == "incremental"
    assert client.get("/health").json()["components"]["catalogue"]["ingested_at"] != before
    assert (
        client.post("/api/query", json={"query": "death note", "limit": 1}).json()["results"][0]["ids"]["mal"]
        == "1535"
    )


def test_admin_update_job_refuses_a_release_that_lost_most_entries_and_the_catalogue_stays(
    server: Server, client: httpx.Client, tmp_path: Path
) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get("/health").json()["components"]["catalogue"]
    shrunk = write_catalogue_slice(tmp_path / "shrunk.jsonl.zst", 20)  # far fewer entries than in service
    started = client.post("/api/admin/jobs", json={"kind": "update", "source": str(shrunk)}, headers=auth)
    assert started.status_code == 202, started.text
    deadline = time.monotonic() + 120
    job = started.json()["job"]
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.3)
        job = client.get(started.headers["location"], headers=auth).json()["job"]
    assert job["status"] == "failed" and job["kind"] == "update", job
    assert "entries" in (job["error"] or "") or "entries" in json.dumps(job["report"]), job
    after = client.get("/health").json()["components"]["catalogue"]
    assert (after["entries"], after["ingested_at"]) == (before["entries"], before["ingested_at"])
