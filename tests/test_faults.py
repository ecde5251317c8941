"""Fault injection against every installed source: every way a platform fails, through the real HTTP path.

``tests/test_source_failures.py`` holds the first cases (hangs, 429 with a wait, 503, truncated, challenge);
this table adds the rest of issue 17's faults and checks more than the answer. A ``httpx.MockTransport``
plays the platform: it raises httpx's own exceptions (connect and read timeouts, a reset connection, a
server that closes without answering, a reset in the middle of the body) or answers (429 with and without
``Retry-After``, 500/502/503/504, a 200 carrying an error document, garbage, half a real answer, a
challenge page, a redirect to itself, a body larger than the source's cap). Nothing of our own is mocked:
each source's own policy (retries off so each failure is seen once), its parser, the response cache (a real
``MemoryCache``), the breaker and the rate limiter, on a ``VirtualClock`` so that waits cost no time.

For every source x fault:

- the answer comes, degraded: the catalogue's fields, the partner source's, level ``partial``, and the
  failing source's reason worded as ``core.degradation`` words it (``FAULTS`` below is the table
  docs/reliability.md shows);
- nothing bad is cached as data: the response cache is empty afterwards, and the same requests, once the
  platform answers again, are served live (then from the cache);
- the breaker counts the failure when the fault is an outage or a block, and not when it is a rate limit or
  a bad document; a 429 blocks the rate limiter (for ``Retry-After`` when given).

A second table drives each outage fault until the breaker opens: it opens after exactly the source's
``failure_threshold`` upstream calls, no call goes out while it is open, and the reason says when to retry.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any, NamedTuple

import httpx
import pytest
from shared_data import FIXTURES, require_shared
from test_source_failures import (
    CATALOGUE_STORE,
    CHALLENGE_PAGE,
    IDS,
    NO_RETRIES,
    RECORDINGS,
    ROOMY_DEADLINE,
    SOURCES,
    VARIANTS,
    WANTED,
    Handler,
    Variant,
    check_answer,
    partner_of,
    recording,
    serving,
    truncated,
)

from anime_mcp.adapters.clock import SystemClock, VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.http.replay import replay_env
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.degradation import BLOCKED, MALFORMED
from anime_mcp.core.services.enrichment import Enrichment, enrich

pytestmark = pytest.mark.anyio

RETRY_AFTER = 30  # seconds, the wait the 429 with Retry-After asks for
HUGE_CAP = (
    2 * 1024 * 1024
)  # bytes: the sources' cap here (above every recording; the default 8 MiB works alike)
GOOD_BODY = b'{"ok": true}'


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Fault(NamedTuple):
    """One way a platform fails: how it answers, the reason the answer gives, and what it says about the
    platform's health (``trips``: counted by the breaker; ``blocks``: the rate limiter stops sending)."""

    name: str
    answer: Callable[[Variant], Handler]
    reason: str
    trips: bool
    blocks: bool = False
    # Sources that read this fault otherwise (variant name -> reason, trips): an API whose own error
    # document says "server error" is an outage, not a malformed answer.
    read_as: Mapping[str, tuple[str, bool]] = {}

    def reason_for(self, variant: Variant) -> str:
        return self.read_as.get(variant.name, (self.reason, self.trips))[0]

    def trips_for(self, variant: Variant) -> bool:
        return self.read_as.get(variant.name, (self.reason, self.trips))[1]


def raising(make: Callable[[httpx.Request], Exception]) -> Callable[[Variant], Handler]:
    def for_variant(variant: Variant) -> Handler:
        async def answer(request: httpx.Request) -> httpx.Response:
            raise make(request)

        return answer

    return for_variant


