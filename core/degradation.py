"""How complete an answer is: one outcome per source, one degradation level per answer.

Every source that was considered for an answer gets a ``SourceOutcome``: it ``contributed`` (live or from a
cache), it was ``skipped`` (not asked), or it ``failed`` (asked, and no usable answer in time). A source that
did not contribute always carries a short reason meant for people and LLMs; ``outcome_for_error`` derives it
from the typed errors of ``core.errors``:

==========================  ==================================================================
``AuthRequired``            "no credentials"
``RateLimited``             "rate limited, retry in N s" (``retry_after`` set when known)
``Unavailable``             "breaker open, retry in N s" / "timed out" / "unavailable (HTTP 503)"
``Blocked``                 "blocked by a challenge page"
``NotFound``                "not on that platform"
``ParseError``              "malformed answer"
the request's deadline      "timed out after N s" (``timed_out``)
==========================  ==================================================================

A source that contributed from a cache carries the answer's age and whether it was stale (past its
freshness, served only because the platform failed); ``note`` says so in words ("served from cache, 2 h old,
platform failing"). It is not a ``reason``: the source did contribute.

A skipped source is not asked because it cannot help ("not on that platform": the catalogue knows no page
of the anime there; "does not provide synopsis": the source does not declare the fields wanted; "not
named") or because it cannot be asked ("no credentials"). Only the latter degrades the answer.

**Level rule** (``degradation_level``), over the outcomes that count (``SourceOutcome.degrades`` or
contributed; a source skipped because it cannot help does not count):

- ``full``: every source that counts contributed live (also: nothing was needed from any source);
- ``partial``: at least one contributed live, and at least one did not contribute or answered from a cache;
- ``cache_only``: none answered live, at least one answered from a cache;
- ``offline``: none contributed: the answer is the catalogue's alone.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Iterable

from attrs import field, frozen

from anime_mcp.core import errors


class Level(enum.StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    CACHE_ONLY = "cache_only"
    OFFLINE = "offline"


class OutcomeStatus(enum.StrEnum):
    CONTRIBUTED = "contributed"
    SKIPPED = "skipped"
    FAILED = "failed"


NO_CREDENTIALS = "no credentials"
NOT_ON_PLATFORM = "not on that platform"
MALFORMED = "malformed answer"
BLOCKED = "blocked by a challenge page"
NOT_NAMED = "not named"
# Skip reasons that degrade the answer: the source would have helped but could not be asked.
DEGRADING_SKIPS = frozenset({NO_CREDENTIALS})

_HTTP_STATUS = re.compile(r"\bHTTP (\d{3})\b")


def _status(value: OutcomeStatus | str) -> OutcomeStatus:
    return OutcomeStatus(value)


@frozen
class SourceOutcome:
    """What one source did for an answer; ``reason`` says why it did not contribute (``None`` if it did)."""

    source: str
    status: OutcomeStatus = field(converter=_status)
    reason: str | None = None
    retry_after: float | None = None  # seconds, when the source said when to come back
    from_cache: bool = False  # a contribution served from a cache
    detail: str | None = None  # the error's own message, for logs and curious users
    age_seconds: float | None = None  # a cached contribution: how old the answer is
    stale: bool = False  # a cached contribution past its freshness, served because the platform failed

    def __attrs_post_init__(self) -> None:
        if self.status is not OutcomeStatus.CONTRIBUTED and not self.reason:
            raise ValueError(f"{self.source}: a source that did not contribute needs a reason")

    @property
    def contributed(self) -> bool:
        return self.status is OutcomeStatus.CONTRIBUTED

    @property
    def note(self) -> str | None:
        """How a contribution was served, when not live: "served from cache, 2 h old[, platform failing]"."""
        if not (self.contributed and self.from_cache):
            return None
        parts = ["served from cache"]
        if self.age_seconds is not None:
            parts.append(f"{age_text(self.age_seconds)} old")
        if self.stale:
            parts.append("platform failing")
        return ", ".join(parts)

    @property
    def degrades(self) -> bool:
        """Whether this source's absence makes the answer less than full."""
        if self.status is OutcomeStatus.FAILED:
            return True
        return self.status is OutcomeStatus.SKIPPED and self.reason in DEGRADING_SKIPS


