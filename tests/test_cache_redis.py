"""The Redis L2 against a real redis-server (tests/redis_support.py): round trip, sharing between two
processes' caches, and Redis going away mid-run without a single failed request."""

from __future__ import annotations

import random
import time

import anyio
import httpx
import pytest
from redis_support import RedisServer, redis_server

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, make_async_client
from anime_mcp.adapters.layered_cache import LayeredCache
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.adapters.redis_cache import RedisCache

pytestmark = pytest.mark.anyio
__all__ = ["redis_server"]  # the fixture, used by name


async def test_l2_round_trip_with_expiry(redis_server: RedisServer) -> None:
    cache = RedisCache(redis_server.url, prefix="t:")
    try:
        await cache.set("k", b"\x00bytes", ttl_seconds=30)
        assert await cache.get("k") == b"\x00bytes"
        remaining = await cache.ttl("k")
        assert remaining is not None and 29 < remaining <= 30
        await cache.set("short", b"v", ttl_seconds=0.05)
        await anyio.sleep(0.2)
        assert await cache.get("short") is None
        await cache.delete("k")
        assert await cache.get("k") is None
        assert cache.health() == {"status": "ok", "connection": "connected"}
    finally:
        await cache.aclose()


async def test_two_processes_share_an_entry_through_l2(redis_server: RedisServer) -> None:
    clock = VirtualClock()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=b"shared")

    runtimes, l2s = [], []
    for _ in range(2):  # two "processes": each its own L1, client and Redis connection
        l2 = RedisCache(redis_server.url)
        l2s.append(l2)
        runtimes.append(
            HttpRuntime(
                client=make_async_client(httpx.MockTransport(handler)),
                clock=clock,
                env={},
                cache=LayeredCache([MemoryCache(clock), l2]),
            )
        )
    try:
        first = await runtimes[0].http("src", HttpPolicy(cache_ttl=3600)).get("https://api.test/anime/1")
        second = await runtimes[1].http("src", HttpPolicy(cache_ttl=3600)).get("https://api.test/anime/1")
        assert calls == 1 and not first.from_cache and second.from_cache and second.content == b"shared"
    finally:
        for runtime, l2 in zip(runtimes, l2s, strict=True):
            await runtime.aclose()
            await l2.aclose()


async def test_redis_dying_mid_run_fails_no_request_and_reconnects(redis_server: RedisServer) -> None:
    clock = VirtualClock()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=request.url.path.encode())

    now = [0.0]
    l2 = RedisCache(redis_server.url, retry_after=1.0, monotonic=lambda: now[0])
    layered = LayeredCache([MemoryCache(clock), l2])
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)),
        clock=clock,
        env={},
        cache=layered,
        rng=random.Random(1),
    )
    http = runtime.http("src", HttpPolicy(cache_ttl=3600))
    try:
        for i in range(5):
            await http.get(f"https://api.test/anime/{i}")
        assert layered.health()["l2"] == "connected"
        redis_server.stop()
        failures = 0
        for i in range(10):  # the first five from L1, the next five from the source
            try:
                answer = await http.get(f"https://api.test/anime/{i}")
                assert answer.content == f"/anime/{i}".encode()
            except Exception:  # noqa: BLE001 - counted: there must be none
                failures += 1
        assert failures == 0 and calls == 10
        health = layered.health()
        assert health["status"] == "degraded" and health["l2"].startswith("unreachable: ")

        redis_server.start()  # a new server on the same port, empty
        now[0] += 60  # past the back-off: the next call reconnects
        await http.get("https://api.test/anime/new")
        assert layered.health() == {**layered.health(), "status": "ok", "l2": "connected"}
        assert await l2.get(next(iter(await _keys(l2)))) is not None
    finally:
        await runtime.aclose()
        await layered.aclose()


async def _keys(cache: RedisCache) -> list[str]:
    """The response keys the new server holds (written by the call after the reconnect)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        keys = await cache._client.keys("anime-mcp:http:*")
        if keys:
            return [k.decode() for k in keys]
        await anyio.sleep(0.01)
    return []
