"""Rate-limit budgets and in-flight requests shared through a real redis-server (tests/redis_support.py):
two limiters or two HTTP runtimes stand for two processes (each its own Redis connection, L1 and client);
Redis going away makes each fall back to its own limiter and coalescer without failing a request."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from redis_support import RedisServer, redis_server

from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, MultiWindowRateLimiter, make_async_client
from anime_mcp.adapters.layered_cache import LayeredCache
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.adapters.redis_cache import RedisCache
from anime_mcp.adapters.redis_coordination import RedisCoordination
from anime_mcp.ports.source import RateLimit

pytestmark = pytest.mark.anyio
__all__ = ["redis_server"]  # the fixture, used by name


@pytest.fixture
async def pair(redis_server: RedisServer) -> AsyncIterator[tuple[RedisCoordination, RedisCoordination]]:
    """Two processes' coordinations (their own connections) on one Redis."""
    first, second = RedisCoordination(redis_server.url), RedisCoordination(redis_server.url)
    try:
        yield first, second
    finally:
        await first.aclose()
        await second.aclose()


async def _sends(limiter: MultiWindowRateLimiter, count: int, times: list[float]) -> None:
    for _ in range(count):
        await limiter.acquire()
        times.append(time.monotonic())


def _most_in_any(times: list[float], period: float) -> int:
    ordered = sorted(times)
    return max(sum(1 for t in ordered if start <= t < start + period - 0.01) for start in ordered)


async def test_two_limiters_share_one_budget(pair: tuple[RedisCoordination, RedisCoordination]) -> None:
    clock = SystemClock()
    limiters = [
        MultiWindowRateLimiter([RateLimit(3, 0.4)], clock, shared=coordination, scope="src")
        for coordination in pair
    ]
    times: list[float] = []
    started = time.monotonic()
    async with anyio.create_task_group() as tg:
        for limiter in limiters:
            tg.start_soon(_sends, limiter, 4, times)
    # alone, each limiter would send its first three at once: six in one window
    assert len(times) == 8 and _most_in_any(times, 0.4) <= 3
    assert time.monotonic() - started >= 0.75  # 8 sends at 3 per 0.4 s need two full windows
    assert sum(limiter.shared_waits for limiter in limiters) > 0
    assert all(limiter.state()["shared"] == "shared" for limiter in limiters)


async def test_a_block_seen_by_one_process_holds_the_other(
    pair: tuple[RedisCoordination, RedisCoordination],
) -> None:
    clock = SystemClock()
    first, second = (
        MultiWindowRateLimiter([RateLimit(100, 60)], clock, shared=coordination, scope="src")
        for coordination in pair
    )
    first.observe(429, {"retry-after": "1"})
    await first.share_blocks()
    started = time.monotonic()
    await second.acquire()
    assert 0.8 <= time.monotonic() - started < 2.0
    assert second.state()["blocked_for"] == 0.0  # the block lived in Redis, not in this limiter


async def test_redis_gone_the_local_limiter_goes_on_and_reconnects(redis_server: RedisServer) -> None:
    now = [0.0]
    coordination = RedisCoordination(redis_server.url, retry_after=1.0, monotonic=lambda: now[0])
    limiter = MultiWindowRateLimiter([RateLimit(2, 0.3)], SystemClock(), shared=coordination, scope="src")
    try:
        await limiter.acquire()
        assert coordination.health() == {"status": "ok", "connection": "connected"}
        redis_server.stop()
        times: list[float] = []
        await _sends(limiter, 3, times)  # never an error; the local windows (which saw the first) hold
        assert _most_in_any(times, 0.3) <= 2
        assert limiter.state()["shared"] == "local (shared budget unavailable)"
        health = coordination.health()
        assert health["status"] == "degraded" and health["connection"].startswith("unreachable: ")

        redis_server.start()
        now[0] += 60  # past the back-off: the next request reconnects
        await limiter.acquire()
        assert limiter.state()["shared"] == "shared" and coordination.health()["status"] == "ok"
    finally:
        await coordination.aclose()


async def test_an_expired_claim_frees_the_followers(
    pair: tuple[RedisCoordination, RedisCoordination],
) -> None:
    first, second = pair
    lead = await first.claim("k", 0.2)  # and then the leading process dies: no release
    assert lead.role == "lead" and (await second.claim("k", 0.2)).role == "follow"
    started = time.monotonic()
    assert await second.wait("k", 5.0)
    assert 0.1 <= time.monotonic() - started < 1.0
    assert (await second.claim("k", 5.0)).role == "lead"
    await first.release("k", lead.token)  # a stale token releases nothing
    assert (await first.claim("k", 5.0)).role == "follow"


class _Upstream:
    """A slow upstream that counts what it is asked."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.calls = 0

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        await anyio.sleep(self.latency)
        return httpx.Response(200, content=b"answer of " + request.url.path.encode())


async def _runtimes(url: str, upstream: _Upstream) -> list[tuple[HttpRuntime, RedisCache, RedisCoordination]]:
    made = []
    clock = SystemClock()
    for _ in range(2):
        l2, coordination = RedisCache(url), RedisCoordination(url)
        runtime = HttpRuntime(
            client=make_async_client(httpx.MockTransport(upstream)),
            clock=clock,
            env={},
            cache=LayeredCache([MemoryCache(clock), l2]),
            coordination=coordination,
        )
        made.append((runtime, l2, coordination))
    return made


async def _close(made: list[tuple[HttpRuntime, RedisCache, RedisCoordination]]) -> None:
    for runtime, l2, coordination in made:
        await runtime.aclose()
        await l2.aclose()
        await coordination.aclose()


async def test_identical_requests_in_two_processes_go_upstream_once(redis_server: RedisServer) -> None:
    upstream = _Upstream(latency=0.2)
    made = await _runtimes(redis_server.url, upstream)
    answers: list[bytes] = []

    async def ask(runtime: HttpRuntime) -> None:
        answers.append((await runtime.http("src", HttpPolicy()).get("https://api.test/anime/1")).content)

    try:
        async with anyio.create_task_group() as tg:
            for i in range(20):
                tg.start_soon(ask, made[i % 2][0])
        assert upstream.calls == 1 and answers == [b"answer of /anime/1"] * 20
        states = [runtime.states()["src"] for runtime, _, _ in made]
        assert sorted(s["requests_sent"] for s in states) == [0, 1]
        assert sorted(s["shared"]["followed"] for s in states) == [0, 1]
    finally:
        await _close(made)


async def test_redis_dying_while_a_process_waits_fails_nothing(redis_server: RedisServer) -> None:
    upstream = _Upstream(latency=0.5)
    made = await _runtimes(redis_server.url, upstream)
    (first, _, _), (second, _, coordination) = made
    answers: list[bytes] = []

    async def ask(runtime: HttpRuntime) -> None:
        answers.append((await runtime.http("src", HttpPolicy()).get("https://api.test/anime/2")).content)

    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(ask, first)
            await anyio.sleep(0.1)  # the first process leads
            tg.start_soon(ask, second)
            await anyio.sleep(0.1)  # the second follows, polling Redis
            redis_server.stop()
        # the follower stopped waiting and fetched itself: two upstream calls, no failure
        assert answers == [b"answer of /anime/2"] * 2 and upstream.calls == 2
        assert coordination.health()["status"] == "degraded"
        assert second.states()["src"]["shared"] == {"followed": 0, "fetched_alone": 0}
        await second.http("src", HttpPolicy()).get("https://api.test/anime/3")  # Redis still down
        assert second.states()["src"]["shared"]["fetched_alone"] == 1
    finally:
        await _close(made)
