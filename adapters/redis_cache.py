"""The shared L2 cache (the ``Cache`` port) on a Redis server, through redis-py's asyncio client.

Redis going away must never fail a request: every Redis error is a miss (``get``) or a skipped write, the
first one of an outage is logged, and the layer then stays "unreachable" without touching the network
until a back-off has passed (doubling from ``retry_after`` up to ``max_retry_after``); the next call after
it reconnects (redis-py opens a fresh connection from its pool). ``health`` reports
``connection``: ``"connected"`` or ``"unreachable: <error>"``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import structlog

__all__ = ["RedisCache"]

log = structlog.get_logger("anime_mcp.cache")


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
        import redis.asyncio as aioredis  # imported here: only a configured L2 pays for it

        self.url = url
        self._prefix = prefix
        self._client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
            health_check_interval=0,
        )
        self._retry_after = retry_after
        self._max_retry_after = max_retry_after
        self._monotonic = monotonic
        self._down_until: float | None = None  # while set and in the future: skip Redis entirely
        self._backoff = retry_after
        self.error: str | None = None
        self.errors = 0

    # --- the port ----------------------------------------------------------------------------------
    async def get(self, key: str) -> bytes | None:
        value = await self._call(lambda: self._client.get(self._prefix + key))
        return value if isinstance(value, bytes) else None

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        px = None if ttl_seconds is None else max(1, int(ttl_seconds * 1000))
        await self._call(lambda: self._client.set(self._prefix + key, value, px=px))

    async def delete(self, key: str) -> None:
        await self._call(lambda: self._client.delete(self._prefix + key))

    async def ttl(self, key: str) -> float | None:
        """Seconds the entry still lives (None: unknown, no expiry, or Redis unreachable)."""
        remaining = await self._call(lambda: self._client.pttl(self._prefix + key))
        return remaining / 1000 if isinstance(remaining, int) and remaining > 0 else None

    def health(self) -> dict[str, Any]:
        if self.error is None:
            return {"status": "ok", "connection": "connected"}
        return {"status": "degraded", "connection": f"unreachable: {self.error}", "errors": self.errors}

    async def aclose(self) -> None:
        try:
            await self._client.aclose()
        except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
            return

    # --- failure handling --------------------------------------------------------------------------
    async def _call(self, call: Callable[[], Any]) -> Any:
        now = self._monotonic()
        if self._down_until is not None and now < self._down_until:
            return None
        try:
            result = await call()
        except Exception as exc:  # noqa: BLE001 - every Redis failure is a miss or a skipped write
            self._failed(exc, now)
            return None
        if self.error is not None:
            log.info("cache.redis.reconnected", url=_safe(self.url))
            self.error = None
            self._backoff = self._retry_after
        self._down_until = None
        return result

    def _failed(self, exc: Exception, now: float) -> None:
        self.errors += 1
        message = f"{type(exc).__name__}: {exc}"[:200]
        if self.error is None:
            log.warning("cache.redis.unreachable", url=_safe(self.url), error=message)
        else:
            self._backoff = min(self._backoff * 2, self._max_retry_after)
        self.error = message
        self._down_until = now + self._backoff


def _safe(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
