"""Progressive answers: the offline answer at once, one stage per source as it arrives, then the merged one.

The use case's stages with test doubles of the Source port (tests/test_enrichment.py); REST's event stream
(``Accept: text/event-stream``) and MCP progress notifications with Kitsu's and AniDB's real Death Note
recordings replayed (tests/test_replay.py's ``recorded`` home; AniList has no recording, so it fails).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from attrs import evolve
from mcp import ClientSession
from mcp.client.client import Client
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from openapi_spec_validator import validate
from serve_support import ANIME_MCP, environment, served
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient
from test_enrichment import CATALOGUE_STORE, RECORDS, Answer, Double, info, never
from test_replay import env, recorded, runner

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.core.degradation import Level, OutcomeStatus
from anime_mcp.core.progress import Progress, Stage
from anime_mcp.core.services.enrichment import Enrichment, enrich
from anime_mcp.core.sources import SourceRecord
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.mcp.server import build_server
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.rest.stream import EventStream, wants_events
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.entrypoints.tools.base import Report, ToolInputError, ToolProgress

__all__ = ["recorded", "runner"]

SSE = {"accept": "text/event-stream"}
DEATH_NOTE = {"anime_id": "mal:1535", "sources": ["kitsu", "anidb"]}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- the use case -------------------------------------------------------------------------------------------
def after(seconds: float, record: SourceRecord) -> Answer:
    async def answer() -> SourceRecord:
        await anyio.sleep(seconds)
        return record

    return answer


@pytest.mark.anyio
async def test_enrich_tells_offline_then_each_source_as_it_arrives_then_the_answer() -> None:
    doubles = {
        "kitsu": Double(info("kitsu"), after(0.05, RECORDS["kitsu"])),
        "anidb": Double(info("anidb"), after(0.0, RECORDS["anidb"])),
        "anilist": Double(info("anilist"), never),  # still silent at the deadline
    }
    heard: list[Progress[Enrichment]] = []

    async def listen(progress: Progress[Enrichment]) -> None:
        heard.append(progress)

    result = await enrich(
        "mal:1535", CATALOGUE_STORE, doubles, fields={"synopsis", "score"}, deadline=0.3, progress=listen
    )
    assert [(p.stage, p.step, p.total) for p in heard] == [
        (Stage.OFFLINE, 1, 5),
        (Stage.SOURCE, 2, 5),
        (Stage.SOURCE, 3, 5),
        (Stage.SOURCE, 4, 5),
        (Stage.FINAL, 5, 5),
    ]
    offline, anidb, kitsu, anilist, final = heard
    # the catalogue's answer before any source was asked: the entry, no records, everyone awaited
    assert offline.pending == ("anidb", "anilist", "kitsu") and offline.answer.records == ()
    assert offline.answer.merged.value("title") == "Death Note" and offline.answer.level is Level.OFFLINE
    # each source in the order it answered, with the answer as it stood then
    assert anidb.source is not None and anidb.source.source == "anidb" and anidb.source.contributed
    assert anidb.pending == ("anilist", "kitsu") and anidb.answer.level is Level.PARTIAL
    assert [r.record.platform_id.platform.value for r in anidb.answer.records] == ["anidb"]
    assert kitsu.source is not None and kitsu.source.source == "kitsu" and kitsu.pending == ("anilist",)
    assert anilist.source is not None and anilist.source.reason == "timed out after 0.3 s"
    assert anilist.source.status is OutcomeStatus.FAILED and anilist.pending == ()
    # the last stage is the answer the call returns
    assert final.answer is result and final.source is None and result.level is Level.PARTIAL


@pytest.mark.anyio
async def test_without_sources_to_ask_there_are_two_stages() -> None:
    heard: list[Progress[Enrichment]] = []

    async def listen(progress: Progress[Enrichment]) -> None:
        heard.append(progress)

    result = await enrich("mal:1535", CATALOGUE_STORE, {}, enhance=False, progress=listen)
    assert [(p.stage, p.step, p.total) for p in heard] == [(Stage.OFFLINE, 1, 2), (Stage.FINAL, 2, 2)]
    assert heard[0].answer == result and result.level is Level.FULL


def test_a_stage_is_checked_and_its_answer_made_once_when_read() -> None:
    made: list[int] = []
    stage = Progress(Stage.OFFLINE, 1, 2, compute=lambda: made.append(1) or len(made))
    assert made == [] and stage.answer == 1 and stage.answer == 1 and made == [1]
    with pytest.raises(ValueError, match="outside"):
        Progress(Stage.OFFLINE, 3, 2, compute=lambda: None)
    with pytest.raises(ValueError, match="source stage"):
        Progress(Stage.SOURCE, 2, 3, compute=lambda: None)


# --- REST: server-sent events -------------------------------------------------------------------------------
def events(text: str) -> list[tuple[int, str, Any]]:
    """(id, event, data) of each server-sent event, in order; ``data`` must be one line of JSON."""
    found = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        assert set(fields) == {"id", "event", "data"}, block
        found.append((int(fields["id"]), fields["event"], json.loads(fields["data"])))
    return found


def replayed_runtime(home: Path, folder: Path) -> Runtime:
    environ = {k: v for k, v in env(home, ANIME_MCP_REPLAY=str(folder)).items() if v is not None}
    settings = Settings.load(environ)
    # a virtual clock: two servers' answers carry the same fetch times
    fakes = Overrides(clock=VirtualClock())
    return Runtime(bootstrap(evolve(settings, serve=ServeSettings(warm_up=False)), overrides=fakes))


@contextmanager
def rest_client(home: Path, folder: Path) -> Iterator[TestClient]:
    runtime = replayed_runtime(home, folder)
    with TestClient(create_app(runtime, build_tools(runtime), mcp=False)) as test_client:
        yield test_client


@pytest.fixture
def client(recorded: tuple[Path, Path]) -> Iterator[TestClient]:
    with rest_client(*recorded) as test_client:
        yield test_client


def plain(recorded: tuple[Path, Path], path: str, body: Any, **headers: str) -> Any:
    """The answer without the event-stream header, from a server of its own (whose response cache has not
    seen the streamed request: a repeat would be answered from the cache)."""
    with rest_client(*recorded) as other:
        response = other.post(path, json=body, headers=headers)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    return response.json()


def stream(
    client: TestClient, path: str, body: Any, **headers: str
) -> tuple[str, list[tuple[int, str, Any]]]:
    response = client.post(path, json=body, headers={**SSE, **headers})
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-cache"
    return response.headers["content-type"], events(response.text)


def test_a_tool_streams_offline_each_source_then_the_final_answer(
    client: TestClient, recorded: tuple[Path, Path]
) -> None:
    kind, found = stream(client, "/api/tools/compare_ratings", DEATH_NOTE)
    assert kind.startswith("text/event-stream")
    assert [(i, name) for i, name, _ in found] == [(1, "offline"), (2, "source"), (3, "source"), (4, "final")]
    (_, _, offline), (_, _, first), (_, _, second), (_, _, final) = found
    # at once: the catalogue's answer (its aggregate score), both sources awaited
    assert offline["step"] == 1 and offline["total"] == 4 and offline["pending"] == ["anidb", "kitsu"]
    assert offline["answer"]["ratings"] == [] and offline["answer"]["catalogue"]["source"] == "catalogue"
    assert offline["answer"]["degradation"]["level"] == "offline"
    # one event per source asked, with its outcome and the answer so far in the tool's own shape
    assert {first["source"]["source"], second["source"]["source"]} == {"kitsu", "anidb"}
    assert first["source"]["status"] == second["source"]["status"] == "contributed"
    assert [r["source"] for r in first["answer"]["ratings"]] == [first["source"]["source"]]
    assert first["answer"]["degradation"]["level"] == "partial" and second["pending"] == []
    # the final event is the answer the same request gets without the header
    assert plain(recorded, "/api/tools/compare_ratings", DEATH_NOTE) == final
    assert {r["source"] for r in final["ratings"]} == {"kitsu", "anidb"}
    assert final["degradation"]["level"] == "full"


def test_a_failing_source_is_a_source_event_with_its_reason(client: TestClient) -> None:
    arguments = {"anime_id": "mal:1535", "sources": ["anidb", "anilist", "kitsu"]}  # no AniList recording
    _, found = stream(client, "/api/tools/compare_ratings", arguments)
    names = [name for _, name, _ in found]
    assert names == ["offline", "source", "source", "source", "final"]  # the stream goes on to the end
    outcomes = {data["source"]["source"]: data["source"] for _, name, data in found if name == "source"}
    assert outcomes["anilist"]["status"] == "failed" and outcomes["anilist"]["reason"] == "unavailable"
    final = found[-1][2]
    assert {r["source"] for r in final["ratings"]} == {"kitsu", "anidb"}
    assert final["degradation"]["level"] == "partial"
    assert {m["platform"]: m["reason"] for m in final["missing"]}["anilist"] == "unavailable"


def test_get_anime_details_streams_merged_fields(client: TestClient, recorded: tuple[Path, Path]) -> None:
    arguments = {**DEATH_NOTE, "fields": ["synopsis", "episodes"]}
    _, found = stream(client, "/api/tools/get_anime_details", arguments)
    assert [name for _, name, _ in found] == ["offline", "source", "source", "final"]
    offline = found[0][2]["answer"]
    # the catalogue's fields at once; the synopsis only once a source gave it
    assert offline["fields"]["episodes"]["provenance"]["source"] == "catalogue"
    assert "synopsis" not in offline["fields"] and offline["missing"] == ["synopsis"]
    final = found[-1][2]
    assert (
        final["fields"]["synopsis"]["provenance"]["source"] in {"kitsu", "anidb"} and final["missing"] == []
    )
    assert plain(recorded, "/api/tools/get_anime_details", arguments) == final


def test_a_tool_that_does_not_enrich_streams_only_its_final_answer(client: TestClient) -> None:
    _, found = stream(client, "/api/tools/get_anime_by_id", {"anime_id": "mal:1535"})
    assert [(i, name) for i, name, _ in found] == [(1, "final")]
    assert found[0][2] == client.post("/api/tools/get_anime_by_id", json={"anime_id": "mal:1535"}).json()


def test_query_streams_its_offline_then_final_answer(client: TestClient) -> None:
    body = {"query": {"anime_id": "mal:1535"}}
    same = {"x-correlation-id": "progressive-1"}
    _, found = stream(client, "/api/query", body, **same)
    assert [(i, name) for i, name, _ in found] == [(1, "offline"), (2, "final")]
    offline, final = found[0][2], found[1][2]
    assert offline == {"step": 1, "total": 2, "pending": [], "answer": final}
    plain = client.post("/api/query", json=body, headers=same).json()
    for answer in (plain, final):
        answer["metadata"].pop("took_ms")
    assert plain == final and final["results"][0]["title"] == "Death Note"


def test_refused_input_is_an_ordinary_error_before_any_stream(client: TestClient) -> None:
    for path, body, status, field in (
        ("/api/tools/compare_ratings", {"anime_id": "mal:1535", "sources": ["nope"]}, 422, "sources"),
        ("/api/tools/compare_ratings", {"anime_id": "mal:1535", "extra": 1}, 422, "extra"),
        ("/api/query", {"query": {"anime_id": "mal:1535", "text": "x"}}, 422, "query"),
        ("/api/tools/get_anime_details", {"anime_id": "mal:999999999"}, 404, None),
    ):
        response = client.post(path, json=body, headers=SSE)
        assert response.status_code == status, (path, response.text)
        assert response.headers["content-type"] == "application/json"
        error = response.json()["error"]
        assert field is None or error["field"].startswith(field)


def test_an_error_after_the_stream_started_is_an_error_event() -> None:
    async def offline_then_crash(report: Report) -> None:
        await report(ToolProgress(Stage.OFFLINE, 1, 3, pending=("kitsu",), compute=lambda: {"so": "far"}))
        raise RuntimeError("secret internal detail")

    async def refused(report: Report) -> None:
        raise ToolInputError("anime_id", "this field is required")

    async def crashing(request: Request) -> Response:
        return EventStream(request, offline_then_crash)

    async def refusing(request: Request) -> Response:
        return EventStream(request, refused)

    app = Starlette(
        routes=[Route("/crash", crashing, methods=["POST"]), Route("/refuse", refusing, methods=["POST"])]
    )
    with TestClient(app) as test_client:
        crashed = test_client.post("/crash", headers=SSE)
        found = events(crashed.text)
        assert [(i, name) for i, name, _ in found] == [(1, "offline"), (2, "error")]
        error = found[1][2]["error"]
        assert error["code"] == "internal" and "secret" not in crashed.text
        assert found[0][2] == {"step": 1, "total": 3, "pending": ["kitsu"], "answer": {"so": "far"}}
        refusal = test_client.post("/refuse", headers=SSE)
        assert refusal.status_code == 422 and refusal.json()["error"]["field"] == "anime_id"


def test_the_openapi_document_describes_the_stream(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    validate(document)
    for path in ("/api/query", "/api/tools/compare_ratings", "/api/tools/get_anime_by_id"):
        ok = document["paths"][path]["post"]["responses"]["200"]
        assert set(ok["content"]) == {"application/json", "text/event-stream"}
        assert "`offline`" in ok["description"] and "`final`" in ok["description"]


@pytest.mark.parametrize(
    ("accept", "wanted"),
    [
        ("text/event-stream", True),
        ("application/json, text/event-stream;q=0.5", True),
        ("TEXT/EVENT-STREAM", True),
        ("text/event-stream; q=0", False),
        ("application/json", False),
        ("", False),
        ("*/*", False),
    ],
)
def test_only_an_accept_header_naming_event_streams_asks_for_one(accept: str, wanted: bool) -> None:
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [(b"accept", accept.encode())]}
    assert wants_events(Request(scope)) is wanted


# --- MCP: progress notifications ----------------------------------------------------------------------------
@pytest.fixture
async def mcp_client(recorded: tuple[Path, Path]) -> AsyncIterator[Client]:
    runtime = replayed_runtime(*recorded)
    try:
        async with Client(build_server(runtime, build_tools(runtime))) as client:
            yield client
    finally:
        await runtime.aclose()


@pytest.mark.anyio
async def test_mcp_progress_notifications_carry_the_stages(mcp_client: Client) -> None:
    heard: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append((progress, total, message))

    arguments = {**DEATH_NOTE, "fields": ["synopsis", "score", "episodes"]}
    result = await mcp_client.call_tool("get_anime_details", arguments, progress_callback=on_progress)
    assert not result.is_error
    assert [(p, t) for p, t, _ in heard] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    messages = [m for _, _, m in heard]
    assert messages[0] == "offline answer" and messages[-1] == "final answer"
    assert sorted(messages[1:3]) == ["anidb: contributed", "kitsu: contributed"]
    # the result is the merged answer, as without a progress token
    merged: dict[str, Any] = result.structured_content or {}
    assert merged["fields"]["synopsis"]["provenance"]["source"] in {"kitsu", "anidb"}
    assert merged["fields"]["episodes"]["provenance"]["source"] == "catalogue"
    assert {r["source"] for r in merged["ratings"]["ratings"]} == {"kitsu", "anidb"}
    assert merged["degradation"]["level"] == "full"


@pytest.mark.anyio
async def test_mcp_progress_names_a_failing_source_and_other_tools_tell_only_the_end(
    mcp_client: Client,
) -> None:
    heard: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append((progress, total, message))

    arguments = {"anime_id": "mal:1535", "sources": ["anilist", "kitsu"]}
    rated = await mcp_client.call_tool("compare_ratings", arguments, progress_callback=on_progress)
    assert not rated.is_error and (rated.structured_content or {})["degradation"]["level"] == "partial"
    assert [p for p, _, _ in heard] == [1, 2, 3, 4] and "anilist: failed (unavailable)" in [
        m for *_, m in heard
    ]
    heard.clear()
    found = await mcp_client.call_tool(
        "get_anime_by_id", {"anime_id": "mal:1535"}, progress_callback=on_progress
    )
    assert not found.is_error and heard == [(1, 1, "final answer")]


@pytest.mark.integration  # anime-mcp mcp in a subprocess
@pytest.mark.anyio
async def test_progress_notifications_over_stdio(recorded: tuple[Path, Path]) -> None:
    """The wire path: the SDK's client sends ``_meta.progressToken``, the real process answers with
    ``notifications/progress`` (in process above, the SDK calls the callback without a token)."""
    home, folder = recorded
    settings = {
        k: v
        for k, v in env(home, ANIME_MCP_REPLAY=str(folder)).items()
        if v is not None and k != "ANIME_MCP_HOME"
    }
    server = StdioServerParameters(
        command=ANIME_MCP, args=["mcp"], env=environment(home, ANIME_MCP_WARM_UP="0", **settings)
    )
    heard: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append((progress, total, message))

    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        rated = await session.call_tool("compare_ratings", DEATH_NOTE, progress_callback=on_progress)
    assert not rated.is_error and {r["source"] for r in (rated.structured_content or {})["ratings"]} == {
        "kitsu",
        "anidb",
    }
    assert [(p, t) for p, t, _ in heard] == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert heard[0][2] == "offline answer" and heard[-1][2] == "final answer"
    assert sorted(m or "" for _, _, m in heard[1:3]) == ["anidb: contributed", "kitsu: contributed"]


@pytest.mark.integration  # anime-mcp serve in a subprocess
@pytest.mark.anyio
@pytest.mark.parametrize("stream", [True, False])
async def test_progress_notifications_over_streamable_http(recorded: tuple[Path, Path], stream: bool) -> None:
    """With ``[serve] mcp_stream`` the /mcp answers are short event streams that carry the progress
    notifications before the result; by default they are plain JSON bodies and the result alone arrives."""
    home, folder = recorded
    settings = {
        k: v
        for k, v in env(home, ANIME_MCP_REPLAY=str(folder)).items()
        if v is not None and k != "ANIME_MCP_HOME"
    }
    heard: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        heard.append((progress, total, message))

    with served(
        home, ANIME_MCP_WARM_UP="0", ANIME_MCP_MCP_STREAM="1" if stream else "0", **settings
    ) as server:
        async with (
            httpx.AsyncClient(timeout=30) as http,
            streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            rated = await session.call_tool("compare_ratings", DEATH_NOTE, progress_callback=on_progress)
    assert not rated.is_error and {r["source"] for r in (rated.structured_content or {})["ratings"]} == {
        "kitsu",
        "anidb",
    }
    if stream:
        assert [(p, t) for p, t, _ in heard] == [(1, 4), (2, 4), (3, 4), (4, 4)]
        assert heard[0][2] == "offline answer" and heard[-1][2] == "final answer"
    else:
        assert heard == []  # JSON bodies: no stream to carry them (use the REST event stream)
