"""core/degradation.py: the reason each typed source error stands for, and the level rule."""

from __future__ import annotations

import pytest

from anime_mcp.core.degradation import (
    BLOCKED,
    MALFORMED,
    NO_CREDENTIALS,
    NOT_ON_PLATFORM,
    Level,
    OutcomeStatus,
    SourceOutcome,
    age_text,
    contributed,
    degradation_level,
    outcome_for_error,
    reason_for,
    skipped,
    timed_out,
)
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)


class CircuitOpen(Unavailable):
    """Like the HTTP adapter's: an Unavailable carrying ``retry_in``."""

    def __init__(self, message: str, *, retry_in: float) -> None:
        super().__init__(message, source="kitsu")
        self.retry_in = retry_in


@pytest.mark.parametrize(
    ("error", "reason", "retry_after", "status"),
    [
        (AuthRequired("set ANIME_MCP_X", source="x"), NO_CREDENTIALS, None, OutcomeStatus.SKIPPED),
        (RateLimited("HTTP 429", retry_after=30), "rate limited, retry in 30 s", 30, OutcomeStatus.FAILED),
        (RateLimited("AniDB flood"), "rate limited", None, OutcomeStatus.FAILED),
        (
            CircuitOpen("circuit open after 5 failures", retry_in=12.2),
            "breaker open, retry in 13 s",
            12.2,
            "failed",
        ),
        (Unavailable("timed out (ReadTimeout) calling https://x"), "timed out", None, OutcomeStatus.FAILED),
        (Unavailable("no answer within 10s from https://x"), "timed out", None, OutcomeStatus.FAILED),
        (Unavailable("HTTP 503: the site could not answer"), "unavailable (HTTP 503)", None, "failed"),
        (Unavailable("ConnectError calling https://x: offline"), "unavailable", None, OutcomeStatus.FAILED),
        (Blocked("Cloudflare challenge (HTTP 403)"), BLOCKED, None, OutcomeStatus.FAILED),
        (NotFound("HTTP 404"), NOT_ON_PLATFORM, None, OutcomeStatus.SKIPPED),
        (ParseError("no data array"), MALFORMED, None, OutcomeStatus.FAILED),
        (SourceError("something else"), "failed (SourceError)", None, OutcomeStatus.FAILED),
    ],
)
def test_each_typed_error_has_its_reason(
    error: SourceError, reason: str, retry_after: float | None, status: OutcomeStatus
) -> None:
    assert reason_for(error) == (reason, retry_after)
    outcome = outcome_for_error("kitsu", error)
    assert (outcome.reason, outcome.retry_after, outcome.status) == (
        reason,
        retry_after,
        OutcomeStatus(status),
    )
    assert outcome.detail == str(error) and not outcome.contributed


def test_the_deadline_reason_names_the_seconds() -> None:
    assert timed_out("anidb", 3.0).reason == "timed out after 3 s"
    assert timed_out("anidb", 0.25).reason == "timed out after 0.25 s"
    assert timed_out("anidb", 3.0).status is OutcomeStatus.FAILED


def test_a_source_that_did_not_contribute_needs_a_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        SourceOutcome("kitsu", "failed", None)
    assert SourceOutcome("kitsu", "contributed").reason is None


LIVE, CACHED = contributed("kitsu"), contributed("anidb", from_cache=True)
STALE = contributed("anilist", from_cache=True, age_seconds=7200, stale=True)
FAILED = timed_out("anilist", 3)
NO_KEY = skipped("simkl", NO_CREDENTIALS)
ELSEWHERE = skipped("notify", NOT_ON_PLATFORM)
USELESS = skipped("ann", "does not provide synopsis")


@pytest.mark.parametrize(
    ("outcomes", "level"),
    [
        ((), Level.FULL),  # nothing was needed from the sources
        ((LIVE,), Level.FULL),
        ((LIVE, ELSEWHERE, USELESS), Level.FULL),  # sources that cannot help do not count
        ((LIVE, FAILED), Level.PARTIAL),
        ((LIVE, NO_KEY), Level.PARTIAL),  # a source that could have helped, without credentials
        ((LIVE, CACHED), Level.PARTIAL),
        ((CACHED,), Level.CACHE_ONLY),
        ((CACHED, FAILED), Level.CACHE_ONLY),
        ((CACHED, STALE), Level.CACHE_ONLY),  # a stale answer is still an answer, from the cache
        ((LIVE, STALE), Level.PARTIAL),
        ((FAILED,), Level.OFFLINE),
        ((NO_KEY, FAILED, ELSEWHERE), Level.OFFLINE),
    ],
)
def test_the_level_rule(outcomes: tuple[SourceOutcome, ...], level: Level) -> None:
    assert degradation_level(outcomes) is level
    assert degradation_level(reversed(outcomes)) is level


def test_a_cached_contribution_carries_its_age_and_says_so_in_words() -> None:
    fresh = contributed("kitsu", from_cache=True, age_seconds=90)
    assert (fresh.age_seconds, fresh.stale, fresh.reason) == (90, False, None)
    assert fresh.note == "served from cache, 1 min old"
    assert STALE.note == "served from cache, 2 h old, platform failing" and STALE.reason is None
    assert CACHED.note == "served from cache"  # age unknown: none invented
    assert LIVE.note is None and FAILED.note is None
    # a live contribution has no age and is never stale, whatever the caller passes
    assert contributed("kitsu", age_seconds=5, stale=True) == LIVE


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (59.9, "59 s"), (60, "1 min"), (3599, "59 min"), (7200, "2 h"), (86400 * 3.5, "3 d")],
)
def test_ages_are_told_in_the_largest_whole_unit(seconds: float, text: str) -> None:
    assert age_text(seconds) == text
