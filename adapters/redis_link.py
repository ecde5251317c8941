"""One redis-py asyncio client that never raises: the outage policy of everything anime-mcp keeps in Redis.

A failing call answers ``None``; the first failure of an outage is logged, and the link then stays
"unreachable" without touching the network until a back-off has passed (doubling from ``retry_after`` up to
``max_retry_after``); the next call after it reconnects (redis-py opens a fresh connection from its pool).
``health`` reports ``connection``: ``"connected"`` or ``"unreachable: <error>"``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    import redis.asyncio as aioredis

__all__ = ["RedisLink", "safe_url"]

log = structlog.get_logger("anime_mcp.redis")


class RedisLink:
    def __init__(
        self,
        url: str,
        *,
        what: str,
        timeout: float = 0.5,
        retry_after: float = 1.0,
        max_retry_after: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        import redis.asyncio as aioredis  # imported here: only a configured Redis pays for it

        self.url = url
        self.what = what  # "coordination", ... (in log events)
        self.client: aioredis.Redis = aioredis.Redis.from_url(
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

    @property
    def up(self) -> bool:
        """False while an outage's back-off runs (calls answer None without trying)."""
        return self._down_until is None or self._monotonic() >= self._down_until

    async def call(self, make: Callable[[aioredis.Redis], Awaitable[Any]]) -> Any:
        """``make(client)``'s result, or None when Redis failed or is known to be down."""
        now = self._monotonic()
        if not self.up:
            return None
        try:
            result = await make(self.client)
        except Exception as exc:  # noqa: BLE001 - every Redis failure is an answer of None
            self._failed(exc, now)
            return None
        if self.error is not None:
            log.info(f"{self.what}.redis.reconnected", url=safe_url(self.url))
            self.error = None
            self._backoff = self._retry_after
        self._down_until = None
        return result

    def health(self) -> dict[str, Any]:
        if self.error is None:
            return {"status": "ok", "connection": "connected"}
        return {"status": "degraded", "connection": f"unreachable: {self.error}", "errors": self.errors}

    async def aclose(self) -> None:
        try:
            await self.client.aclose()
        except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to do
            return

    def _failed(self, exc: Exception, now: float) -> None:
        self.errors += 1
        message = f"{type(exc).__name__}: {exc}"[:200]
        if self.error is None:
            log.warning(f"{self.what}.redis.unreachable", url=safe_url(self.url), error=message)
        else:
            self._backoff = min(self._backoff * 2, self._max_retry_after)
        self.error = message
        self._down_until = now + self._backoff


def safe_url(url: str) -> str:
    """The URL without a password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest
