"""The lean MCP session of ``anime-mcp mcp``: JSON-RPC 2.0 of the handshake era (``initialize``, protocol
2024-11-05 to 2025-11-25) answered from the tool catalogue, without the SDK.

Why not the SDK here: importing it costs about a second of CPU (three protocol versions' pydantic models),
more than the whole budget of a stdio server's first answer. The wire this session writes is the SDK
server's (tests/test_mcp_session.py compares them message by message), the SDK's own client drives it in
the stdio tests, and a client that opens in the 2026-07-28 era is handed to the SDK (``stdio``).

Each request runs in its own task, so a slow live-source call never holds up ``ping`` or a search, and
``notifications/cancelled`` stops the request it names (which then gets no answer, as the protocol says).
Malformed messages get JSON-RPC errors (the SDK drops them silently); nothing a client sends ends the
session.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import structlog
from anyio.abc import TaskGroup

from anime_mcp.entrypoints.mcp.listing import (
    SERVER_NAME,
    answer_call,
    instructions,
    listed_resources,
    listed_tool,
    resource_contents,
    resource_readers,
    sent_correlation_id,
    unknown_resource,
)
from anime_mcp.entrypoints.mcp.warm_up import WarmUp
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue
from anime_mcp.entrypoints.tools.base import Report, ToolProgress

log = structlog.get_logger("anime_mcp.mcp")

HANDSHAKE_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST_HANDSHAKE_VERSION = HANDSHAKE_VERSIONS[-1]
# Only a 2026-07-28 request carries this key in ``params._meta``: the SDK's sign of that era.
MODERN_ENVELOPE = "io.modelcontextprotocol/protocolVersion"

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = {"code": -32603, "message": "Internal error: the server log has the details"}

NOT_JSON_RPC = 'not a JSON-RPC 2.0 request (it needs "jsonrpc": "2.0" and a method)'

Send = Callable[[dict[str, Any]], Awaitable[None]]
RequestId = str | int


class RpcError(Exception):
    """A JSON-RPC error answer."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def wire(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


def invalid_params() -> RpcError:
    return RpcError(INVALID_PARAMS, "Invalid request parameters", "")  # the SDK's words


def opens_modern_era(message: Any) -> bool:
    """Whether a client's first message opens a 2026-07-28 connection (the SDK serves those)."""
    if not isinstance(message, dict) or message.get("method") == "initialize":
        return False
    params = message.get("params")
    meta = params.get("_meta") if isinstance(params, dict) else None
    return isinstance(meta, dict) and MODERN_ENVELOPE in meta


def parse(line: str | bytes) -> Any:
    """A message, or the ``RpcError`` (parse error) to answer with id null."""
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return RpcError(PARSE_ERROR, "Parse error: a message is one JSON object per line")


