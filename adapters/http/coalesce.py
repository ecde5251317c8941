"""Request coalescing: identical calls in flight share one upstream request.

The first caller for a key (the leader) runs the call; callers arriving while it runs wait for its
outcome, value or exception. If the leader is cancelled, one waiting caller takes over, so cancelling
one caller never cancels or strands the others.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio
from attrs import define, field

__all__ = ["Coalescer"]

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
