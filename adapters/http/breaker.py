"""A circuit breaker per source: stop calling a platform that keeps failing, probe it now and then.

closed --(failure_threshold consecutive failures)--> open --(recovery_timeout)--> half_open
half_open --(probe succeeds)--> closed;  half_open --(probe fails)--> open (timer restarts)

Failures are outages (``Unavailable``: timeouts, 5xx, connection errors) and bans (``Blocked``). A 404, a
parse error or missing credentials say nothing about the platform's health and leave the breaker alone;
any answer from the server in half-open state counts as the probe succeeding.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError, RateLimited, Unavailable
from anime_mcp.ports.clock import Clock

__all__ = ["BreakerState", "CircuitBreaker", "CircuitOpen"]


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Unavailable):
    """The breaker is open: the platform failed repeatedly and is not called until ``retry_in`` passes."""

    def __init__(self, message: str, *, source: str = "", retry_in: float = 0.0) -> None:
        super().__init__(message, source=source)
        self.retry_in = retry_in


_HEALTHY_ANSWERS = (NotFound, ParseError, AuthRequired, RateLimited)


class CircuitBreaker:
    def __init__(
        self,
        clock: Clock,
        *,
        source: str = "",
        failure_threshold: int = 5,
        recovery_timeout: float = 60.0,
        half_open_max_calls: int = 1,
    ) -> None:
        if failure_threshold < 1 or recovery_timeout <= 0 or half_open_max_calls < 1:
            raise ValueError(
                "breaker needs failure_threshold >= 1, recovery_timeout > 0 and half_open_max_calls >= 1"
            )
        self._clock = clock
        self._source = source
        self.failure_threshold = failure_threshold
        self.recovery_timeout = recovery_timeout
        self.half_open_max_calls = half_open_max_calls
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probes = 0
        self.last_error: str | None = None

    @property
    def state(self) -> BreakerState:
        if self._state is BreakerState.OPEN and self._retry_in() <= 0:
            return BreakerState.HALF_OPEN
        return self._state

    def _retry_in(self) -> float:
        return self._opened_at + self.recovery_timeout - self._clock.monotonic()

    def _open(self, error: BaseException) -> None:
        self._state = BreakerState.OPEN
        self._opened_at = self._clock.monotonic()
        self._probes = 0
        self.last_error = f"{type(error).__name__}: {error}"

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Wrap one upstream call; raises ``CircuitOpen`` instead of calling when the breaker is open."""
        state = self.state
        if state is BreakerState.OPEN:
            wait = self._retry_in()
            raise CircuitOpen(
                f"circuit open after {self._failures} failures ({self.last_error}); retry in {wait:.1f}s",
                source=self._source,
                retry_in=wait,
            )
        probing = state is BreakerState.HALF_OPEN
        if probing:
            if self._probes >= self.half_open_max_calls:
                raise CircuitOpen(
                    "circuit half-open: a probe request is already in flight",
                    source=self._source,
                    retry_in=0.0,
                )
            self._state = BreakerState.HALF_OPEN
            self._probes += 1
        try:
            yield
        except (Unavailable, Blocked) as exc:
            if isinstance(exc, CircuitOpen):
                raise
            self._failures += 1
            if probing or self._failures >= self.failure_threshold:
                self._open(exc)
            raise
        except _HEALTHY_ANSWERS:
            self._succeeded()
            raise
        except BaseException:  # cancellation, programming errors: no verdict on the platform
            if probing:
                self._probes -= 1
            raise
        else:
            self._succeeded()

    def _succeeded(self) -> None:
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._probes = 0

    def snapshot(self) -> dict[str, Any]:
        state = self.state
        return {
            "state": state.value,
            "consecutive_failures": self._failures,
            "failure_threshold": self.failure_threshold,
            "recovery_timeout": self.recovery_timeout,
            "retry_in": round(max(0.0, self._retry_in()), 3) if state is BreakerState.OPEN else 0.0,
            "last_error": self.last_error,
        }
