"""The tool catalogue: every operation defined once, rendered by the MCP server, the REST API and the CLI."""

from __future__ import annotations

from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.base import Tool, ToolCatalogue, ToolInputError, ToolResult, UnknownTool
from anime_mcp.entrypoints.tools.catalogue_tools import CATALOGUE_TOOLS
from anime_mcp.entrypoints.tools.enrichment_tools import enrichment_tools
from anime_mcp.entrypoints.tools.image_tools import SEARCH_BY_IMAGE
from anime_mcp.entrypoints.tools.query_tools import query_tool
from anime_mcp.entrypoints.tools.schedule_tools import schedule_tools
from anime_mcp.entrypoints.tools.search_tools import search_tool
from anime_mcp.entrypoints.tools.source_tools import source_tool

__all__ = ["Tool", "ToolCatalogue", "ToolInputError", "ToolResult", "UnknownTool", "build_tools"]


def build_tools(runtime: Runtime) -> ToolCatalogue:
    """The tools that work in this installation: the live tools only when source plugins are installed."""
    sources = runtime.app.plugins.sources()
    live = [source_tool(sources), *enrichment_tools(sources)] if sources else []
    search = search_tool(sources)  # with sources: enhance, fields, source
    offline = [search if tool.name == search.name else tool for tool in CATALOGUE_TOOLS]
    offline.append(SEARCH_BY_IMAGE)  # offline unless given an image_url
    # query_anime answers through the other tools of this same catalogue, looked up when it is called
    catalogue = ToolCatalogue([*offline, *live, *schedule_tools(sources), query_tool(lambda: catalogue)])
    return catalogue
