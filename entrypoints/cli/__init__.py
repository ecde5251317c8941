"""The ``anime-mcp`` command."""

from anime_mcp.entrypoints.cli.app import main

__all__ = ["main"]
