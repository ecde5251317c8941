"""A rate limiter with several sliding windows at once that learns from the server's headers.

Every window is a log of send times: a request may go when, for each window of ``n`` requests per ``p``
seconds, fewer than ``n`` requests were sent in the last ``p`` seconds. So no interval of ``p`` seconds
ever holds more than ``n`` requests, for every window together (the burst test checks exactly that).

The server can only make us slower, never faster than configured:
- ``Retry-After`` (seconds or an HTTP date) and ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset``
  block every request until then;
- an announced ``X-RateLimit-Limit`` below the configured limit of the header window lowers it;
- a 429 lowers the header window's limit to what was really served in that window (AniList announces
  90/min but serves 30/min when degraded), so the next minute does not run into the wall again.

With a ``SharedBudget`` (several processes, one Redis), a request also takes its place in the windows that
every process shares (with this limiter's limits, as lowered by the headers), and blocks are told to the
other processes (``share_blocks``). The local windows keep counting this process's own sends, so when the
shared budget is unavailable the local limiter alone goes on, already up to date.
"""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
from attrs import define, field

from anime_mcp.adapters.http.coordination import SharedBudget
from anime_mcp.adapters.http.errors import parse_retry_after
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.source import RateLimit

__all__ = ["MultiWindowRateLimiter"]

_EPSILON = 1e-9  # float slack: a send exactly one period ago has left the window


@define
class _Window:
    limit: int
    period: float
    configured: int
    sent: deque[float] = field(factory=deque)

    def forget_before(self, now: float) -> None:
        while self.sent and self.sent[0] <= now - self.period + _EPSILON:
            self.sent.popleft()

    def wait(self, now: float) -> float:
        self.forget_before(now)
        if len(self.sent) < self.limit:
            return 0.0
        # the (len - limit + 1)-th oldest must leave the window before one more may go
        return self.sent[len(self.sent) - self.limit] + self.period - now


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.split(",")[0].strip())
    except ValueError:
        return None


