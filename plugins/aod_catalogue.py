"""Built-in plugin: readers for the anime-offline-database release files."""

from __future__ import annotations

from anime_mcp.adapters.aod_reader import AodJsonlReader, AodJsonReader
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register


@hookimpl
def register_catalogue_readers(register: Register) -> None:
    register(AodJsonlReader())
    register(AodJsonReader())
