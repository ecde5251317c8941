"""An in-process TTL cache (the ``Cache`` port): what a single process needs until a shared cache layer
(Redis) is configured. Bounded in entries; expiry on the injected clock."""

from __future__ import annotations

from collections import OrderedDict

from anime_mcp.ports.clock import Clock

__all__ = ["MemoryCache"]


class MemoryCache:
    name = "memory"

    def __init__(self, clock: Clock, *, max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._data: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()

    async def get(self, key: str) -> bytes | None:
        found = self._data.get(key)
        if found is None:
            return None
        expires, value = found
        if expires is not None and self._clock.monotonic() >= expires:
            del self._data[key]
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        expires = None if ttl_seconds is None else self._clock.monotonic() + ttl_seconds
        self._data[key] = (expires, value)
        self._data.move_to_end(key)
        while len(self._data) > self._max_entries:
            self._data.popitem(last=False)

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)
