"""Source port (completed by the source-plugins issue: API and scraped platforms as plugins)."""

from __future__ import annotations

from collections.abc import Set
from typing import Protocol, runtime_checkable

from attrs import frozen

from anime_mcp.core.platforms import Platform, PlatformId


@frozen
class SourceInfo:
    """What a source declares about itself, so the planner need not guess."""

    id: str
    platform: Platform
    kind: str  # "api" or "scrape"
    fields: frozenset[str]


@runtime_checkable
class Source(Protocol):
    """One anime platform that can answer live questions about an anime."""

    info: SourceInfo

    async def fetch(self, pid: PlatformId, fields: Set[str]) -> object: ...
