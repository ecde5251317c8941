"""Built-in plugin: the anime-mapper JSONL dumps as a bulk enrichment source (``anime-mcp enrich --dump``)."""

from __future__ import annotations

from anime_mcp.adapters.anime_mapper_dump import AnimeMapperDump
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register


@hookimpl
def register_bulk_sources(register: Register) -> None:
    register(AnimeMapperDump())
