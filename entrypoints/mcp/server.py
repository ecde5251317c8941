"""The MCP face (mcp SDK 2.x, low-level ``Server``): the tool catalogue as MCP tools, the installation's
self-description as resources; served over stdio (``anime-mcp mcp``) or streamable HTTP (``/mcp`` in the
Starlette app).

The low-level server is used rather than ``MCPServer``: our schemas are JSON Schema written once in the
tool catalogue (and shared with REST and OpenAPI), not derived from Python signatures. Every tool call
answers structured content matching the tool's output schema plus a compact text rendering; every
failure is an MCP tool error (``is_error``) with an actionable message, never a crashed server. A call
that carries ``_meta.progressToken`` (or, in process, a progress callback) hears the answer grow through
``notifications/progress``: the offline answer, each source as it answers, the final answer
(``ToolCatalogue.call``'s stages); the result is the final answer, as without the token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import mcp_types as types
import structlog
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue
from anime_mcp.entrypoints.tools import info as info_tools
from anime_mcp.entrypoints.tools.base import Report, Tool, ToolProgress, new_correlation_id
from anime_mcp.entrypoints.tools.errors import classify

log = structlog.get_logger("anime_mcp.mcp")
CORRELATION_META = "io.github.anime-mcp/correlation_id"

INSTRUCTIONS = (
    "anime-mcp answers questions about anime from an offline catalogue of ~36,000 anime (MyAnimeList, "
    "AniList, Kitsu, AniDB, ANN, Anime-Planet and more). Start with search_anime (titles in any language, "
    "or a description, with filters); get details with get_anime_by_id using the anime_id a result shows; "
    "use find_similar_anime for recommendations. Results are small by default: raise limit or ask for "
    "detail 'full' when you need more."
)

LIVE_INSTRUCTIONS = (
    " For what one platform says now (synopsis, its score, streaming links), use get_anime_from_source: "
    "slower, live, with the page URL and fetch time."
)

RESOURCES: dict[str, tuple[str, str]] = {
    "anime-mcp://plugins": ("plugins", "Installed plugins: version, status, hooks, what each registered."),
    "anime-mcp://health": (
        "health",
        "Health of each component: catalogue, index, embedder, plugins, "
        "live sources and their circuit breakers.",
    ),
    "anime-mcp://sources": (
        "sources",
        "Live sources (anime platforms): fields and capabilities each declares, rate limits, credentials "
        "set or missing, circuit breaker state.",
    ),
    "anime-mcp://stats": (
        "stats",
        "Catalogue statistics (entries per platform, release date), the search "
        "index, and tool calls since start.",
    ),
}


def mcp_tool(tool: Tool) -> types.Tool:
    return types.Tool(
        name=tool.name,
        title=tool.title,
        description=tool.description,
        input_schema=tool.input_schema,
        output_schema=tool.output_schema,
        annotations=types.ToolAnnotations(
            title=tool.title,
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=not tool.open_world,
            open_world_hint=tool.open_world,
        ),
    )


def tool_result(text: str, output: dict[str, Any] | None = None, *, is_error: bool = False) -> dict[str, Any]:
    """A ``tools/call`` result in its wire form: exactly ``CallToolResult(...).model_dump(by_alias=True,
    mode="json", exclude_none=True)``, built directly. The SDK validates and shapes every result for the
    client's protocol version anyway; a model would add a deep dump of the answer to that (about 40 µs for
    an enrichment's answer), and a handler may return a dict (``HandlerResult``)."""
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if output is not None:
        result["structuredContent"] = output
    result["isError"] = is_error
    result["resultType"] = "complete"
    return result


def _correlation_id(ctx: ServerRequestContext[Any, Any]) -> str:
    """The HTTP request's X-Correlation-ID (set by the REST middleware), a client's ``_meta`` id, or new."""
    request = ctx.request
    state = getattr(request, "state", None)
    found = getattr(state, "correlation_id", None) if state is not None else None
    if isinstance(found, str):
        return found
    sent = (ctx.meta or {}).get(CORRELATION_META)
    return sent if isinstance(sent, str) and 0 < len(sent) <= 128 else new_correlation_id()


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


