"""The REST API in process (Starlette's TestClient runs the app's lifespan): every endpoint's contract,
error answers, limits, correlation ids and tracing, on the same real catalogue slice and index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from attrs import evolve
from jsonschema import Draft202012Validator
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from serve_support import environment, ingested_home
from starlette.testclient import TestClient

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.observability import configure_tracing
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import Tool, ToolCatalogue, build_tools
from anime_mcp.entrypoints.tools.schemas import object_schema

SPANS = InMemorySpanExporter()
# a 1x1 red PNG, base64: a well-formed picture for search_by_image
TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = ingested_home(tmp_path_factory)
    with pytest.MonkeyPatch.context() as patch:
        for key, value in environment(home).items():
            if key.startswith("ANIME_MCP_"):
                patch.setenv(key, value)
        yield home


def kitsu_replay(request: httpx.Request) -> httpx.Response:
    """Kitsu's recorded answer for Death Note (../shared/fixtures), for the live tool; anything else fails."""
    if request.url.host == "kitsu.app" and request.url.params.get("filter[id]") == "1376":
        body = (FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json").read_bytes()
        return httpx.Response(200, content=body, headers={"content-type": "application/vnd.api+json"})
    raise httpx.ConnectError("offline in tests", request=request)


def make_client(
    home: Path,
    *,
    extra_tools: tuple[Tool, ...] = (),
    transport: httpx.MockTransport | None = None,
    **settings: Any,
) -> TestClient:
    fakes = Overrides(
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(kitsu_replay)),
        http_transport=transport,
        clock=VirtualClock(),
        env={},
    )
    configured = Settings.load()
    configured = evolve(configured, serve=ServeSettings(**{"warm_up": False, **settings}))
    runtime = Runtime(bootstrap(configured, overrides=fakes))
    tools = ToolCatalogue([*build_tools(runtime), *extra_tools])
    return TestClient(create_app(runtime, tools), raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    configure_tracing("off", span_exporter=SPANS)

    async def crash(runtime: Runtime, arguments: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("secret internal detail")

    broken = Tool(
        name="broken",
        title="Broken",
        description="Always fails.",
        input_schema=object_schema({}),
        output_schema=object_schema({}),
        handler=crash,
        render=str,
    )
    limits = {"max_body_bytes": 64 * 1024, "max_image_body_bytes": 256 * 1024}
    with make_client(home, extra_tools=(broken,), **limits) as test_client:
        yield test_client


def test_every_tool_answers_its_output_schema(client: TestClient) -> None:
    arguments = {
        "search_anime": {"query": "cowboy bebop", "detail": "full"},
        "get_anime_by_id": {"anime_id": "mal:1"},
        "find_similar_anime": {"anime_id": "Cowboy Bebop", "exclude_franchise": True},
        "get_anime_from_source": {"anime_id": "mal:1535", "source": "kitsu"},
        "get_anime_details": {"anime_id": "mal:1535", "fields": ["synopsis", "score"]},
        "compare_ratings": {"anime_id": "mal:1535"},
        "seasonal_anime": {"year": 2006, "season": "FALL"},
        "where_to_watch": {"anime_id": "mal:1535"},
        "airing_schedule": {"date": "2026-09-14", "timezone": "America/New_York"},
        "next_episode": {"anime_id": "mal:1535"},
        "query_anime": {"text": "What does Kitsu say about Death Note?"},
    }
    for tool in client.get("/api/tools").json()["tools"]:
        if tool["name"] == "broken":
            continue
        if tool["name"] == "search_by_image":  # this home has no CLIP model: a clear 503 saying what to do
            refused = client.post("/api/tools/search_by_image", json={"image": TINY_PNG})
            assert refused.status_code == 503 and "models export" in refused.text, refused.text
            continue
        response = client.post(f"/api/tools/{tool['name']}", json=arguments[tool["name"]])
        assert response.status_code == 200, response.text
        Draft202012Validator(tool["output_schema"]).validate(response.json())
    text = client.post("/api/tools/get_anime_by_id?format=text", json={"anime_id": "mal:1535"})
    assert text.headers["content-type"].startswith("text/plain") and text.text.startswith("Death Note")


def test_structured_queries(client: TestClient) -> None:
    similar = client.post(
        "/api/query",
        json={
            "query": {"similar_to": "mal:1535", "filters": {"types": ["TV"]}},
            "limit": 4,
            "options": {"exclude_franchise": True},
        },
    ).json()
    assert similar["metadata"]["tool"] == "find_similar_anime" and len(similar["results"]) == 4
    assert all(r["type"] == "TV" and r["anime_id"] != "mal-1535" for r in similar["results"])
    one = client.post(
        "/api/query",
        json={
            "query": {"anime_id": "https://myanimelist.net/anime/1535/Death_Note"},
            "options": {"detail": "full"},
        },
    ).json()
    assert one["results"][0]["title"] == "Death Note" and "tags" in one["results"][0]
    assert one["results"][0]["relevance"] == 1.0
    text = client.post(
        "/api/query", json={"query": {"text": "death note"}, "options": {"mode": "sparse"}}
    ).json()
    assert text["metadata"]["mode"] == "sparse" and text["warnings"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": {"text": "x", "anime_id": "mal:1"}}, "query"),
        ({"query": {}}, "query"),
        ({"query": {"anime_id": "mal:1", "filters": {}}}, "query.filters"),
        ({"query": "x", "options": {"exclude_franchise": True}}, "options.exclude_franchise"),
        ({"query": {"anime_id": "mal:1"}, "options": {"mode": "dense"}}, "options.mode"),
        ({"query": {"similar_to": "not a :// reference ::"}}, None),
        ({"query": "x", "limit": 0}, "limit"),
        ({"query": "x", "options": {"detail": "everything"}}, "options.detail"),
        ([1, 2], None),
    ],
)
def test_query_inputs_that_cannot_have_an_effect_are_refused(
    client: TestClient, body: Any, field: str | None
) -> None:
    response = client.post("/api/query", json=body)
    assert response.status_code in (404, 422), response.text
    if field is not None:
        assert response.status_code == 422
        assert response.json()["error"]["field"] == field


def test_batch_items_succeed_or_fail_on_their_own(client: TestClient) -> None:
    queries = [
        {"query": "totoro", "limit": 1},
        {"query": {"anime_id": "mal:99999999"}},
        {"query": 5},
        {"query": {"similar_to": "mal:1535"}, "limit": 2},
    ]
    response = client.post(
        "/api/batch", json={"queries": queries, "max_concurrent": 2}, headers={"X-Correlation-ID": "batch-1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert [item["status"] for item in body["results"]] == [200, 404, 422, 200]
    assert body["results"][0]["response"]["results"][0]["title"] == "Tonari no Totoro"
    assert body["results"][2]["error"]["field"] == "queries.2.query"
    assert body["results"][1]["error"]["correlation_id"] == "batch-1.1"
    assert body["metadata"] == {**body["metadata"], "count": 4, "succeeded": 2, "failed": 2}
    too_many = client.post("/api/batch", json={"queries": [{"query": "x"}] * 51})
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "queries"
    assert client.post("/api/batch", json={"queries": [], "max_concurrent": 99}).status_code == 422


def test_errors_are_json_without_internals(client: TestClient) -> None:
    crashed = client.post("/api/tools/broken", json={})
    assert crashed.status_code == 500
    error = crashed.json()["error"]
    assert error["code"] == "internal" and error["correlation_id"] == crashed.headers["x-correlation-id"]
    assert "secret" not in crashed.text and "Traceback" not in crashed.text
    assert client.post("/api/tools/nope", json={}).json()["error"]["code"] == "unknown_tool"
    assert client.get("/nope").json()["error"]["code"] == "not_found"
    assert client.get("/api/query").status_code == 405
    not_object = client.post("/api/tools/search_anime", json=["death note"])
    assert not_object.status_code == 422 and "object" in not_object.json()["error"]["message"]


def test_bodies_over_the_limit_are_refused_even_without_a_length(client: TestClient) -> None:
    def chunks(kib: int) -> Iterator[bytes]:
        for _ in range(kib):
            yield b" " * 1024

    json_type = {"content-type": "application/json"}
    response = client.post("/api/tools/get_anime_by_id", content=chunks(100), headers=json_type)
    assert response.status_code == 413 and "65,536 bytes" in response.json()["error"]["message"]
    # the requests that take a picture have their own, larger cap: 100 KiB passes it (and is not JSON) ...
    assert client.post("/api/query", content=chunks(100), headers=json_type).status_code == 422
    # ... and the picture cap holds too
    over = client.post("/api/tools/search_by_image", content=chunks(300), headers=json_type)
    assert over.status_code == 413 and "262,144 bytes" in over.json()["error"]["message"]


def test_correlation_ids_are_kept_when_sane_and_made_otherwise(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Correlation-ID": "req-7"}).headers["x-correlation-id"] == "req-7"
    made = client.get("/health", headers={"X-Correlation-ID": "bad id\twith spaces"}).headers[
        "x-correlation-id"
    ]
    assert made != "bad id\twith spaces" and len(made) == 32


def test_admin_is_disabled_without_a_configured_token(home: Path) -> None:
    with make_client(home) as plain:
        response = plain.post("/api/admin/jobs", json={"kind": "ingest"})
        assert response.status_code == 403 and "ANIME_MCP_ADMIN_TOKEN" in response.json()["error"]["message"]


def test_catalogue_check_compares_the_release_with_the_last_download(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://example.test/releases/anime-offline-database.jsonl.zst"
    monkeypatch.setenv("ANIME_MCP_CATALOGUE", url)
    downloads = home / "downloads"
    downloads.mkdir(exist_ok=True)
    (downloads / "anime-offline-database.jsonl.zst").write_bytes(b"old")
    (downloads / "anime-offline-database.jsonl.zst.download.json").write_text(
        json.dumps({"url": url, "etag": '"v1"', "last_modified": "", "size": 3})
    )
    etag = {"value": '"v1"'}

    def release(request: httpx.Request) -> httpx.Response:
        assert request.method == "HEAD" and str(request.url) == url
        return httpx.Response(200, headers={"ETag": etag["value"], "Content-Length": "123"})

    auth = {"Authorization": "Bearer t0ken"}
    with make_client(home, transport=httpx.MockTransport(release), admin_token="t0ken") as admin:
        same = admin.post("/api/admin/catalogue/check", headers=auth).json()
        assert (same["kind"], same["newer"], same["etag"]) == ("url", False, '"v1"')
        etag["value"] = '"v2"'
        assert admin.post("/api/admin/catalogue/check", headers=auth).json()["newer"] is True


def test_catalogue_check_of_a_missing_configured_file_is_a_422(
    home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ANIME_MCP_CATALOGUE", str(tmp_path / "nowhere.jsonl.zst"))
    with make_client(home, admin_token="t0ken") as admin:
        response = admin.post("/api/admin/catalogue/check", headers={"Authorization": "Bearer t0ken"})
    assert response.status_code == 422, response.text
    assert "nowhere.jsonl.zst" in response.json()["error"]["message"]


def test_spans_nest_request_tool_index_and_embedder(client: TestClient) -> None:
    SPANS.clear()
    body = {"query": {"text": "death note"}}  # a structured text query: search_anime, from the request
    client.post("/api/query", json=body, headers={"X-Correlation-ID": "traced-1"})
    spans = {span.name: span for span in SPANS.get_finished_spans()}
    request, tool = spans["POST /api/query"], spans["tool search_anime"]
    assert tool.parent is not None and tool.parent.span_id == request.context.span_id
    for name in ("index.search", "embed.query"):
        assert spans[name].parent is not None and spans[name].parent.span_id == tool.context.span_id, name
    assert request.attributes is not None and request.attributes["correlation_id"] == "traced-1"
    assert request.attributes["http.response.status_code"] == 200


def test_a_named_source_answers_with_provenance(client: TestClient) -> None:
    tool = next(t for t in client.get("/api/tools").json()["tools"] if t["name"] == "get_anime_from_source")
    assert "kitsu" in tool["input_schema"]["properties"]["source"]["enum"]
    response = client.post(
        "/api/tools/get_anime_from_source",
        json={"anime_id": "Death Note", "source": "kitsu", "fields": ["synopsis", "score", "episodes"]},
    )
    assert response.status_code == 200, response.text
    answer = response.json()
    Draft202012Validator(tool["output_schema"]).validate(answer)
    assert answer["anime_id"] == "mal-1535" and set(answer["record"]) == {"synopsis", "score", "episodes"}
    assert answer["record"]["episodes"] == 37 and "shinigami" in answer["record"]["synopsis"]
    assert answer["provenance"]["platform_id"] == "kitsu:1376" and "kitsu.app" in answer["provenance"]["url"]
    text = client.post(
        "/api/tools/get_anime_from_source?format=text",
        json={"anime_id": "kitsu:1376", "source": "kitsu", "fields": ["score"]},
    ).text
    assert text.startswith("Death Note — from kitsu") and "score:" in text


def test_source_errors_are_actionable(client: TestClient) -> None:
    refused = client.post(
        "/api/tools/get_anime_from_source",
        json={"anime_id": "mal:1535", "source": "anidb", "fields": ["rank"]},
    )
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "fields"
    assert "anidb does not provide rank" in refused.json()["error"]["message"]
    offline = client.post("/api/tools/get_anime_from_source", json={"anime_id": "mal:1", "source": "kitsu"})
    assert offline.status_code == 503, offline.text
    assert "kitsu" in offline.json()["error"]["message"]
    health = client.get("/health").json()["components"]["sources"]
    assert health["sources"]["kitsu"]["ready"] is True


def test_an_empty_home_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("ANIME_MCP_HOME", str(tmp_path))
    with make_client(tmp_path) as empty:
        health = empty.get("/health")
        assert health.status_code == 503 and health.json()["status"] == "down"
        assert "anime-mcp ingest" in health.json()["components"]["catalogue"]["error"]
        query = empty.post("/api/query", json={"query": "death note"})
        assert query.status_code == 503 and "anime-mcp ingest" in query.json()["error"]["message"]
        lookup = empty.post("/api/tools/get_anime_by_id", json={"anime_id": "mal:1535"})
        assert lookup.status_code == 503 and lookup.json()["error"]["code"] == "catalogue_not_ingested"
