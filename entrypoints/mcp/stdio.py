"""``anime-mcp mcp``: MCP over the process's stdin and stdout, one JSON-RPC message per line.

The client's first message decides who answers, as in the SDK: a request in the 2026-07-28 per-request
envelope goes to the SDK's server (imported then); anything else (``initialize``, what every client sends
today) to the lean session (``session.McpSession``), so a start pays no SDK import.

While serving, file descriptor 1 points at stderr and 0 at the null device (the wire has private
duplicates), so a stray print or a native library's chatter can never corrupt the protocol stream.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from collections.abc import AsyncIterator, Iterator
from importlib.metadata import version
from typing import IO, Any

import anyio
import structlog

from anime_mcp.entrypoints.mcp.session import McpSession, opens_modern_era, parse
from anime_mcp.entrypoints.mcp.warm_up import WarmUp
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue

log = structlog.get_logger("anime_mcp.mcp")
EOF_GRACE_SECONDS = 5.0


class Wire:
    """The protocol's two ends: lines in, lines out (one writer at a time, off the event loop)."""

    def __init__(self, incoming: IO[bytes], outgoing: IO[bytes]) -> None:
        self._incoming = anyio.wrap_file(io.TextIOWrapper(incoming, encoding="utf-8", errors="replace"))
        self._outgoing = outgoing
        self._writing = anyio.Lock()
        self.gone = False  # the client closed its end: answers have nowhere to go

    async def lines(self) -> AsyncIterator[str]:
        async for line in self._incoming:
            if line.strip():
                yield line

    async def send(self, message: dict[str, Any]) -> None:
        await self.write(json.dumps(message, ensure_ascii=False, separators=(",", ":")) + "\n")

    async def write(self, text: str) -> None:
        # A lone surrogate a client sent (an id, a method name) can come back in an answer: escaped, it
        # stays valid JSON (it can only be inside a string) instead of failing to encode.
        data = text.encode("utf-8", errors="backslashreplace")
        async with self._writing:
            if self.gone:
                return
            try:
                await anyio.to_thread.run_sync(self._write, data)
            except (BrokenPipeError, ConnectionResetError) as exc:  # the session ends when stdin does
                self.gone = True
                log.info("mcp.client_gone", error=str(exc))
            except OSError as exc:  # nothing more can be written reliably: say so, do not crash
                self.gone = True
                log.warning("mcp.wire_failed", error=str(exc))

    def _write(self, data: bytes) -> None:
        self._outgoing.write(data)
        self._outgoing.flush()


@contextlib.contextmanager
def claimed_stdio() -> Iterator[Wire]:
    """The wire on private duplicates of fds 0 and 1; fd 1 points at stderr and fd 0 at the null device
    meanwhile, restored after."""
    wire_in, wire_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    try:
        os.dup2(null, 0)
        os.dup2(2, 1)
    finally:
        os.close(null)
    incoming = os.fdopen(wire_in, "rb", buffering=0)
    outgoing = os.fdopen(wire_out, "wb")
    try:
        yield Wire(incoming, outgoing)
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()  # stray prints go to stderr, where fd 1 points until now
        os.dup2(wire_in, 0)
        os.dup2(wire_out, 1)
        incoming.close()
        with contextlib.suppress(OSError):  # the client has gone: nothing left to flush to
            outgoing.close()


async def serve_stdio(runtime: Runtime, tools: ToolCatalogue) -> None:
    """Serve MCP over stdio until the client closes stdin; ``WarmUp`` loads the model and opens the index
    once ``tools/list`` is answered (or after ``WarmUp.FALLBACK_SECONDS``)."""
    warm_up = WarmUp(runtime)
    warm_up.start_soon(WarmUp.FALLBACK_SECONDS)
    warm_up.seasons_later()
    try:
        with claimed_stdio() as wire:
            await serve(wire, runtime, tools, warm_up)
    finally:
        await runtime.aclose()


async def serve(wire: Wire, runtime: Runtime, tools: ToolCatalogue, warm_up: WarmUp | None = None) -> None:
    lines = wire.lines()
    first = await anext(lines, None)
    if first is None:
        return
    opening = parse(first)
    if opens_modern_era(opening):
        await _serve_with_sdk(wire, runtime, tools, warm_up=warm_up, first=first, rest=lines)
        log.debug("mcp.session", era="2026-07-28", sdk_loaded=True)
        return
    session = McpSession(runtime, tools, wire.send, version=version("anime-mcp"), warm_up=warm_up)
    async with anyio.create_task_group() as tasks:
        await session.receive(opening, tasks)
        async for line in lines:
            await session.receive(parse(line), tasks)
        # stdin is closed: a client that piped its requests in still reads the answers, for a while
        with anyio.move_on_after(0 if wire.gone else EOF_GRACE_SECONDS):
            while session.in_flight and not wire.gone:
                await anyio.sleep(0.02)
        tasks.cancel_scope.cancel()
    log.debug("mcp.session", era="handshake", sdk_loaded="mcp.server" in sys.modules)


async def _serve_with_sdk(
    wire: Wire,
    runtime: Runtime,
    tools: ToolCatalogue,
    *,
    warm_up: WarmUp | None,
    first: str,
    rest: AsyncIterator[str],
) -> None:
    """The SDK's server for a 2026-07-28 client, fed the opening line again, then the rest."""
    from mcp.server.stdio import stdio_server

    from anime_mcp.entrypoints.mcp.server import build_server

    server = build_server(runtime, tools, warm_up=warm_up)
    async with stdio_server(stdin=_Replayed(first, rest), stdout=_Written(wire)) as (read, write):  # type: ignore[arg-type]
        await server.run(read, write, server.create_initialization_options())


class _Replayed:
    """The client's lines for the SDK's stdio transport (``async for line in stdin``)."""

    def __init__(self, first: str, rest: AsyncIterator[str]) -> None:
        self._first: str | None = first
        self._rest = rest

    def __aiter__(self) -> _Replayed:
        return self

    async def __anext__(self) -> str:
        if self._first is not None:
            line, self._first = self._first, None
            return line
        return await anext(self._rest)


class _Written:
    """Our wire as the SDK's stdout (``await stdout.write(text)``, ``await stdout.flush()``)."""

    def __init__(self, wire: Wire) -> None:
        self._wire = wire

    async def write(self, text: str) -> None:
        await self._wire.write(text)

    async def flush(self) -> None:
        return None  # every write is flushed
