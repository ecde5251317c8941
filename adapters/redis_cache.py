"""The shared L2 cache (the ``Cache`` port) on a Redis server, through redis-py's asyncio client.

Redis going away must never fail a request: every Redis error is a miss (``get``) or a skipped write. The
outage handling is ``RedisLink``'s, shared with the coordination adapter: the first error of an outage is
logged, the layer then stays "unreachable" without touching the network until a back-off has passed
(doubling from ``retry_after`` up to ``max_retry_after``), and the next call after it reconnects.
``health`` reports ``connection``: ``"connected"`` or ``"unreachable: <error>"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from anime_mcp.adapters.redis_link import RedisLink

__all__ = ["RedisCache"]


class RedisCache:
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "",
        timeout: float = 0.5,
        retry_after: float = 1.0,
        max_retry_after: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._prefix = prefix
        self.link = RedisLink(
            url,
            what="cache",
            timeout=timeout,
            retry_after=retry_after,
            max_retry_after=max_retry_after,
            monotonic=monotonic,
        )
        self._client = self.link.client

    @property
    def error(self) -> str | None:
        """The last Redis error of the current outage (None while connected)."""
        return self.link.error

    @property
    def errors(self) -> int:
        return self.link.errors

    # --- the port ----------------------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        value = await self.link.call(lambda client: client.get(self._prefix + key))
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        px = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        await self.link.call(lambda client: client.set(self._prefix + key, value, px=px))

    async def delete(self, key: str) -> None:
        await self.link.call(lambda client: client.delete(self._prefix + key))

    async def ttl(self, key: str) -> float | None:
        """Seconds the entry still lives (None: unknown, no expiry, or Redis unreachable)."""
        remaining = await self.link.call(lambda client: client.pttl(self._prefix + key))
        return remaining / 1000 if isinstance(remaining, int) and remaining > 0 else None

    def health(self) -> dict[str, Any]:
        return self.link.health()

    async def aclose(self) -> None:
        await self.link.aclose()
