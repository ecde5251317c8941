"""Cache port (completed by the caching issue: memory L1, Redis L2 as plugins)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Cache(Protocol):
    """An async key-value cache with per-entry time-to-live. Values are bytes: callers serialise."""

    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...
