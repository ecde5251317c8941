"""Cache port: async key-value layers (memory L1, Redis L2), registered by plugins as ``CacheProvider``s."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Cache(Protocol):
    """An async key-value cache with per-entry time-to-live. Values are bytes: callers serialise.

    A layer that loses its backing store (a Redis server going away) answers misses and skips writes: a
    cache never fails a request. ``health`` says how the layer is doing
    (``{"status": "ok"|"degraded", ...}``).
    """

    name: str

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None: ...

    async def delete(self, key: str) -> None: ...

    def health(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CacheProvider(Protocol):
    """Makes one kind of cache layer (``memory``, ``redis``) from settings; what ``register_caches`` takes.

    ``create`` receives the ``[cache]`` settings section (``entrypoints.settings.CacheSettings``: limits,
    ``redis_url``) and the clock, and returns the layer, or raises ``ValueError`` when the settings do not
    allow it (no ``redis_url`` for ``redis``)."""

    name: str

    def create(self, settings: Any, clock: Any) -> Cache: ...
