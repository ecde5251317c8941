"""The circuit breaker: opens on repeated outages, fails fast, probes once, and shows its state."""

from __future__ import annotations

import anyio
import httpx
import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import (
    BreakerState,
    CircuitBreaker,
    CircuitOpen,
    HttpPolicy,
    HttpRuntime,
    make_async_client,
)
from anime_mcp.core.errors import NotFound, ParseError, Unavailable

pytestmark = pytest.mark.anyio


class FlakyServer:
    """Answers ``status`` until told otherwise; counts what reached it."""

    def __init__(self, status: int = 503) -> None:
        self.status = status
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        return httpx.Response(self.status, json={"ok": self.status == 200})


def client(server: FlakyServer, clock: VirtualClock, **policy: object):
    runtime = HttpRuntime(client=make_async_client(httpx.MockTransport(server)), clock=clock, env={})
    settings = {"max_retries": 0, "failure_threshold": 3, "recovery_timeout": 30.0, **policy}
    return runtime, runtime.http("flaky", HttpPolicy(**settings))  # type: ignore[arg-type]


async def test_opens_after_threshold_and_fails_fast_without_calling() -> None:
    clock, server = VirtualClock(autojump=False), FlakyServer(503)
    runtime, http = client(server, clock)
    for _ in range(3):
        with pytest.raises(Unavailable):
            await http.get("https://api.example.test/a")
    assert http.breaker.state is BreakerState.OPEN
    with pytest.raises(CircuitOpen) as caught:
        await http.get("https://api.example.test/a")
    assert server.calls == 3  # the open breaker did not call upstream
    assert caught.value.retry_in == pytest.approx(30.0)
    state = runtime.states()["flaky"]["breaker"]
    assert state["state"] == "open" and state["consecutive_failures"] == 3
    assert "HTTP 503" in state["last_error"]


async def test_half_open_probe_success_closes() -> None:
    clock, server = VirtualClock(autojump=False), FlakyServer(503)
    _, http = client(server, clock)
    for _ in range(3):
        with pytest.raises(Unavailable):
            await http.get("https://api.example.test/a")
    clock.advance(30.0)
    assert http.breaker.state is BreakerState.HALF_OPEN
    server.status = 200
    response = await http.get("https://api.example.test/a")
    assert response.status == 200
    assert http.breaker.state is BreakerState.CLOSED
    assert http.state()["breaker"]["consecutive_failures"] == 0


async def test_half_open_probe_failure_reopens_with_a_fresh_timer() -> None:
    clock, server = VirtualClock(autojump=False), FlakyServer(503)
    _, http = client(server, clock)
    for _ in range(3):
        with pytest.raises(Unavailable):
            await http.get("https://api.example.test/a")
    clock.advance(31.0)
    with pytest.raises(Unavailable):
        await http.get("https://api.example.test/a")  # the probe
    assert http.breaker.state is BreakerState.OPEN
    clock.advance(29.0)
    with pytest.raises(CircuitOpen):
        await http.get("https://api.example.test/a")
    assert server.calls == 4


async def test_only_one_probe_at_a_time() -> None:
    clock = VirtualClock(autojump=False)
    breaker = CircuitBreaker(clock, failure_threshold=1, recovery_timeout=10)
    with pytest.raises(Unavailable), breaker.guard():
        raise Unavailable("down")
    clock.advance(10)
    with breaker.guard(), pytest.raises(CircuitOpen), breaker.guard():  # a second probe fails fast
        pass
    assert breaker.state is BreakerState.CLOSED


async def test_answers_that_say_nothing_about_health_do_not_count() -> None:
    clock, server = VirtualClock(autojump=False), FlakyServer(404)
    _, http = client(server, clock)
    for _ in range(10):
        with pytest.raises(NotFound):
            await http.get("https://api.example.test/a")
    assert http.breaker.state is BreakerState.CLOSED
    breaker = CircuitBreaker(clock, failure_threshold=1)
    with pytest.raises(ParseError), breaker.guard():
        raise ParseError("odd document")
    assert breaker.state is BreakerState.CLOSED


async def test_a_success_resets_the_count_of_consecutive_failures() -> None:
    clock, server = VirtualClock(autojump=False), FlakyServer(503)
    _, http = client(server, clock)
    for status in (503, 503, 200, 503, 503, 200):
        server.status = status
        if status == 200:
            await http.get("https://api.example.test/a")
        else:
            with pytest.raises(Unavailable):
                await http.get("https://api.example.test/a")
    assert http.breaker.state is BreakerState.CLOSED


async def test_cancelled_probe_frees_the_probe_slot() -> None:
    clock = VirtualClock(autojump=False)
    breaker = CircuitBreaker(clock, failure_threshold=1, recovery_timeout=10)
    with pytest.raises(Unavailable), breaker.guard():
        raise Unavailable("down")
    clock.advance(10)
    with anyio.CancelScope() as scope, breaker.guard():
        scope.cancel()
        await anyio.lowlevel.checkpoint()
    with breaker.guard():  # a new probe is allowed
        pass
    assert breaker.state is BreakerState.CLOSED


def test_breaker_settings_are_validated() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(VirtualClock(), failure_threshold=0)
