"""Rate limits: several windows at once, proved on a virtual clock; adaptation to the server's headers."""

from __future__ import annotations

import anyio
import httpx
import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, MultiWindowRateLimiter, make_async_client
from anime_mcp.core.errors import RateLimited
from anime_mcp.ports.source import RateLimit

pytestmark = pytest.mark.anyio


def max_in_any_window(times: list[float], period: float) -> int:
    """The most sends found in any half-open interval [t, t + period) (a send on the boundary is outside)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - period + 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def runtime_for(handler: httpx.MockTransport, clock: VirtualClock) -> HttpRuntime:
    return HttpRuntime(client=make_async_client(handler), clock=clock, env={})


@pytest.mark.parametrize(
    ("limits", "burst"),
    [
        ((RateLimit(2, 1), RateLimit(60, 60)), 600),  # MAL: 2/s and 60/min, a 10x burst of the minute
        ((RateLimit(1, 2),), 50),  # AniDB: one request per 2 s
        ((RateLimit(90, 60), RateLimit(5, 1), RateLimit(1000, 3600)), 900),
    ],
)
async def test_a_10x_burst_never_exceeds_any_window(limits: tuple[RateLimit, ...], burst: int) -> None:
    clock = VirtualClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(200, json={"ok": True})

    http = runtime_for(httpx.MockTransport(handler), clock).http(
        "burst", HttpPolicy(rate_limits=limits, max_concurrency=16)
    )
    async with anyio.create_task_group() as tg:
        for i in range(burst):
            tg.start_soon(http.get, f"https://api.example.test/anime/{i}")

    assert len(sent) == burst
    for limit in limits:
        assert max_in_any_window(sent, limit.per_seconds) <= limit.requests, limit
    # and the limiter is not needlessly slow: the tightest window is filled
    tightest = max(limits, key=lambda r: (burst / r.requests) * r.per_seconds)
    assert max_in_any_window(sent, tightest.per_seconds) == min(burst, tightest.requests)


def test_the_window_helper_itself() -> None:
    assert max_in_any_window([0, 0.5, 1.0, 1.5], 1.0) == 2
    assert max_in_any_window([0, 0.1, 0.2], 1.0) == 3
    assert max_in_any_window([], 1.0) == 0


async def test_server_serving_less_than_announced_is_learned_from_429() -> None:
    """AniList announces 90/min but serves 30/min when degraded: after one 429 we stay under 30/min."""
    clock = VirtualClock()
    served: list[float] = []
    refused: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        now = clock.monotonic()
        headers = {"X-RateLimit-Limit": "90"}
        if max_in_any_window([*served, now], 60.0) > 30:
            refused.append(now)
            return httpx.Response(429, headers={**headers, "Retry-After": "30", "X-RateLimit-Remaining": "0"})
        served.append(now)
        remaining = str(max(0, 89 - len(served)))
        return httpx.Response(200, headers={**headers, "X-RateLimit-Remaining": remaining}, json={"data": {}})

    http = runtime_for(httpx.MockTransport(handler), clock).http(
        "anilist", HttpPolicy(rate_limits=(RateLimit(90, 60),), max_retries=5, max_concurrency=4)
    )

    async def query(i: int) -> None:
        await http.post_json("https://graphql.example.test/", {"id": i}, idempotent=True)

    async with anyio.create_task_group() as tg:
        for i in range(120):
            tg.start_soon(query, i)

    assert len(served) == 120  # every request got through in the end (retries honour Retry-After)
    # only requests already in flight when the first 429 came were refused; never again after that
    assert refused and all(t == 0.0 for t in refused) and len(refused) <= 4
    state = http.state()["rate_limit"]
    assert state["windows"][0]["limit"] == 30 and state["windows"][0]["configured"] == 90
    assert any("429" in note for note in state["adaptations"])


async def test_remaining_zero_blocks_until_reset() -> None:
    clock = VirtualClock()
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        remaining = "0" if len(sent) == 1 else "10"
        return httpx.Response(200, headers={"X-RateLimit-Remaining": remaining, "X-RateLimit-Reset": "42"})

    http = runtime_for(httpx.MockTransport(handler), clock).http("x", HttpPolicy())
    await http.get("https://api.example.test/1")
    await http.get("https://api.example.test/2")
    assert sent == [0.0, 42.0]


async def test_announced_lower_limit_lowers_the_header_window() -> None:
    clock = VirtualClock()
    limiter = MultiWindowRateLimiter([RateLimit(90, 60)], clock)
    limiter.observe(200, {"x-ratelimit-limit": "30"})
    assert limiter.state()["windows"][0]["limit"] == 30
    limiter.observe(200, {"x-ratelimit-limit": "500"})  # the server never makes us faster than configured
    assert limiter.state()["windows"][0]["limit"] == 30


async def test_retry_after_too_long_is_reported_not_waited() -> None:
    clock = VirtualClock()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "3600"})

    http = runtime_for(httpx.MockTransport(handler), clock).http("x", HttpPolicy(max_retry_after=120))
    with pytest.raises(RateLimited) as caught:
        await http.get("https://api.example.test/1")
    assert caught.value.retry_after == 3600
    assert clock.monotonic() == 0.0
    assert http.state()["rate_limit"]["blocked_for"] == 3600