def contributed(
    source: str, *, from_cache: bool = False, age_seconds: float | None = None, stale: bool = False
) -> SourceOutcome:
    """A source that answered: live, or from a cache (``age_seconds`` old, ``stale`` past its freshness)."""
    return SourceOutcome(
        source,
        OutcomeStatus.CONTRIBUTED,
        from_cache=from_cache,
        age_seconds=age_seconds if from_cache else None,
        stale=stale and from_cache,
    )


def skipped(source: str, reason: str) -> SourceOutcome:
    return SourceOutcome(source, OutcomeStatus.SKIPPED, reason)


def _seconds(value: float) -> str:
    return f"{math.ceil(value)} s" if value >= 1 else f"{value:g} s"


_AGE_UNITS = ((86400.0, "d"), (3600.0, "h"), (60.0, "min"))


def age_text(seconds: float) -> str:
    """An age in the largest whole unit: "40 s", "12 min", "2 h", "3 d" (whole units, rounded down)."""
    for size, unit in _AGE_UNITS:
        if seconds >= size:
            return f"{math.floor(seconds / size)} {unit}"
    return f"{math.floor(max(seconds, 0.0))} s"


def timed_out(source: str, seconds: float) -> SourceOutcome:
    """The source had not answered when the request's deadline of ``seconds`` passed."""
    return SourceOutcome(source, OutcomeStatus.FAILED, f"timed out after {_seconds(seconds)}")


def reason_for(error: errors.SourceError) -> tuple[str, float | None]:
    """The reason (and retry time in seconds, when known) a typed source error stands for."""
    message = str(error)
    if isinstance(error, errors.AuthRequired):
        return NO_CREDENTIALS, None
    if isinstance(error, errors.RateLimited):
        wait = error.retry_after
        return ("rate limited, retry in " + _seconds(wait) if wait is not None else "rate limited"), wait
    if isinstance(error, errors.Blocked):
        return BLOCKED, None
    if isinstance(error, errors.NotFound):
        return NOT_ON_PLATFORM, None
    if isinstance(error, errors.ParseError):
        return MALFORMED, None
    if isinstance(error, errors.Unavailable):
        retry_in = getattr(error, "retry_in", None)  # the HTTP adapter's CircuitOpen
        if isinstance(retry_in, int | float) or "circuit open" in message:
            wait = float(retry_in) if isinstance(retry_in, int | float) else None
            return ("breaker open, retry in " + _seconds(wait) if wait else "breaker open"), wait
        if "timed out" in message or "no answer within" in message:
            return "timed out", None
        status = _HTTP_STATUS.search(message)
        return (f"unavailable (HTTP {status.group(1)})" if status else "unavailable"), None
    return f"failed ({type(error).__name__})", None


def outcome_for_error(source: str, error: errors.SourceError) -> SourceOutcome:
    """The outcome of a source that answered ``error``; "not on that platform" is a skip, not a failure."""
    reason, retry_after = reason_for(error)
    status = OutcomeStatus.SKIPPED if isinstance(error, errors.NotFound) else OutcomeStatus.FAILED
    if isinstance(error, errors.AuthRequired):
        status = OutcomeStatus.SKIPPED  # asked, but the answer is "credentials needed": same as not asking
    return SourceOutcome(source, status, reason, retry_after, detail=message_of(error))


def message_of(error: BaseException) -> str:
    return str(error) or type(error).__name__


def degradation_level(outcomes: Iterable[SourceOutcome]) -> Level:
    """The level of an answer with these outcomes (the module's rule)."""
    counted = [o for o in outcomes if o.contributed or o.degrades]
    live = sum(1 for o in counted if o.contributed and not o.from_cache)
    cached = sum(1 for o in counted if o.contributed and o.from_cache)
    if live == len(counted):
        return Level.FULL
    if live:
        return Level.PARTIAL
    if cached:
        return Level.CACHE_ONLY
    return Level.OFFLINE