class MultiWindowRateLimiter:
    """Waits (on the injected clock) until a request fits every window; FIFO among waiters."""

    def __init__(
        self,
        limits: Sequence[RateLimit],
        clock: Clock,
        *,
        header_window: float | None = 60.0,
        default_penalty: float = 60.0,
        shared: SharedBudget | None = None,
        scope: str = "",
    ) -> None:
        self._clock = clock
        self._shared = shared
        self._scope = scope  # whose budget in the shared store (the source id)
        self._untold_block: float | None = None  # a block the other processes have not heard of yet
        self.shared_state = "shared" if shared is not None else None
        self.shared_waits = 0  # times the shared budget (other processes' sends) made this one wait
        self._windows = [
            _Window(limit=r.requests, period=r.per_seconds, configured=r.requests) for r in limits
        ]
        self._header_window = header_window
        self._default_penalty = default_penalty
        self._blocked_until = 0.0
        self._lock = anyio.Lock()
        self._served: deque[float] = deque()  # when non-429 answers arrived (for learning the real limit)
        self.adaptations: list[str] = []  # why limits changed, newest last (visible in state())

    def _wait(self, now: float) -> float:
        return max([self._blocked_until - now, *(w.wait(now) for w in self._windows)], default=0.0)

    async def acquire(self) -> None:
        """Return when one more request may be sent now; records it as sent."""
        async with self._lock:
            while True:
                now = self._clock.monotonic()
                delay = self._wait(now)
                if delay <= _EPSILON:
                    delay = await self._take_shared()
                if delay <= _EPSILON:
                    now = self._clock.monotonic()
                    for window in self._windows:
                        window.sent.append(now)
                    return
                await self._clock.sleep(delay)

    async def _take_shared(self) -> float:
        """0 when the shared budget (if any) lets one more go now, else the seconds to wait."""
        if self._shared is None:
            return 0.0
        try:
            wait = await self._shared.take(self._scope, [(w.limit, w.period) for w in self._windows])
        except Exception:  # noqa: BLE001 - a shared store is never a reason to fail a request
            wait = None
        self.shared_state = "shared" if wait is not None else "local (shared budget unavailable)"
        if wait is None or wait <= _EPSILON:
            return 0.0
        self.shared_waits += 1
        return wait

    def block_for(self, seconds: float, reason: str) -> None:
        until = self._clock.monotonic() + max(0.0, seconds)
        if until > self._blocked_until:
            self._blocked_until = until
            self._untold_block = until
            self._note(f"blocked {seconds:g}s: {reason}")

    async def share_blocks(self) -> None:
        """Tell the other processes of a block this one learned (Retry-After, a 429); never raises."""
        until, self._untold_block = self._untold_block, None
        if self._shared is None or until is None:
            return
        seconds = until - self._clock.monotonic()
        if seconds > 0:
            with contextlib.suppress(Exception):  # best effort: the others then learn it from the server
                await self._shared.block(self._scope, seconds)

    def observe(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Learn from one response; returns the retry-after delay it announced, if any."""
        now = self._clock.monotonic()
        retry_after = parse_retry_after(headers.get("retry-after"), self._clock)
        limit = _header_number(headers, "x-ratelimit-limit")
        remaining = _header_number(headers, "x-ratelimit-remaining")
        reset = self._reset_delay(headers)
        window = self._header_target()
        if window is not None and limit is not None and 1 <= limit < window.limit:
            self._note(f"server announces {limit:g} per {window.period:g}s (was {window.limit})")
            window.limit = int(limit)
        if remaining is not None and remaining <= 0:
            fallback = window.period if window else self._default_penalty
            self.block_for(reset if reset is not None else fallback, "X-RateLimit-Remaining is 0")
        if window is not None:
            while self._served and self._served[0] <= now - window.period + _EPSILON:
                self._served.popleft()
            if status != 429:
                self._served.append(now)
        if status == 429:
            if window is not None:
                served = max(1, len(self._served))  # what the server really served in its window
                if served < window.limit:
                    self._note(f"429 after {served} in {window.period:g}s: limit {window.limit} -> {served}")
                    window.limit = served
            delay = retry_after if retry_after is not None else reset
            self.block_for(delay if delay is not None else self._default_penalty, "429 Too Many Requests")
            return delay
        if retry_after is not None and status == 503:
            self.block_for(retry_after, "503 with Retry-After")
        return retry_after

    def _reset_delay(self, headers: Mapping[str, str]) -> float | None:
        reset = _header_number(headers, "x-ratelimit-reset")
        if reset is None:
            return None
        if reset > 1e9:  # an epoch timestamp (AniList, GitHub style)
            return max(0.0, reset - self._clock.now().timestamp())
        return max(0.0, reset)

    def _header_target(self) -> _Window | None:
        if self._header_window is None:
            return None
        for window in self._windows:
            if window.period == self._header_window:
                return window
        return None

    def _note(self, message: str) -> None:
        self.adaptations.append(message)
        del self.adaptations[:-10]

    def used_share(self) -> float:
        """The share of the fullest window used now, 1.0 while blocked; never waits (background work asks
        it before a request, to leave the rest of the budget to users). This process's sends only."""
        now = self._clock.monotonic()
        if self._blocked_until > now:
            return 1.0
        shares = [0.0]
        for w in self._windows:
            w.forget_before(now)
            shares.append(len(w.sent) / w.limit if w.limit > 0 else 1.0)
        return max(shares)

    def state(self) -> dict[str, Any]:
        now = self._clock.monotonic()
        windows = []
        for w in self._windows:
            w.forget_before(now)
            windows.append(
                {"limit": w.limit, "configured": w.configured, "per_seconds": w.period, "used": len(w.sent)}
            )
        state: dict[str, Any] = {
            "windows": windows,
            "blocked_for": round(max(0.0, self._blocked_until - now), 3),
            "adaptations": list(self.adaptations),
        }
        if self._shared is not None:
            state["shared"] = self.shared_state
            state["shared_waits"] = self.shared_waits
        return state
