"""The lean stdio session (``entrypoints/mcp/session.py``) answers what the SDK's server answers: the same
script of JSON-RPC messages goes to both, in process, over one fake installation (every tool, platforms
unreachable), and every answer and progress notification must be equal. Then what only the lean session
does: JSON-RPC errors for malformed messages (the SDK drops them), cancellation, and the wire's guard
against stray output on fd 1."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import mcp_types as types
import pytest
from fake_app_support import fake_runtime
from mcp.shared.message import SessionMessage

from anime_mcp.entrypoints.mcp.listing import listed_tool
from anime_mcp.entrypoints.mcp.server import build_server, mcp_tool
from anime_mcp.entrypoints.mcp.session import (
    HANDSHAKE_VERSIONS,
    MODERN_ENVELOPE,
    McpSession,
    opens_modern_era,
    parse,
)
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue, build_tools

pytestmark = pytest.mark.anyio

DEATH_NOTE = {"query": "death note", "limit": 2}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    made = fake_runtime(tmp_path, sources=True)
    yield made
    await made.aclose()


def script(version: str) -> list[dict[str, Any]]:
    def request(request_id: int, method: str, params: Any = None) -> dict[str, Any]:
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        return message | ({"params": params} if params is not None else {})

    client = {"name": "test", "version": "1"}
    return [
        request(1, "initialize", {"protocolVersion": version, "capabilities": {}, "clientInfo": client}),
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        request(2, "ping"),
        request(3, "tools/list"),
        request(4, "tools/list", {"cursor": "next"}),
        request(
            5, "tools/call", {"name": "search_anime", "arguments": DEATH_NOTE, "_meta": {"progressToken": 7}}
        ),
        request(6, "tools/call", {"name": "get_anime_by_id", "arguments": {"anime_id": "mal:1535"}}),
        request(7, "tools/call", {"name": "no_such_tool", "arguments": {}}),
        request(8, "tools/call", {"name": "search_anime", "arguments": {"query": 5}}),
        request(9, "tools/call", {"name": "search_anime", "arguments": "death note"}),
        request(10, "tools/call", {"arguments": {}}),
        request(11, "resources/list"),
        request(12, "resources/read", {"uri": "anime-mcp://plugins"}),
        request(13, "resources/read", {"uri": "anime-mcp://nothing"}),
        request(14, "prompts/list"),
        request(15, "resources/templates/list"),
        request(16, "logging/setLevel", {"level": "debug"}),
        request(17, "anime/unknown"),
    ]


async def sdk_answers(runtime: Runtime, tools: ToolCatalogue, messages: list[dict[str, Any]]) -> list[Any]:
    """What the SDK's low-level server sends for ``messages``, one request at a time, as wire dicts."""
    server = build_server(runtime, tools)
    to_server, server_reads = anyio.create_memory_object_stream[SessionMessage](100)
    server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](100)
    sent: list[Any] = []
    async with anyio.create_task_group() as tasks:
        tasks.start_soon(server.run, server_reads, server_writes, server.create_initialization_options())
        for message in messages:
            await to_server.send(SessionMessage(types.jsonrpc_message_adapter.validate_python(message)))
            while "id" in message:
                got = await from_server.receive()
                sent.append(json.loads(got.message.model_dump_json(by_alias=True, exclude_unset=True)))
                if sent[-1].get("id") == message["id"]:
                    break
        tasks.cancel_scope.cancel()
    return sent


async def lean_answers(runtime: Runtime, tools: ToolCatalogue, messages: list[Any]) -> list[Any]:
    """What the lean session sends for ``messages`` (lines, or dicts sent as JSON), one at a time."""
    sent: list[Any] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(json.loads(json.dumps(message)))

    session = McpSession(runtime, tools, send, version=_version())
    for message in messages:
        async with anyio.create_task_group() as tasks:  # waits for the request's answer
            await session.receive(parse(message if isinstance(message, str) else json.dumps(message)), tasks)
    return sent


def _version() -> str:
    from importlib.metadata import version

    return version("anime-mcp")


