"""The runtime live sources are bound to, as the application holds it: bind sources, report, close."""

from __future__ import annotations

from typing import Any, Protocol

from anime_mcp.ports.source import SourceRuntime


class ManagedSourceRuntime(SourceRuntime, Protocol):
    """A ``SourceRuntime`` the application owns: per-source state for health pages, and a close."""

    def states(self) -> dict[str, dict[str, Any]]:
        """Per source id: breaker state, rate-limit windows, ... (what ``/api/sources`` shows)."""
        ...

    def budget_used(self, source_id: str) -> float:
        """The share (0 to 1) of the source's rate-limit budget in use now; never waits."""
        ...

    async def aclose(self) -> None: ...