def answering(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Callable[[Variant], Handler]:
    def for_variant(variant: Variant) -> Handler:
        async def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(status, headers=headers, content=body)

        return answer

    return for_variant


# A 200 carrying the platform's own kind of error document instead of the anime (how each API words a
# server-side failure; scraped sites: a maintenance page served with 200, as a misconfigured CDN does).
JSON_API_ERROR = b'{"errors": [{"title": "Internal Server Error", "status": "500", "code": "500"}]}'
ERROR_DOCUMENTS = {
    "anidb": b'<?xml version="1.0" encoding="UTF-8"?><error code="500">Internal server error</error>',
    "ann": b'<?xml version="1.0" encoding="UTF-8"?><error>Internal server error</error>',
    "anilist": b'{"data": null, "errors": [{"message": "Internal Server Error", "status": 500}]}',
    "kitsu": JSON_API_ERROR,
    "mal": b'{"error": "internal_server_error", "message": ""}',
    "mal-jikan": b'{"status": 500, "type": "InternalException", "message": "Something went wrong"}',
    "notify": b'{"error": "Internal Server Error"}',
    "animeschedule": b'{"error": "Internal Server Error", "status": 500}',
    "simkl": b'{"error": "server_error", "message": "Internal Server Error"}',
}
MAINTENANCE_PAGE = (
    b"<!DOCTYPE html><html><head><title>Maintenance</title></head><body>"
    b"<h1>We'll be back soon</h1><p>The site is under maintenance.</p></body></html>"
)


def error_document(variant: Variant) -> Handler:
    return serving(ERROR_DOCUMENTS.get(variant.name, MAINTENANCE_PAGE))


def garbage(variant: Variant) -> Handler:
    return serving(b"\x00\x9f\x92\x96 not a document \xff\xfe <<<}}}")


def half_answer(variant: Variant) -> Handler:
    return serving(truncated(recording(variant.source)))


def reset_mid_body(variant: Variant) -> Handler:
    """Half of a real answer, then the connection is reset (the stream raises httpx's ReadError)."""
    half = truncated(recording(variant.source))

    async def body() -> AsyncIterator[bytes]:
        yield half
        raise httpx.ReadError("[Errno 104] Connection reset by peer")

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    return answer


def redirect_loop(variant: Variant) -> Handler:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": str(request.url)})

    return answer


def huge_streamed(variant: Variant) -> Handler:
    """A body past the cap with no Content-Length: read until the cap, then given up."""

    async def body() -> AsyncIterator[bytes]:
        for _ in range(HUGE_CAP // 65536 + 2):
            yield b" " * 65536

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body())

    return answer


def huge_declared(variant: Variant) -> Handler:
    """A body whose Content-Length says it is past the cap: refused before reading."""
    return answering(200, b"x" * (HUGE_CAP + 1))(variant)


def challenge(variant: Variant) -> Handler:
    headers = {"content-type": "text/html; charset=UTF-8", "cf-mitigated": "challenge"}
    return answering(403, CHALLENGE_PAGE, headers)(variant)


FAULTS = [
    Fault(
        "connect timeout", raising(lambda r: httpx.ConnectTimeout("timed out", request=r)), "timed out", True
    ),
    Fault("read timeout", raising(lambda r: httpx.ReadTimeout("timed out", request=r)), "timed out", True),
    Fault(
        "connection refused",
        raising(lambda r: httpx.ConnectError("[Errno 111] Connection refused", request=r)),
        "unavailable",
        True,
    ),
    Fault(
        "connection reset",
        raising(lambda r: httpx.ReadError("[Errno 104] Connection reset by peer", request=r)),
        "unavailable",
        True,
    ),
    Fault(
        "closed without answer",
        raising(
            lambda r: httpx.RemoteProtocolError("Server disconnected without sending a response.", request=r)
        ),
        "unavailable",
        True,
    ),
    Fault("reset mid-body", reset_mid_body, "unavailable", True),
    Fault(
        "429 with Retry-After",
        answering(429, b"Too Many Requests", {"retry-after": str(RETRY_AFTER)}),
        f"rate limited, retry in {RETRY_AFTER} s",
        False,
        blocks=True,
    ),
    Fault(
        "429 without Retry-After", answering(429, b"Too Many Requests"), "rate limited", False, blocks=True
    ),
    Fault("500", answering(500, b"Internal Server Error"), "unavailable (HTTP 500)", True),
    Fault("502", answering(502, b"<html><body>Bad Gateway</body></html>"), "unavailable (HTTP 502)", True),
    Fault("503", answering(503, b"Service Unavailable"), "unavailable (HTTP 503)", True),
    Fault("504", answering(504, b"Gateway Timeout"), "unavailable (HTTP 504)", True),
    Fault(
        "200 with an error body",
        error_document,
        MALFORMED,
        False,
        read_as=dict.fromkeys(
            ["anidb", "anilist", "kitsu", "mal", "mal-jikan", "simkl"], ("unavailable", True)
        ),
    ),
    Fault("malformed body", garbage, MALFORMED, False),
    Fault("truncated body", half_answer, MALFORMED, False),
    Fault("challenge page", challenge, BLOCKED, True),
    Fault("redirect loop", redirect_loop, "unavailable", True),
    Fault("huge body, streamed", huge_streamed, MALFORMED, False),
    Fault("huge body, declared", huge_declared, MALFORMED, False),
]
FAULT_IDS = [f.name.replace(" ", "-").replace(",", "") for f in FAULTS]


class Platform:
    """The failing platform: answers with ``handler`` (swappable), notes every request it receives."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        return await self.handler(request)


class Rig(NamedTuple):
    platform: Platform
    runtime: HttpRuntime
    cache: MemoryCache
    clock: VirtualClock


def rig(variant: Variant, handler: Handler) -> Rig:
    clock = VirtualClock()
    cache = MemoryCache(clock)
    platform = Platform(handler)
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(platform)),
        clock=clock,
        env={**replay_env({}, SOURCES.values()), **variant.env},
        overrides={s: {**NO_RETRIES, "max_response_bytes": HUGE_CAP} for s in SOURCES},
        cache=cache,
    )
    return Rig(platform, runtime, cache, clock)


async def enrich_with(variant: Variant, failing: HttpRuntime, *, alone: bool = False) -> Enrichment:
    partner_id = partner_of(variant)
    partner = HttpRuntime(
        client=make_async_client(
            httpx.MockTransport(serving(require_shared(FIXTURES / RECORDINGS[partner_id]).read_bytes()))
        ),
        clock=SystemClock(),
        env=replay_env({}, SOURCES.values()),
        overrides={s: NO_RETRIES for s in SOURCES},
    )
    sources = {variant.source: SOURCES[variant.source].bind(failing)}
    if not alone:
        sources[partner_id] = SOURCES[partner_id].bind(partner)
    try:
        return await enrich(
            "mal:1535", CATALOGUE_STORE, sources, fields=WANTED, only=list(sources), deadline=ROOMY_DEADLINE
        )
    finally:
        await partner.aclose()


def reason_of(result: Enrichment, variant: Variant) -> str | None:
    outcome = result.outcome(variant.source)
    return None if outcome is None else outcome.reason


# --- the table ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", FAULTS, ids=FAULT_IDS)
@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_a_fault_degrades_the_answer_and_is_never_cached(variant: Variant, fault: Fault) -> None:
    setup = rig(variant, fault.answer(variant))
    try:
        result = await enrich_with(variant, setup.runtime)
        check_answer(result, variant, fault.reason_for(variant))
        assert setup.platform.requests, "the platform was never asked"

        # Nothing bad cached as data: not the error, not the half-read or unreadable body.
        assert len(setup.cache) == 0, f"{fault.name} left {len(setup.cache)} cache entries"

        http = setup.runtime.existing(variant.source)
        assert http is not None
        breaker = http.breaker.snapshot()
        assert breaker["state"] == "closed" or breaker["failure_threshold"] <= len(setup.platform.requests)
        assert (breaker["consecutive_failures"] > 0) is fault.trips_for(variant), breaker
        blocked_for = http.limiter.state()["blocked_for"]
        if fault.blocks:
            assert blocked_for > 0
            if "Retry-After" in fault.name and "without" not in fault.name:
                assert blocked_for == pytest.approx(RETRY_AFTER)
        else:
            assert blocked_for == 0

        # The platform recovers: the same requests are answered live, then from the cache.
        asked = {(r.method, str(r.url), r.content) for r in setup.platform.requests}
        setup.platform.handler = serving(GOOD_BODY)
        for method, url, content in sorted(asked):
            first = await http.request(method, url, content=content or None, idempotent=True)
            assert (first.content, first.from_cache) == (GOOD_BODY, False)
            again = await http.request(method, url, content=content or None, idempotent=True)
            assert (again.content, again.from_cache) == (GOOD_BODY, True)
        assert http.breaker.snapshot()["state"] == "closed"
    finally:
        await setup.runtime.aclose()


def cases(trips: bool) -> list[Any]:  # pytest.param sets
    return [
        pytest.param(v, f, id=f"{v.name}-{fid}")
        for f, fid in zip(FAULTS, FAULT_IDS, strict=True)
        for v in VARIANTS
        if f.trips_for(v) is trips
    ]


@pytest.mark.parametrize(("variant", "fault"), cases(trips=True))
async def test_the_breaker_opens_after_its_threshold(variant: Variant, fault: Fault) -> None:
    """Asked alone again and again: after ``failure_threshold`` failed calls nothing more goes upstream, and
    the answer says when the source will be tried again (its ``recovery_timeout``)."""
    setup = rig(variant, fault.answer(variant))
    try:
        policy = SOURCES[variant.source].http_policy().with_overrides(NO_RETRIES)
        reasons = []
        for _ in range(policy.failure_threshold + 2):
            reasons.append(reason_of(await enrich_with(variant, setup.runtime, alone=True), variant))
        http = setup.runtime.existing(variant.source)
        assert http is not None
        sent = http.requests_sent
        assert policy.failure_threshold <= sent < policy.failure_threshold + 2, reasons
        assert set(reasons[: policy.failure_threshold]) == {fault.reason_for(variant)}, reasons
        assert reasons[-1] == f"breaker open, retry in {math.ceil(policy.recovery_timeout)} s", reasons

        last = reason_of(await enrich_with(variant, setup.runtime, alone=True), variant)
        assert last is not None and last.startswith("breaker open")
        assert http.requests_sent == sent  # nothing went out while open
    finally:
        await setup.runtime.aclose()


@pytest.mark.parametrize(("variant", "fault"), cases(trips=False))
async def test_rate_limits_and_bad_documents_never_open_the_breaker(variant: Variant, fault: Fault) -> None:
    """A platform that answers (too fast, or wrongly) is not down: every call still goes out."""
    setup = rig(variant, fault.answer(variant))
    try:
        policy = SOURCES[variant.source].http_policy()
        for _ in range(policy.failure_threshold + 2):
            result = await enrich_with(variant, setup.runtime, alone=True)
            assert reason_of(result, variant) == fault.reason_for(variant)
        http = setup.runtime.existing(variant.source)
        assert http is not None and http.breaker.snapshot()["state"] == "closed"
        assert http.requests_sent >= policy.failure_threshold + 2
    finally:
        await setup.runtime.aclose()
