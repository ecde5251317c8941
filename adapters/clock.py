"""Clocks: the real one, and a virtual one for tests that never waits for real time.

``VirtualClock`` keeps its own time, moved only by ``advance()`` or, with ``autojump`` (the default), by
itself: when every task has been sleeping on the clock for a while (``idle_yields`` scheduler rounds with
nothing due), time jumps to the earliest deadline. One sleeper at a time drives the jumps, so time moves
like a real clock would, only instantly. Use it only where nothing waits on real I/O (mock transports).
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import time

import anyio
import anyio.lowlevel
from attrs import define, field

__all__ = ["SystemClock", "VirtualClock"]


class SystemClock:
    """Real time: UTC wall clock, ``time.monotonic`` and ``anyio.sleep``."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(max(0.0, seconds))


@define(order=False)
class _Sleeper:
    deadline: float
    seq: int
    event: anyio.Event = field(factory=anyio.Event)
    cancelled: bool = False

    def __lt__(self, other: _Sleeper) -> bool:
        return (self.deadline, self.seq) < (other.deadline, other.seq)


class VirtualClock:
    """A clock for tests: ``monotonic()`` starts at 0.0, ``now()`` at ``start``; sleeping costs no time."""

    def __init__(
        self,
        *,
        start: dt.datetime = dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        autojump: bool = True,
        idle_yields: int = 50,
    ) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start")
        self._start = start
        self._t = 0.0
        self._sleepers: list[_Sleeper] = []
        self._seq = itertools.count()
        self._driver: _Sleeper | None = None
        self.autojump = autojump
        self._idle_yields = idle_yields

    # --- the Clock port ----------------------------------------------------------------------------
    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=self._t)

    def monotonic(self) -> float:
        return self._t

    async def sleep(self, seconds: float) -> None:
        if not seconds > 0:
            await anyio.lowlevel.checkpoint()
            return
        me = _Sleeper(deadline=self._t + seconds, seq=next(self._seq))
        if me.deadline <= self._t:  # too small to move a float clock: just yield
            await anyio.lowlevel.checkpoint()
            return
        heapq.heappush(self._sleepers, me)
        try:
            while self._t < me.deadline:
                if self.autojump and self._driver is None and math.isfinite(me.deadline):
                    self._driver = me
                    await self._drive(me)
                else:
                    await me.event.wait()
                    me.event = anyio.Event()  # woken as due, or asked to take over driving
        finally:
            me.cancelled = True  # removed lazily from the heap
            if self._driver is me:
                self._driver = None
            if self._driver is None:
                # Whoever leaves (due, cancelled, or woken to drive but cancelled first) passes the baton,
                # so a sleeper never waits without a driver.
                self._hand_over(besides=me)

    # --- test controls -----------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` and wake every sleeper that is due."""
        if seconds < 0:
            raise ValueError("time never goes backwards")
        self._t += seconds
        self._wake_due()

    @property
    def sleepers(self) -> int:
        return sum(1 for s in self._sleepers if not s.cancelled)

    # --- internals ---------------------------------------------------------------------------------
    def _prune(self) -> None:
        while self._sleepers and self._sleepers[0].cancelled:
            heapq.heappop(self._sleepers)

    def _wake_due(self) -> None:
        self._prune()
        while self._sleepers and self._sleepers[0].deadline <= self._t:
            sleeper = heapq.heappop(self._sleepers)
            if not sleeper.cancelled:
                sleeper.event.set()
            self._prune()

    def _hand_over(self, besides: _Sleeper) -> None:
        self._prune()
        waiting = [
            s for s in self._sleepers if s is not besides and not s.cancelled and math.isfinite(s.deadline)
        ]
        if waiting:
            min(waiting).event.set()  # not due: it wakes, finds no driver and starts driving

    async def _drive(self, me: _Sleeper) -> None:
        while self._t < me.deadline:
            for _ in range(self._idle_yields):
                await anyio.lowlevel.checkpoint()
                if self._t >= me.deadline:
                    return
            self._prune()
            earliest = self._sleepers[0].deadline if self._sleepers else me.deadline
            self._t = max(self._t, min(earliest, me.deadline))
            self._wake_due()
