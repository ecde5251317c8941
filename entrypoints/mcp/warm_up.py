"""The warm-up of a stdio MCP server: the model and the index load in a background thread, then the season
index once the first answer is out."""

from __future__ import annotations

import threading
from collections.abc import Callable

from anime_mcp.entrypoints.memory import collect_after_start
from anime_mcp.entrypoints.runtime import Runtime


class WarmUp:
    """Loads the model and opens the index in a background thread, once: after the first ``tools/list``
    answer (or ``FALLBACK_SECONDS``), so the handshake does not share the interpreter lock with it (the
    start is CPU-bound Python, and the index opens holding the lock; a search waits for the warm-up, see
    ``Runtime.search``); then the season index, only after the first tool call has been answered (or
    ``SEASONS_FALLBACK_SECONDS``): building it reads the whole catalogue holding the interpreter lock, and
    the client's first question should not share the interpreter with it."""

    FALLBACK_SECONDS = 3.0
    SEASONS_AFTER_ANSWER_SECONDS = 0.2
    SEASONS_FALLBACK_SECONDS = 20.0

    def __init__(self, runtime: Runtime, *, started: bool = False) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._enabled = runtime.settings.warm_up
        self._started = started or not self._enabled
        self._seasons_started = not self._enabled
        if self._started:
            collect_after_start()  # no warm-up of ours to wait for

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._warm_up, name="anime-mcp-warm-up", daemon=True).start()

    def _warm_up(self) -> None:
        try:
            # The season index's build trims the heap, after the first answer.
            self._runtime.warm_up(seasons=False, trim=False)
        finally:
            collect_after_start()  # off since the launch, to reach the first answer sooner

    def start_soon(self, delay: float) -> None:
        if not self._started:
            _later(delay, self.start)

    def start_seasons(self) -> None:
        with self._lock:
            if self._seasons_started:
                return
            self._seasons_started = True
        self._runtime.index_seasons()

    def seasons_later(self) -> None:
        """Build the season index after ``SEASONS_FALLBACK_SECONDS`` even if no call is answered."""
        _later(self.SEASONS_FALLBACK_SECONDS, self.start_seasons)

    def answered(self) -> None:
        """A tool call has been answered: the season index may be built now."""
        if not self._seasons_started:
            _later(self.SEASONS_AFTER_ANSWER_SECONDS, self.start_seasons)


def _later(delay: float, action: Callable[[], None]) -> None:
    timer = threading.Timer(delay, action)
    timer.daemon = True
    timer.start()