class McpSession:
    """One client's session over a message transport: ``receive`` each message, answers go to ``send``."""

    def __init__(
        self,
        runtime: Runtime,
        tools: ToolCatalogue,
        send: Send,
        *,
        version: str,
        warm_up: WarmUp | None = None,
    ) -> None:
        self._runtime = runtime
        self._tools = tools
        self._send = send
        self._warm_up = warm_up
        self._listed = [listed_tool(tool) for tool in tools]
        self._readers = resource_readers(runtime)
        self._instructions = instructions(tools)
        self._server_info = {"name": SERVER_NAME, "title": SERVER_NAME, "version": version}
        self._running: dict[RequestId, anyio.CancelScope] = {}  # by ``_request_key``

    async def receive(self, message: Any, tasks: TaskGroup) -> None:
        """Handle one parsed message (``parse``): a request is answered in its own task in ``tasks``."""
        if isinstance(message, RpcError):
            await self._deliver({"jsonrpc": "2.0", "id": None, "error": message.wire()})
            return
        if not isinstance(message, dict):  # a batch (gone from the protocol since 2025-06-18) or a scalar
            await self._refuse(None, "a message is one JSON-RPC object; batches are not supported")
            return
        request_id = message.get("id")
        method = message.get("method")
        if method is None and ("result" in message or "error" in message):
            return  # an answer to a request of ours: this server sends none
        if message.get("jsonrpc") != "2.0" or not isinstance(method, str):
            await self._refuse(_valid_id(request_id), NOT_JSON_RPC)
            return
        if "id" not in message:
            self._notified(method, message.get("params"))
            return
        valid_id = _valid_id(request_id)
        if valid_id is None:
            await self._refuse(None, "a request id is a string or an integer")
            return
        tasks.start_soon(self._answer, valid_id, method, message.get("params"))

    async def _refuse(self, request_id: RequestId | None, why: str) -> None:
        error = RpcError(INVALID_REQUEST, f"Invalid request: {why}")
        await self._deliver({"jsonrpc": "2.0", "id": request_id, "error": error.wire()})

    async def _deliver(self, message: dict[str, Any]) -> None:
        """Send one answer; a failure to send it is logged, and ends neither the session nor other calls."""
        try:
            await self._send(message)
        except Exception:
            log.exception("mcp.answer_not_sent", id=message.get("id"))

    @property
    def in_flight(self) -> int:
        """Requests being answered now."""
        return len(self._running)

    def _notified(self, method: str, params: Any) -> None:
        if method == "notifications/cancelled" and isinstance(params, dict):
            named = _valid_id(params.get("requestId"))
            scope = self._running.get(_request_key(named)) if named is not None else None
            if scope is not None:
                scope.cancel()
        # notifications/initialized and anything else: nothing to do

    async def _answer(self, request_id: RequestId, method: str, params: Any) -> None:
        key = _request_key(request_id)
        with anyio.CancelScope() as scope:
            self._running[key] = scope
            try:
                result = await self._result(method, params)
                answer = {"jsonrpc": "2.0", "id": request_id, "result": result}
            except RpcError as error:
                answer = {"jsonrpc": "2.0", "id": request_id, "error": error.wire()}
            except Exception:  # a bug: the session goes on, the log has the stack trace
                log.exception("mcp.request_failed", method=method)
                answer = {"jsonrpc": "2.0", "id": request_id, "error": INTERNAL_ERROR}
            finally:
                if self._running.get(key) is scope:  # a reused id may name a later request now
                    del self._running[key]
        if not scope.cancelled_caught:  # a cancelled request is not answered
            await self._deliver(answer)
        if method == "tools/list" and self._warm_up is not None:
            self._warm_up.start()  # now that the listing is written: the first call comes next

    async def _result(self, method: str, params: Any) -> dict[str, Any]:
        if params is not None and not isinstance(params, dict):
            raise invalid_params()
        params = params or {}
        meta = params.get("_meta")
        if isinstance(meta, dict) and MODERN_ENVELOPE in meta:
            raise RpcError(
                INVALID_REQUEST,
                "this connection opened with initialize (the handshake era): "
                "a 2026-07-28 request envelope needs a new connection",
            )
        if method == "initialize":
            return self._initialize(params)
        if method == "ping":
            return {}
        if method == "tools/list":
            return {"tools": self._listed}
        if method == "tools/call":
            return await self._call(params, meta)
        if method == "resources/list":
            return {"resources": listed_resources(self._readers)}
        if method == "resources/read":
            return await self._read(params)
        raise RpcError(METHOD_NOT_FOUND, "Method not found", method)

    def _initialize(self, params: dict[str, Any]) -> dict[str, Any]:
        asked = params.get("protocolVersion")
        if not isinstance(asked, str):
            raise invalid_params()
        return {
            "capabilities": {
                "resources": {"listChanged": False, "subscribe": False},
                "tools": {"listChanged": False},
            },
            "instructions": self._instructions,
            "protocolVersion": asked if asked in HANDSHAKE_VERSIONS else LATEST_HANDSHAKE_VERSION,
            "serverInfo": self._server_info,
        }

    async def _call(self, params: dict[str, Any], meta: Any) -> dict[str, Any]:
        name, arguments = params.get("name"), params.get("arguments")
        if not isinstance(name, str) or not (arguments is None or isinstance(arguments, dict)):
            raise invalid_params()
        token = _valid_id(meta.get("progressToken") if isinstance(meta, dict) else None)
        try:
            result = await answer_call(
                self._runtime,
                self._tools,
                name,
                arguments,
                correlation_id=sent_correlation_id(meta),
                progress=self._progress(token) if token is not None else None,
            )
        finally:
            if self._warm_up is not None:
                self._warm_up.answered()
        del result["resultType"]  # a field of the 2026-07-28 era: the SDK drops it for the handshake era
        return result

    def _progress(self, token: RequestId) -> Report:
        """Each stage of the answer as ``notifications/progress``; one not sent loses only itself."""

        async def report(stage: ToolProgress) -> None:
            params: dict[str, Any] = {"progressToken": token, "progress": stage.step, "total": stage.total}
            if stage.message is not None:
                params["message"] = stage.message
            try:
                await self._send({"jsonrpc": "2.0", "method": "notifications/progress", "params": params})
            except Exception:  # progress is a courtesy: the call goes on
                log.warning("mcp.progress_not_sent", stage=stage.stage.value, exc_info=True)

        return report

    async def _read(self, params: dict[str, Any]) -> dict[str, Any]:
        uri = params.get("uri")
        if not isinstance(uri, str):
            raise invalid_params()
        reader = self._readers.get(uri)
        if reader is None:
            raise RpcError(INVALID_PARAMS, unknown_resource(uri, self._readers))
        data = await self._runtime.run_sync(reader, self._runtime)
        return {"contents": resource_contents(uri, data)}


def _request_key(request_id: RequestId) -> RequestId:
    """What names a request for cancelling: "1" and 1 name the same one, as the SDK reads ids."""
    if isinstance(request_id, str) and request_id.isdecimal() and request_id.isascii():
        return int(request_id)
    return request_id


def _valid_id(value: Any) -> RequestId | None:
    """A JSON-RPC id (or progress token) as MCP allows it: a string or an integer, not a boolean."""
    return (
        value if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) else None
    )
