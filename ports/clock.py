"""Time as a port, so rate limits, breakers, timeouts and caches run on a virtual clock in tests.

Everything that waits or measures elapsed time in the HTTP machinery goes through a ``Clock``: the real
one (``adapters.clock.SystemClock``) in production, ``adapters.clock.VirtualClock`` in tests, where a
burst that would take minutes of rate-limited waiting runs in milliseconds and deterministically.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> dt.datetime:
        """Wall-clock time, timezone-aware (UTC)."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time (a checkpoint when ``seconds <= 0``); cancellable."""
        ...
