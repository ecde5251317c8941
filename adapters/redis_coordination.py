"""Rate-limit budgets and in-flight requests shared by every process through Redis (``Coordination``).

Budgets: one sorted set of send times per source and window, checked and appended by one Lua script on
Redis' own clock (so the processes' clocks never disagree), the same sliding-window log as the local
``MultiWindowRateLimiter``: no ``per_seconds`` interval ever holds more than ``requests`` sends, counted
across processes. A Retry-After seen by one process blocks the source for all of them.

In-flight requests: the first process to ``SET key NX PX`` fetches; the others poll the key until it is
gone (released after the answer was cached, or expired) and then read the shared cache. Polling, not
pub/sub: one waiter per process and key (the local coalescer merges the rest) and no extra connection.

Redis going away: every call answers "unavailable" (``RedisLink``), so the client uses its local limiter
and coalescer until the link's back-off lets it reconnect; ``health`` says so meanwhile, and once the back-off
is over it pings Redis itself (in the background), since a process that finds its answers in the cache may
not need the coordination again for a long time.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Sequence
from typing import Any

import anyio

from anime_mcp.adapters.http.coordination import Claim
from anime_mcp.adapters.redis_link import RedisLink

__all__ = ["RedisCoordination"]

# KEYS: one sorted set per window, then the block key. ARGV: a unique member, then (limit, period ms) pairs.
# Returns 0 (taken: a send recorded in every window) or the milliseconds to wait (nothing recorded).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local blocked = redis.call('PTTL', KEYS[#KEYS])
if blocked > 0 then return blocked end
local wait = 0
for i = 1, #KEYS - 1 do
  local limit = tonumber(ARGV[2 * i])
  local period = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local oldest = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(oldest[2]) + period - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return math.max(1, wait) end
for i = 1, #KEYS - 1 do
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ARGV[2 * i + 1])
end
return 0
"""
_BLOCK = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


PROBE_EVERY = 1.0  # seconds between the pings a health read triggers


class RedisCoordination:
    name = "redis"

    def __init__(self, url: str, *, prefix: str = "", poll: float = 0.01, **link: Any) -> None:
        self.link = RedisLink(url, what="coordination", **link)
        self._prefix = prefix
        self._poll = poll
        self._take = self.link.client.register_script(_TAKE)
        self._block = self.link.client.register_script(_BLOCK)
        self._release = self.link.client.register_script(_RELEASE)
        self._probing: asyncio.Task[Any] | None = None
        self._probed_at = float("-inf")

    # --- budgets -----------------------------------------------------------------------------------
    def _budget_key(self, scope: str, suffix: str) -> str:
        return f"{self._prefix}anime-mcp:rl:{{{scope}}}:{suffix}"  # {scope}: one cluster slot per source

    async def take(self, scope: str, windows: Sequence[tuple[int, float]]) -> float | None:
        keys = [self._budget_key(scope, f"w{round(period * 1000)}") for _, period in windows]
        keys.append(self._budget_key(scope, "blocked"))
        args: list[Any] = [secrets.token_hex(8)]
        for limit, period in windows:
            args += [limit, max(1, round(period * 1000))]
        waited = await self.link.call(lambda _: self._take(keys=keys, args=args))
        return None if waited is None else int(waited) / 1000

    async def block(self, scope: str, seconds: float) -> None:
        ms = max(1, round(seconds * 1000))
        await self.link.call(lambda _: self._block(keys=[self._budget_key(scope, "blocked")], args=[ms]))

    # --- in-flight requests ------------------------------------------------------------------------
    async def claim(self, key: str, seconds: float) -> Claim:
        token = secrets.token_hex(8)
        px = max(1, round(seconds * 1000))

        async def set_if_free(r: Any) -> bool:
            return bool(await r.set(self._prefix + key, token, nx=True, px=px))

        taken = await self.link.call(set_if_free)
        if taken is None:
            return Claim("alone")  # Redis went away: fetch without telling anyone
        return Claim("lead", token) if taken else Claim("follow")

    async def wait(self, key: str, seconds: float) -> bool:
        with anyio.move_on_after(seconds):
            while True:
                held = await self.link.call(lambda r: r.exists(self._prefix + key))
                if held is None:
                    return False  # Redis went away: stop waiting, fetch
                if not held:
                    return True
                await anyio.sleep(self._poll)
        return False

    async def release(self, key: str, token: str) -> None:
        await self.link.call(lambda _: self._release(keys=[self._prefix + key], args=[token]))

    def health(self) -> dict[str, Any]:
        """The link's last known state; reading it also asks Redis (in the background, at most once per
        ``PROBE_EVERY`` s): a process whose answers all come from memory may not call Redis for a long time,
        and health must neither miss an outage nor a recovery (after the back-off) meanwhile."""
        now = time.monotonic()
        if self.link.up and now - self._probed_at >= PROBE_EVERY:
            self._probed_at = now
            self._probe()
        return self.link.health()

    def _probe(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not inside the server's loop: the next call reconnects
        if self._probing is None or self._probing.done():
            self._probing = loop.create_task(self.link.call(lambda r: r.ping()))

    async def aclose(self) -> None:
        await self.link.aclose()