class WarmUp:
    """Loads the model and opens the index in a background thread, once: after the first ``tools/list``
    answer (or ``FALLBACK_SECONDS``), so the handshake does not share the interpreter lock with it (the
    start is CPU-bound Python, and the index opens holding the lock; a search waits for the warm-up, see
    ``Runtime.search``); then the season index, only after the first tool call has been answered (or
    ``SEASONS_FALLBACK_SECONDS``): building it reads the whole catalogue holding the interpreter lock, and
    the client's first question should not share the interpreter with it."""

    FALLBACK_SECONDS = 3.0
    SEASONS_AFTER_ANSWER_SECONDS = 0.2
    SEASONS_FALLBACK_SECONDS = 20.0

    def __init__(self, runtime: Runtime, *, started: bool = False) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._enabled = runtime.settings.warm_up
        self._started = started or not self._enabled
        self._seasons_started = not self._enabled

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(
            target=self._runtime.warm_up, kwargs={"seasons": False}, name="anime-mcp-warm-up", daemon=True
        ).start()

    def start_soon(self, delay: float) -> None:
        if not self._started:
            _later(delay, self.start)

    def start_seasons(self) -> None:
        with self._lock:
            if self._seasons_started:
                return
            self._seasons_started = True
        self._runtime.index_seasons()

    def answered(self) -> None:
        """A tool call has been answered: the season index may be built now."""
        if not self._seasons_started:
            _later(self.SEASONS_AFTER_ANSWER_SECONDS, self.start_seasons)


def _later(delay: float, action: Callable[[], None]) -> None:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()


def build_server(runtime: Runtime, tools: ToolCatalogue, *, warm_up: WarmUp | None = None) -> Server[Any]:
    listed = [mcp_tool(tool) for tool in tools]
    readers = {
        "anime-mcp://plugins": info_tools.plugins,
        "anime-mcp://health": info_tools.health,
        "anime-mcp://sources": info_tools.sources,
        "anime-mcp://stats": info_tools.stats,
    }
    if not runtime.app.plugins.sources():
        del readers["anime-mcp://sources"]

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        if warm_up is not None:
            warm_up.start_soon(0.05)  # after this answer is on its way
        return types.ListToolsResult(tools=listed)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> dict[str, Any]:
        correlation_id = _correlation_id(ctx)
        try:
            result = await tools.call(
                runtime,
                params.name,
                params.arguments,
                correlation_id=correlation_id,
                face="mcp",
                progress=_progress_reporter(ctx),
            )
        except Exception as exc:  # noqa: BLE001 - every failure is a tool error, never a crashed server
            error = classify(exc)  # the catalogue has logged it, with the stack trace when it was a bug
            message = (
                f"{error.message} (correlation id {correlation_id})" if error.status == 500 else error.message
            )
            return tool_result(f"Error: {message}", is_error=True)
        finally:
            if warm_up is not None:
                warm_up.answered()
        return tool_result(result.text, result.output)

    async def list_resources(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri=uri, name=name, title=name, description=description, mime_type="application/json"
                )
                for uri, (name, description) in RESOURCES.items()
                if uri in readers
            ]
        )

    async def read_resource(
        ctx: ServerRequestContext[Any, Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        reader = readers.get(uri)
        if reader is None:
            raise MCPError(
                types.INVALID_PARAMS, f"unknown resource {uri!r}; the resources are {', '.join(readers)}"
            )
        data = await runtime.run_sync(reader, runtime)
        return types.ReadResourceResult(
            contents=[
                types.TextResourceContents(
                    uri=uri, mime_type="application/json", text=json.dumps(data, indent=2, ensure_ascii=False)
                )
            ]
        )

    server: Server[Any] = Server(
        "anime-mcp",
        version=version("anime-mcp"),
        title="anime-mcp",
        instructions=INSTRUCTIONS + (LIVE_INSTRUCTIONS if "get_anime_from_source" in tools else ""),
        on_list_tools=list_tools,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )
    # Registered as a plain request handler: ``on_call_tool`` is typed for models only (see ``tool_result``).
    server.add_request_handler("tools/call", types.CallToolRequestParams, call_tool)
    return server


async def serve_stdio(runtime: Runtime, tools: ToolCatalogue) -> None:
    """Serve MCP over stdio; ``WarmUp`` loads the model and opens the index once ``tools/list`` is
    answered."""
    from mcp.server.stdio import stdio_server

    warm_up = WarmUp(runtime)
    server = build_server(runtime, tools, warm_up=warm_up)
    warm_up.start_soon(WarmUp.FALLBACK_SECONDS)
    _later(WarmUp.SEASONS_FALLBACK_SECONDS, warm_up.start_seasons)
    try:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())
    finally:
        await runtime.aclose()