@pytest.mark.parametrize("version", [*HANDSHAKE_VERSIONS, "1999-01-01"])
async def test_the_lean_session_answers_every_request_as_the_sdk_does(runtime: Runtime, version: str) -> None:
    tools = build_tools(runtime)
    messages = script(version)
    expected = await sdk_answers(runtime, tools, messages)
    found = await lean_answers(runtime, tools, messages)
    assert [m.get("id") for m in found] == [m.get("id") for m in expected]
    for mine, theirs in zip(found, expected, strict=True):
        if theirs.get("id") == 10:  # the SDK's data names no field; ours is the same code and message
            assert mine["error"]["code"] == theirs["error"]["code"] == -32602
            continue
        assert mine == theirs, theirs.get("id")
    answers = {m["id"]: m for m in found if "id" in m}
    assert answers[1]["result"]["protocolVersion"] == (
        version if version in HANDSHAKE_VERSIONS else "2025-11-25"
    )
    assert answers[5]["result"]["structuredContent"]["results"][0]["ids"]["mal"] == "1535"
    progress = [m for m in found if m.get("method") == "notifications/progress"]
    assert progress and all(m["params"]["progressToken"] == 7 for m in progress)


async def test_every_listed_tool_is_the_sdk_models_dump(runtime: Runtime) -> None:
    for tool in build_tools(runtime):
        assert listed_tool(tool) == mcp_tool(tool).model_dump(by_alias=True, mode="json", exclude_none=True)


async def test_malformed_messages_get_json_rpc_errors_and_the_session_goes_on(runtime: Runtime) -> None:
    tools = build_tools(runtime)
    found = await lean_answers(
        runtime,
        tools,
        [
            "this is not json",
            "[1, 2]",
            '"a string"',
            '{"id": 3, "method": "ping"}',
            '{"jsonrpc": "2.0", "id": 4}',
            '{"jsonrpc": "2.0", "id": [5], "method": "ping"}',
            '{"jsonrpc": "2.0", "id": 6, "method": "ping", "params": [1]}',
            '{"jsonrpc": "2.0", "id": 7, "result": {}}',  # an answer to nothing we asked: ignored
            '{"jsonrpc": "2.0", "method": "notifications/whatever"}',  # an unknown notification: ignored
            '{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": {"a": 1}}}',
            '{"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": [1]}}',
            "[" * 200_000,  # deeper than the parser goes
            '{"jsonrpc": "2.0", "id": "eight", "method": "ping"}',
        ],
    )
    codes = [(m["id"], m["error"]["code"]) if "error" in m else (m["id"], "ok") for m in found]
    assert codes == [
        (None, -32700),
        (None, -32600),
        (None, -32600),
        (3, -32600),
        (4, -32600),
        (None, -32600),
        (6, -32602),
        (None, -32700),
        ("eight", "ok"),
    ]
    assert "JSON" in found[0]["error"]["message"] and "batches" in found[1]["error"]["message"]


async def test_a_2026_envelope_on_a_handshake_connection_is_refused(runtime: Runtime) -> None:
    enveloped = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/list",
        "params": {"_meta": {MODERN_ENVELOPE: "2026-07-28"}},
    }
    found = await lean_answers(runtime, build_tools(runtime), [enveloped])
    assert found[0]["error"]["code"] == -32600 and "initialize" in found[0]["error"]["message"]


def test_the_first_message_decides_the_era() -> None:
    modern = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "server/discover",
        "params": {"_meta": {MODERN_ENVELOPE: "x"}},
    }
    assert opens_modern_era(modern)
    assert not opens_modern_era(modern | {"method": "initialize"})
    assert not opens_modern_era({"jsonrpc": "2.0", "id": 1, "method": "ping", "params": {"_meta": {}}})
    assert not opens_modern_era(parse("not json"))
    assert not opens_modern_era([modern])


