"""Request coalescing: identical calls in flight share one upstream request.

The first caller for a key (the leader) runs the call; callers arriving while it runs wait for its
outcome, value or exception. If the leader is cancelled, one waiting caller takes over, so cancelling
one caller never cancels or strands the others. ``SharedFlight`` does the same across processes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio
from attrs import define, field

from anime_mcp.adapters.http.coordination import Claim, SharedFlights

__all__ = ["Coalescer", "SharedFlight"]

T = TypeVar("T")


@define
class _Flight(Generic[T]):
    done: anyio.Event = field(factory=anyio.Event)
    value: T | None = None
    error: BaseException | None = None
    abandoned: bool = False
    waiters: int = 0


class Coalescer(Generic[T]):
    def __init__(self) -> None:
        self._flights: dict[Hashable, _Flight[T]] = {}
        self.upstream_calls = 0  # how many calls really ran (for tests and state)
        self.shared = 0  # how many callers got another caller's outcome

    @property
    def in_flight(self) -> int:
        return len(self._flights)

    async def run(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        while True:
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, call)
            flight.waiters += 1
            try:
                await flight.done.wait()
            finally:
                flight.waiters -= 1
            if flight.abandoned:
                continue  # the leader was cancelled: try again, perhaps as the new leader
            self.shared += 1
            if flight.error is not None:
                raise flight.error
            return flight.value  # type: ignore[return-value]

    async def _lead(self, key: Hashable, call: Callable[[], Awaitable[T]]) -> T:
        flight: _Flight[T] = _Flight()
        self._flights[key] = flight
        self.upstream_calls += 1
        try:
            flight.value = await call()
            return flight.value
        except Exception as exc:
            flight.error = exc
            raise
        except BaseException:
            flight.abandoned = True
            raise
        finally:
            del self._flights[key]
            flight.done.set()


class SharedFlight(Generic[T]):
    """Coalescing across processes (``SharedFlights``, e.g. on Redis): the process that claims a key
    fetches it and caches the answer before releasing the key; the others wait for the release and read
    that answer from the shared cache. A follower that finds nothing there (the leader failed, or its
    claim expired) claims again, and after a second miss fetches itself; so does every process while the
    store is unavailable. Waiting never outlasts ``hold_for``, the claim's lifetime."""

    def __init__(self, flights: SharedFlights | None) -> None:
        self._flights = flights
        self.followed = 0  # answers another process fetched
        self.fallbacks = 0  # fetches made alone because the store was unavailable

    @property
    def enabled(self) -> bool:
        return self._flights is not None

    def state(self) -> dict[str, int]:
        return {"followed": self.followed, "fetched_alone": self.fallbacks}

    async def run(
        self,
        key: str,
        hold_for: float,
        read: Callable[[], Awaitable[T | None]],
        fetch: Callable[[], Awaitable[T]],
    ) -> T:
        if self._flights is None:
            return await fetch()
        claim = await self._claim(key, hold_for)
        for _ in range(2):
            if claim.role != "follow":
                break
            if not await self._wait(key, hold_for):
                break
            found = await read()
            if found is not None:
                self.followed += 1
                return found
            claim = await self._claim(key, hold_for)
        if claim.role == "alone":
            self.fallbacks += 1
        try:
            return await fetch()
        finally:
            if claim.role == "lead":
                with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                    await self._flights.release(key, claim.token)

    async def _claim(self, key: str, hold_for: float) -> Claim:
        assert self._flights is not None
        try:
            return await self._flights.claim(key, hold_for)
        except Exception:  # noqa: BLE001 - a shared store is never a reason to fail a request
            return Claim("alone")

    async def _wait(self, key: str, hold_for: float) -> bool:
        assert self._flights is not None
        try:
            return await self._flights.wait(key, hold_for)
        except Exception:  # noqa: BLE001
            return False
