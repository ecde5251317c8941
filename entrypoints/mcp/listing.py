"""What the MCP face says, in its wire form and without the SDK: the instructions, the tools as listed,
the resources and a tool result. Both MCP servers build from here: the SDK's (streamable HTTP, and stdio
clients of the 2026-07-28 era) and the lean stdio session (``session.McpSession``), whose start must not
pay for importing the SDK."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue
from anime_mcp.entrypoints.tools import info as info_tools
from anime_mcp.entrypoints.tools.base import Report, Tool, new_correlation_id
from anime_mcp.entrypoints.tools.errors import classify

CORRELATION_META = "io.github.anime-mcp/correlation_id"
SERVER_NAME = "anime-mcp"

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

ResourceReader = Callable[[Runtime], Any]


def instructions(tools: ToolCatalogue) -> str:
    return INSTRUCTIONS + (LIVE_INSTRUCTIONS if "get_anime_from_source" in tools else "")


def listed_tool(tool: Tool) -> dict[str, Any]:
    """One entry of ``tools/list``: exactly the SDK's ``Tool`` dumped by alias without None fields."""
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": tool.input_schema,
        "outputSchema": tool.output_schema,
        "annotations": {
            "title": tool.title,
            "readOnlyHint": True,
            "destructiveHint": False,
            "idempotentHint": not tool.open_world,
            "openWorldHint": tool.open_world,
        },
    }


def resource_readers(runtime: Runtime) -> dict[str, ResourceReader]:
    """The resources this installation has: ``sources`` only where a live source is installed."""
    readers: dict[str, ResourceReader] = {
        "anime-mcp://plugins": info_tools.plugins,
        "anime-mcp://health": info_tools.health,
        "anime-mcp://sources": info_tools.sources,
        "anime-mcp://stats": info_tools.stats,
    }
    if not runtime.app.plugins.sources():
        del readers["anime-mcp://sources"]
    return readers


def listed_resources(readers: dict[str, ResourceReader]) -> list[dict[str, Any]]:
    """``resources/list``'s entries, in the SDK's ``Resource`` wire form."""
    return [
        {"name": name, "title": name, "uri": uri, "description": description, "mimeType": "application/json"}
        for uri, (name, description) in RESOURCES.items()
        if uri in readers
    ]


def unknown_resource(uri: str, readers: dict[str, ResourceReader]) -> str:
    return f"unknown resource {uri!r}; the resources are {', '.join(readers)}"


def resource_contents(uri: str, data: Any) -> list[dict[str, Any]]:
    """``resources/read``'s contents for what a reader returned, in the SDK's wire form."""
    text = json.dumps(data, indent=2, ensure_ascii=False)
    return [{"mimeType": "application/json", "text": text, "uri": uri}]


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


async def answer_call(
    runtime: Runtime,
    tools: ToolCatalogue,
    name: str,
    arguments: dict[str, Any] | None,
    *,
    correlation_id: str,
    progress: Report | None,
) -> dict[str, Any]:
    """One ``tools/call`` result: the answer, or the failure as a tool error (never a crashed server)."""
    try:
        result = await tools.call(
            runtime, name, arguments, correlation_id=correlation_id, face="mcp", progress=progress
        )
    except Exception as exc:  # noqa: BLE001 - every failure is a tool error, never a crashed server
        error = classify(exc)  # the catalogue has logged it, with the stack trace when it was a bug
        message = error.message
        if error.status == 500:  # a bug: the id finds its stack trace in the log
            message = f"{message} (correlation id {correlation_id})"
        return tool_result(f"Error: {message}", is_error=True)
    return tool_result(result.text, result.output)


def sent_correlation_id(meta: Any) -> str:
    """A client's ``_meta`` correlation id when it is a sensible one, else a new one."""
    sent = meta.get(CORRELATION_META) if isinstance(meta, dict) else None
    return sent if isinstance(sent, str) and 0 < len(sent) <= 128 else new_correlation_id()
