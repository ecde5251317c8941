"""The tool catalogue at the terminal: every command that answers a question (``get``, ``search``,
``similar``, ``call``) runs a tool of the same catalogue MCP and REST serve, so validation, limits and
errors are the same on all three faces."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
import click
from attrs import evolve

from anime_mcp.entrypoints.cli.app import get_app

if TYPE_CHECKING:
    from anime_mcp.entrypoints.runtime import Runtime
    from anime_mcp.entrypoints.tools import ToolCatalogue, ToolResult


def tool_catalogue(runtime: Runtime) -> ToolCatalogue:
    from anime_mcp.entrypoints.tools import build_tools

    return build_tools(runtime)


def command_runtime(ctx: click.Context, *, warm_up: bool | None = None) -> Runtime:
    """The process runtime over this command's app; ``warm_up`` overrides the setting."""
    from anime_mcp.entrypoints.observability import configure_tracing
    from anime_mcp.entrypoints.runtime import Runtime

    app = get_app(ctx)
    if warm_up is not None:
        app.settings = evolve(app.settings, serve=evolve(app.settings.serve, warm_up=warm_up))
    configure_tracing(app.settings.serve.tracing)
    return Runtime(app)


def call_tool(ctx: click.Context, name: str, arguments: dict[str, Any]) -> ToolResult:
    """Run one tool; its errors end the command with their message (exit code 1)."""
    runtime = command_runtime(ctx, warm_up=False)
    catalogue = tool_catalogue(runtime)

    async def run() -> ToolResult:
        try:
            return await catalogue.call(runtime, name, arguments, face="cli")
        finally:
            await runtime.aclose()

    return anyio.run(run)