class SlowTools(ToolCatalogue):
    """Every call waits until cancelled: what a slow live source looks like to the session."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(build_tools(runtime))
        self.started = anyio.Event()  # one per catalogue: a test waits for its own first call

    async def call(self, runtime: Runtime, name: str, arguments: Mapping[str, Any] | None, **_: Any) -> Any:
        self.started.set()
        await anyio.sleep(60)


def slow_session(runtime: Runtime) -> tuple[SlowTools, McpSession, list[dict[str, Any]]]:
    """A session over ``SlowTools``, and the list of what it sends."""
    tools = SlowTools(runtime)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return tools, McpSession(runtime, tools, send, version="test"), sent


async def test_a_cancelled_request_stops_and_is_not_answered_while_others_are(runtime: Runtime) -> None:
    tools, session, sent = slow_session(runtime)
    call = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": "search_anime", "arguments": {}},
    }
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            await session.receive(call, tasks)
            await tools.started.wait()
            await session.receive({"jsonrpc": "2.0", "id": 2, "method": "ping"}, tasks)  # not held up
            while not sent:
                await anyio.sleep(0.01)
            cancel = {"method": "notifications/cancelled", "params": {"requestId": 1, "reason": "user"}}
            await session.receive({"jsonrpc": "2.0", **cancel}, tasks)
    assert sent == [{"jsonrpc": "2.0", "id": 2, "result": {}}]


async def test_a_cancel_naming_the_id_as_a_string_finds_the_request(runtime: Runtime) -> None:
    tools, session, sent = slow_session(runtime)
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "search_anime"}}
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tasks:
            await session.receive(call, tasks)
            await tools.started.wait()
            assert session.in_flight == 1
            cancel = {"method": "notifications/cancelled", "params": {"requestId": "7"}}
            await session.receive({"jsonrpc": "2.0", **cancel}, tasks)
    assert sent == [] and session.in_flight == 0


async def test_at_the_end_of_stdin_requests_in_flight_get_a_grace_then_stop(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A client that piped its requests in still reads quick answers after closing stdin; a call still
    running after the grace is cancelled, so the server ends (the SDK cancels at once)."""
    from anime_mcp.entrypoints.mcp import stdio

    monkeypatch.setattr(stdio, "EOF_GRACE_SECONDS", 0.5)
    requests = tmp_path / "requests.jsonl"
    lines = [
        {"jsonrpc": "2.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "search_anime"}},
    ]
    requests.write_text("".join(json.dumps(line) + "\n" for line in lines))
    answers = tmp_path / "answers.jsonl"
    with requests.open("rb", buffering=0) as incoming, answers.open("wb") as outgoing:
        with anyio.fail_after(10):
            await stdio.serve(stdio.Wire(incoming, outgoing), runtime, SlowTools(runtime))
    assert [json.loads(line) for line in answers.read_text().splitlines()] == [
        {"jsonrpc": "2.0", "id": 1, "result": {}}
    ]


async def test_a_lone_surrogate_sent_back_is_escaped_not_a_crash(tmp_path: Path) -> None:
    """An id or a method name a client sent comes back in the answer; a lone surrogate in it (valid in
    JSON, not in UTF-8) is written as a JSON escape."""
    from anime_mcp.entrypoints.mcp.stdio import Wire

    answers = tmp_path / "answers.jsonl"
    with open(os.devnull, "rb", buffering=0) as incoming, answers.open("wb") as outgoing:
        wire = Wire(incoming, outgoing)
        await wire.send({"jsonrpc": "2.0", "id": "\ud800", "result": {}})
        assert not wire.gone
    assert json.loads(answers.read_text())["id"] == "\ud800"  # the escape reads back as the client's id


def test_stray_output_on_fd_1_never_reaches_the_wire() -> None:
    """While serving, print() and a native library's write(1, ...) land on stderr; the wire stays JSON."""
    code = (
        "import os, anyio\n"
        "from anime_mcp.entrypoints.mcp.stdio import claimed_stdio\n"
        "with claimed_stdio() as wire:\n"
        "    print('stray print', flush=True)\n"
        "    os.write(1, b'native stray\\n')\n"
        "    anyio.run(wire.send, {'jsonrpc': '2.0', 'id': 1, 'result': {}})\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        {"jsonrpc": "2.0", "id": 1, "result": {}}
    ]
    assert "stray print" in done.stderr and "native stray" in done.stderr


async def test_a_client_that_went_away_ends_nothing_but_its_answers() -> None:
    """Writing to a closed pipe (the client quit mid-call) is not an error of the session."""
    from anime_mcp.entrypoints.mcp.stdio import Wire

    read_end, write_end = os.pipe()
    os.close(read_end)
    incoming = open(os.devnull, "rb", buffering=0)  # noqa: SIM115 (closed below)
    outgoing = os.fdopen(write_end, "wb")
    try:
        wire = Wire(incoming, outgoing)
        await wire.send({"jsonrpc": "2.0", "id": 1, "result": {}})
        assert wire.gone
        await wire.send({"jsonrpc": "2.0", "id": 2, "result": {}})  # nothing raised, nothing tried
    finally:
        incoming.close()
        with contextlib.suppress(OSError):
            outgoing.close()
