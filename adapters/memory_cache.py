"""An in-process TTL cache (the ``Cache`` port), the L1 layer: bounded by entries and by bytes, least
recently used entries evicted first; expiry on the injected clock."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from anime_mcp.ports.clock import Clock

__all__ = ["DEFAULT_L1_BYTES", "DEFAULT_L1_ENTRIES", "MemoryCache"]

DEFAULT_L1_ENTRIES = 10_000
DEFAULT_L1_BYTES = 64 * 1024 * 1024
_OVERHEAD = 64  # bytes counted per entry besides key and value (a rough bound on bookkeeping)


class MemoryCache:
    name = "memory"

    def __init__(
        self, clock: Clock, *, max_entries: int = DEFAULT_L1_ENTRIES, max_bytes: int = DEFAULT_L1_BYTES
    ) -> None:
        if max_entries <= 0 or max_bytes <= 0:
            raise ValueError("max_entries and max_bytes must be positive")
        self._clock = clock
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._data: OrderedDict[str, tuple[float | None, bytes]] = OrderedDict()
        self.size_bytes = 0
        self.evictions = 0

    def __len__(self) -> int:
        return len(self._data)

    @staticmethod
    def _cost(key: str, value: bytes) -> int:
        return len(key) + len(value) + _OVERHEAD

    def _drop(self, key: str) -> None:
        found = self._data.pop(key, None)
        if found is not None:
            self.size_bytes -= self._cost(key, found[1])

    async def get(self, key: str) -> bytes | None:
        found = self._data.get(key)
        if found is None:
            return None
        expires, value = found
        if expires is not None and self._clock.monotonic() >= expires:
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        self._drop(key)
        cost = self._cost(key, value)
        if cost > self.max_bytes:
            return  # larger than the whole cache: not kept (and nothing else evicted for it)
        expires = None if ttl_seconds is None else self._clock.monotonic() + ttl_seconds
        self._data[key] = (expires, value)
        self.size_bytes += cost
        while len(self._data) > self.max_entries or self.size_bytes > self.max_bytes:
            old_key, (_, old_value) = self._data.popitem(last=False)
            self.size_bytes -= self._cost(old_key, old_value)
            self.evictions += 1

    async def delete(self, key: str) -> None:
        self._drop(key)

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "entries": len(self._data),
            "bytes": self.size_bytes,
            "max_entries": self.max_entries,
            "max_bytes": self.max_bytes,
            "evictions": self.evictions,
        }

    async def aclose(self) -> None:
        self._data.clear()
        self.size_bytes = 0
