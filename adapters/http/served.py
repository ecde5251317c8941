"""How the answers behind one record were served: the HTTP client notes every response it hands out while
``HttpSource.fetch`` tracks them, so the record can say honestly whether it came from the cache.

A record is cached only when every response it was built from came from the cache; one live response makes
it live. Its age is the oldest response's, and it is stale when any response was.

Also here: ``live_answers()``, for calls that must reach the platform (a health ``ping``): within it the
client neither serves nor falls back to cached answers (it still stores what it gets).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar

from attrs import define, field

from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.core.sources import CacheInfo

__all__ = [
    "ServedFrom",
    "live_answers",
    "live_only",
    "note_failed",
    "note_not_found",
    "note_served",
    "tracking",
]

# Drops one stored answer from the cache; with a message, stores "not found" in its place (for the
# not-found lifetime) instead: a 200 whose body says the anime does not exist (Kitsu's ``{"data": null}``).
Forget = Callable[..., Awaitable[None]]


@define
class ServedFrom:
    """The responses handed out during one fetch (a mutable tally: concurrent requests of the same fetch,
    in child tasks, share it through the context)."""

    live: int = 0
    ages: list[float] = field(factory=list)  # one per cached response
    stale: bool = False
    outer: ServedFrom | None = None  # a fetch made inside another fetch counts for both
    # How to drop each stored answer again, should the record built from them turn out unreadable.
    forgets: list[Forget] = field(factory=list)
    # For keeping the parsed record (``RecordMemo``): when the first of its answers stops being fresh, and
    # whether every answer is in the cache and no request of the fetch failed.
    fresh_until: float | None = None
    keepable: bool = True
    # Whether a request of the fetch was answered "not found" by the platform itself (a 404, or one kept):
    # then the fetch's other answers are real data, not a disguised not-found.
    http_not_found: bool = False

    def note_not_found(self) -> None:
        self.http_not_found = True
        if self.outer is not None:
            self.outer.note_not_found()

    def note_failure(self) -> None:
        self.keepable = False
        if self.outer is not None:
            self.outer.note_failure()

    def note(self, response: HttpResponse, forget: Forget | None = None) -> None:
        if forget is not None:
            self.forgets.append(forget)
        if response.from_cache:
            self.ages.append(response.age_seconds or 0.0)
            self.stale = self.stale or response.stale
        else:
            self.live += 1
        if response.fresh_until is None or response.stale:
            self.keepable = False
        else:
            until = response.fresh_until
            self.fresh_until = until if self.fresh_until is None else min(self.fresh_until, until)
        if self.outer is not None:
            self.outer.note(response, forget)

    async def forget(self) -> None:
        """Drop the stored answers of this fetch (a malformed answer must not be served for days)."""
        for forget in self.forgets:
            await forget()

    async def store_not_found(self, message: str) -> None:
        """The fetch's answers said "not found" in a 200 body: keep that, for the not-found lifetime (a
        day), not the answers as data for the data's lifetime (days). Only when no request of the fetch got
        a real not-found: then the answers were data, and the source's verdict came from elsewhere."""
        if self.http_not_found:
            return
        for forget in self.forgets:
            await forget(not_found=message)

    def keep_until(self) -> float | None:
        """Until when the record built from these answers may be reused as it is (None: never)."""
        if not self.keepable or (not self.live and not self.ages):
            return None
        return self.fresh_until

    def cache_info(self) -> CacheInfo | None:
        """How the record was served: ``None`` (live) unless every response came from the cache."""
        if self.live or not self.ages:
            return None
        return CacheInfo(age_seconds=max(self.ages), stale=self.stale)


_tracker: ContextVar[ServedFrom | None] = ContextVar("anime_mcp_served_from", default=None)
_live_only: ContextVar[bool] = ContextVar("anime_mcp_live_only", default=False)


@contextlib.contextmanager
def tracking() -> Iterator[ServedFrom]:
    served = ServedFrom(outer=_tracker.get())
    token = _tracker.set(served)
    try:
        yield served
    finally:
        _tracker.reset(token)


def note_failed() -> None:
    """A request of the fetch being tracked failed (the record may still be built, lacking something)."""
    served = _tracker.get()
    if served is not None:
        served.note_failure()


def note_not_found() -> None:
    """A request of the fetch being tracked was answered "not found" by the platform (or from the cache)."""
    served = _tracker.get()
    if served is not None:
        served.note_not_found()


def note_served(response: HttpResponse, forget: Forget | None = None) -> HttpResponse:
    """Count ``response`` (with how to drop it from the cache) for the fetch being tracked; returns it."""
    served = _tracker.get()
    if served is not None:
        served.note(response, forget)
    return response


@contextlib.contextmanager
def live_answers() -> Iterator[None]:
    token = _live_only.set(True)
    try:
        yield
    finally:
        _live_only.reset(token)


def live_only() -> bool:
    return _live_only.get()
