"""What each live source last did in this process, for health pages: its last outcome and its last failure,
each with the time, as the enrichment use case worded them (``core.degradation``)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

from attrs import frozen

from anime_mcp.core.degradation import SourceOutcome


@frozen
class Noted:
    outcome: SourceOutcome
    at: dt.datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.outcome.status.value,
            "reason": self.outcome.reason,
            "detail": self.outcome.detail,
            "retry_after": self.outcome.retry_after,
            "from_cache": self.outcome.from_cache,
            "at": self.at.isoformat(),
        }


class SourceActivity:
    """The last outcome and the last failure per source id (thread-safe: tools run on worker threads too)."""

    def __init__(self, now: Callable[[], dt.datetime]) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._last: dict[str, Noted] = {}
        self._failed: dict[str, Noted] = {}

    def note(self, outcomes: Iterable[SourceOutcome]) -> None:
        """Remember what the sources of one answer did; a source skipped for not helping is no news."""
        at = self._now()
        with self._lock:
            for outcome in outcomes:
                if not (outcome.contributed or outcome.degrades):
                    continue
                noted = Noted(outcome, at)
                self._last[outcome.source] = noted
                if not outcome.contributed:
                    self._failed[outcome.source] = noted

    def of(self, source: str) -> dict[str, Any]:
        """``{"last_outcome": {...} | None, "last_error": {...} | None}`` for one source."""
        with self._lock:
            last, failed = self._last.get(source), self._failed.get(source)
        return {
            "last_outcome": last.as_dict() if last else None,
            "last_error": failed.as_dict() if failed else None,
        }
