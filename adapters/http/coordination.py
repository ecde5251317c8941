"""What several processes share besides the cache: rate-limit budgets and in-flight requests (the HTTP
client's view; ``adapters.redis_coordination`` implements it on Redis, so this package never imports redis).

Every method answers "unavailable" (``None``, or a ``Claim`` with role ``alone``) instead of raising when
the shared store is gone: the client then falls back to its own limiter and coalescer, so losing the
store never fails a request.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from attrs import frozen

__all__ = ["Claim", "Coordination", "SharedBudget", "SharedFlights"]


@frozen
class Claim:
    """The outcome of claiming a request key: ``lead`` (fetch it, then ``release`` with ``token``),
    ``follow`` (another process fetches it: ``wait`` for it, then read the shared cache) or ``alone``
    (nothing is shared just now: fetch it)."""

    role: Literal["lead", "follow", "alone"]
    token: str = ""


@runtime_checkable
class SharedBudget(Protocol):
    async def take(self, scope: str, windows: Sequence[tuple[int, float]]) -> float | None:
        """Take one request from every window (``(requests, per_seconds)``) of ``scope`` shared by all
        processes: 0 when taken, else the seconds to wait before asking again (nothing taken), or None
        when the store is unavailable (use the local limiter alone)."""
        ...

    async def block(self, scope: str, seconds: float) -> None:
        """No process may send for ``scope`` during the next ``seconds`` (a Retry-After seen by one)."""
        ...


@runtime_checkable
class SharedFlights(Protocol):
    async def claim(self, key: str, seconds: float) -> Claim:
        """Become the one process fetching ``key`` for at most ``seconds``, or learn that another is."""
        ...

    async def wait(self, key: str, seconds: float) -> bool:
        """Wait until the fetch of ``key`` is over (True), or False: ``seconds`` passed or the store went."""
        ...

    async def release(self, key: str, token: str) -> None: ...


@runtime_checkable
class Coordination(SharedBudget, SharedFlights, Protocol):
    """Both, on one store; ``health`` as the cache layers say it (``{"status": "ok"|"degraded", ...}``)."""

    def health(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...
