"""The MCP face through the SDK (mcp SDK 2.x, low-level ``Server``): the tool catalogue as MCP tools, the
installation's self-description as resources; served over streamable HTTP (``/mcp`` in the Starlette app)
and to stdio clients that open in the 2026-07-28 era (``stdio.serve_stdio`` hands them over). Stdio clients
of the handshake era, every client today, get the lean session (``session.McpSession``) answering the same
wire from the same pieces (``listing``), without the SDK's import at start.

The low-level server is used rather than ``MCPServer``: our schemas are JSON Schema written once in the
tool catalogue (and shared with REST and OpenAPI), not derived from Python signatures. Every tool call
answers structured content matching the tool's output schema plus a compact text rendering; every
failure is an MCP tool error (``is_error``) with an actionable message, never a crashed server. A call
that carries ``_meta.progressToken`` (or, in process, a progress callback) hears the answer grow through
``notifications/progress``: the offline answer, each source as it answers, the final answer
(``ToolCatalogue.call``'s stages); the result is the final answer, as without the token.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import mcp_types as types
import structlog
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

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
from anime_mcp.entrypoints.tools.base import Report, Tool, ToolProgress

log = structlog.get_logger("anime_mcp.mcp")


def mcp_tool(tool: Tool) -> types.Tool:
    """The SDK's model of one listed tool, from the one wire form both servers list (``listed_tool``)."""
    return types.Tool.model_validate(listed_tool(tool))


def _correlation_id(ctx: ServerRequestContext[Any, Any]) -> str:
    """The HTTP request's X-Correlation-ID (set by the REST middleware), a client's ``_meta`` id, or new."""
    request = ctx.request
    state = getattr(request, "state", None)
    found = getattr(state, "correlation_id", None) if state is not None else None
    if isinstance(found, str):
        return found
    return sent_correlation_id(ctx.meta)


def _progress_reporter(ctx: ServerRequestContext[Any, Any]) -> Report:
    """Each stage of the answer as a progress notification: the step of the total, a message naming the
    stage or the source. The SDK sends them only when the client asked (a ``progressToken``; in process, a
    progress callback, which puts no token in ``_meta``), and the stages' outputs are never rendered here,
    so a call nobody follows pays almost nothing. A notification that cannot be sent (the client went away)
    loses nothing but itself: the answer is the tool result."""

    async def report(stage: ToolProgress) -> None:
        try:
            await ctx.session.report_progress(stage.step, stage.total, stage.message)
        except Exception:  # progress is a courtesy: the call goes on
            log.warning("mcp.progress_not_sent", stage=stage.stage.value, exc_info=True)

    return report


def build_server(runtime: Runtime, tools: ToolCatalogue, *, warm_up: WarmUp | None = None) -> Server[Any]:
    listed = [mcp_tool(tool) for tool in tools]
    readers = resource_readers(runtime)

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if warm_up is not None:
            warm_up.start_soon(0.05)  # after this answer is on its way
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> dict[str, Any]:
        try:
            return await answer_call(
                runtime,
                tools,
                params.name,
                params.arguments,
                correlation_id=_correlation_id(ctx),
                progress=_progress_reporter(ctx),
            )
        finally:
            if warm_up is not None:
                warm_up.answered()

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult.model_validate({"resources": listed_resources(readers)})

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        reader = readers.get(uri)
        if reader is None:
            raise MCPError(types.INVALID_PARAMS, unknown_resource(uri, readers))
        data = await runtime.run_sync(reader, runtime)
        return types.ReadResourceResult.model_validate({"contents": resource_contents(uri, data)})

    server: Server[Any] = Server(
        SERVER_NAME,
        version=version("anime-mcp"),
        title=SERVER_NAME,
        instructions=instructions(tools),
        on_list_tools=list_tools,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
    # Registered as a plain request handler: ``on_call_tool`` is typed for models only (see
    # ``listing.tool_result``).
    server.add_request_handler("tools/call", types.CallToolRequestParams, call_tool)
    return server
