"""The shared HTTP path: coalescing, retries, timeouts, caps and typed errors, all on a virtual clock."""

from __future__ import annotations

import gzip
import itertools
import random
from typing import Any

import anyio
import httpx
import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, SourceHttpClient, make_async_client
from anime_mcp.adapters.http.client import CacheLifetimes, cache_kind_of
from anime_mcp.adapters.http.served import live_answers, tracking
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)
from anime_mcp.core.sources import CacheInfo

pytestmark = pytest.mark.anyio

URL = "https://api.example.test/anime/1"
CLOUDFLARE = (
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head>"
    b"<body><script>window._cf_chl_opt={}</script></body></html>"
)


def make(
    handler: Any, clock: VirtualClock | None = None, **policy: object
) -> tuple[SourceHttpClient, VirtualClock]:
    clock = clock or VirtualClock()
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)), clock=clock, env={}, rng=random.Random(7)
    )
    return runtime.http("test", HttpPolicy(**policy)), clock  # type: ignore[arg-type]


# --- coalescing ------------------------------------------------------------------------------------
async def test_100_concurrent_identical_fetches_make_one_upstream_request() -> None:
    clock = VirtualClock()
    calls: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        await clock.sleep(1.0)  # slow upstream: every caller arrives while the first is in flight
        return httpx.Response(200, json={"id": 1})

    http, _ = make(handler, clock)
    results: list[bytes] = []

    async def fetch() -> None:
        results.append((await http.get(URL)).content)

    async with anyio.create_task_group() as tg:
        for _ in range(100):
            tg.start_soon(fetch)
    assert calls == [URL]
    assert len(results) == 100 and set(results) == {b'{"id":1}'}
    assert http.state()["coalesced"] == 99 and http.state()["in_flight"] == 0


async def test_coalesced_callers_share_the_error_too() -> None:
    clock = VirtualClock()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await clock.sleep(1.0)
        return httpx.Response(404)

    http, _ = make(handler, clock)
    errors: list[BaseException] = []

    async def fetch() -> None:
        try:
            await http.get(URL)
        except NotFound as exc:
            errors.append(exc)

    async with anyio.create_task_group() as tg:
        for _ in range(20):
            tg.start_soon(fetch)
    assert calls == 1 and len(errors) == 20


async def test_different_requests_are_not_coalesced() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200)

    http, _ = make(handler)
    async with anyio.create_task_group() as tg:
        tg.start_soon(http.get, URL)
        tg.start_soon(http.get, URL + "?page=2")
    assert sorted(seen) == [URL, URL + "?page=2"]


async def test_a_cancelled_leader_does_not_strand_or_cancel_the_followers() -> None:
    clock = VirtualClock()
    calls = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        await clock.sleep(5.0)
        return httpx.Response(200, content=b"done")

    http, _ = make(handler, clock)
    got: list[bytes] = []

    async def follower() -> None:
        got.append((await http.get(URL)).content)

    async with anyio.create_task_group() as tg, anyio.create_task_group() as leader_group:
        leader_group.start_soon(http.get, URL)
        await anyio.lowlevel.checkpoint()  # the leader is now in flight
        tg.start_soon(follower)
        await anyio.lowlevel.checkpoint()
        leader_group.cancel_scope.cancel()
    assert got == [b"done"]
    assert calls == 2  # the follower took over with a fresh request
    assert http.state()["in_flight"] == 0


async def test_non_idempotent_posts_are_neither_coalesced_nor_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503)

    http, _ = make(handler)
    with pytest.raises(Unavailable):
        await http.post_json("https://api.example.test/write", {"a": 1})
    assert calls == 1


# --- retries -----------------------------------------------------------------------------------------
async def test_idempotent_calls_retry_5xx_with_exponential_backoff_and_jitter() -> None:
    clock = VirtualClock()
    times: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(clock.monotonic())
        return httpx.Response(503 if len(times) < 4 else 200, content=b"ok")

    http, _ = make(handler, clock, max_retries=3, backoff_base=1.0)
    response = await http.get(URL)
    assert response.content == b"ok" and len(times) == 4
    gaps = [b - a for a, b in itertools.pairwise(times)]
    for attempt, gap in enumerate(gaps):
        cap = 1.0 * 2**attempt
        assert cap / 2 <= gap <= cap, (attempt, gap)  # jitter in [cap/2, cap]
    assert http.state()["retries"] == 3


async def test_retries_give_up_after_max_retries() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(502)

    http, _ = make(handler, max_retries=2)
    with pytest.raises(Unavailable, match="HTTP 502"):
        await http.get(URL)
    assert calls == 3


async def test_retry_after_is_honoured_between_attempts() -> None:
    clock = VirtualClock()
    times: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(clock.monotonic())
        if len(times) == 1:
            return httpx.Response(429, headers={"Retry-After": "17"})
        return httpx.Response(200)

    http, _ = make(handler, clock, backoff_base=0.1)
    await http.get(URL)
    assert times[1] - times[0] >= 17


async def test_rate_limited_when_retries_run_out() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "2"})

    http, _ = make(handler, max_retries=1)
    with pytest.raises(RateLimited) as caught:
        await http.get(URL)
    assert caught.value.retry_after == 2


# --- timeouts ----------------------------------------------------------------------------------------
async def test_a_silent_upstream_times_out_on_the_clock() -> None:
    clock = VirtualClock()

    async def handler(request: httpx.Request) -> httpx.Response:
        await anyio.Event().wait()  # never answers
        raise AssertionError("unreachable")

    http, _ = make(handler, clock, total_timeout=10.0, max_retries=1, backoff_base=1.0)
    with pytest.raises(Unavailable, match="no answer within 10s"):
        await http.get(URL)
    assert 20.0 <= clock.monotonic() <= 21.0  # two attempts of 10 s plus one backoff
    assert http.state()["breaker"]["consecutive_failures"] == 2  # each attempt counts


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx.ConnectError("refused"), Unavailable),
        (httpx.ReadTimeout("slow"), Unavailable),
        (httpx.RemoteProtocolError("garbage"), Unavailable),
        (RuntimeError("a bug in a transport"), Unavailable),
    ],
)
async def test_transport_failures_become_typed_errors(error: Exception, expected: type[SourceError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    http, _ = make(handler, max_retries=0)
    with pytest.raises(expected) as caught:
        await http.get(URL)
    assert not isinstance(caught.value, httpx.HTTPError)
    assert caught.value.source == "test"


# --- statuses and pages ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (404, b"{}", NotFound),
        (410, b"", NotFound),
        (401, b"{}", AuthRequired),
        (403, b"<html><head><title>403 Forbidden</title></head></html>", Blocked),
        (503, CLOUDFLARE, Blocked),
        (200, CLOUDFLARE, Blocked),
        (500, b"oops", Unavailable),
        (400, b"bad", SourceError),
    ],
)
async def test_statuses_and_challenge_pages_map_to_typed_errors(
    status: int, body: bytes, expected: type[SourceError]
) -> None:
    http, _ = make(lambda request: httpx.Response(status, content=body), max_retries=0)
    with pytest.raises(expected):
        await http.get(URL)


async def test_forbidden_means_bad_credentials_for_token_apis() -> None:
    http, _ = make(lambda request: httpx.Response(403, json={"error": "forbidden"}), forbidden_is_auth=True)
    with pytest.raises(AuthRequired):
        await http.get(URL)


async def test_challenges_are_not_retried() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(503, content=CLOUDFLARE)

    http, _ = make(handler, max_retries=3)
    with pytest.raises(Blocked):
        await http.get(URL)
    assert calls == 1


async def test_allowed_statuses_come_back_to_the_caller() -> None:
    http, _ = make(lambda request: httpx.Response(404, json={"errors": [{"status": 404}]}))
    response = await http.get(URL, allow_statuses=frozenset({404}))
    assert response.status == 404 and response.json() == {"errors": [{"status": 404}]}


async def test_the_sources_own_error_detector_comes_first() -> None:
    def detect(status: int, body: bytes, headers: object) -> SourceError | None:
        return NotFound("anime not found", source="x") if b"<error>" in body else None

    http, _ = make(lambda request: httpx.Response(200, content=b"<error>Anime not found</error>"))
    with pytest.raises(NotFound, match="anime not found"):
        await http.get(URL, detect_error=detect)


async def test_a_rate_limit_notice_in_a_200_body_backs_off() -> None:
    def detect(status: int, body: bytes, headers: object) -> SourceError | None:
        return RateLimited("flood", source="x") if b"flood" in body else None

    http, _ = make(lambda request: httpx.Response(200, content=b"flood"), max_retries=0)
    with pytest.raises(RateLimited):
        await http.get(URL, detect_error=detect)
    assert http.state()["rate_limit"]["blocked_for"] > 0


# --- size, encoding, concurrency, cache --------------------------------------------------------------
async def test_responses_over_the_size_cap_are_refused() -> None:
    http, _ = make(lambda request: httpx.Response(200, content=b"x" * 2000), max_response_bytes=1000)
    with pytest.raises(ParseError, match="1000-byte limit"):
        await http.get(URL)


async def test_a_gzip_bomb_is_stopped_by_the_decoded_size() -> None:
    bomb = gzip.compress(b"\0" * 5_000_000)
    http, _ = make(
        lambda request: httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"}),
        max_response_bytes=100_000,
    )
    with pytest.raises(ParseError):
        await http.get(URL)


async def test_gzip_answers_are_decoded() -> None:
    body = gzip.compress(b"<anime id='1'/>")
    http, _ = make(lambda request: httpx.Response(200, content=body, headers={"content-encoding": "gzip"}))
    assert (await http.get(URL)).content == b"<anime id='1'/>"


async def test_the_concurrency_cap_holds() -> None:
    clock = VirtualClock()
    running = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await clock.sleep(1.0)
        running -= 1
        return httpx.Response(200)

    http, _ = make(handler, clock, max_concurrency=3)
    async with anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(http.get, f"{URL}/{i}")
    assert peak == 3


class DictCache:
    name = "dict"

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.ttls: list[float | None] = []

    async def get(self, key: str) -> bytes | None:
        return self.data.get(key)

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        self.data[key] = value
        self.ttls.append(ttl_seconds)

    async def delete(self, key: str) -> None:
        self.data.pop(key, None)


async def test_cached_answers_do_not_go_upstream_again() -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=b"<anime/>", headers={"content-type": "text/xml"})

    cache = DictCache()
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)), clock=VirtualClock(), env={}, cache=cache
    )
    http = runtime.http("anidb", HttpPolicy(cache_ttl=86400))
    first = await http.get(URL)
    second = await http.get(URL)
    assert calls == 1 and second.from_cache and second.content == first.content
    # fresh for a day (AniDB's cap on the 3-day metadata lifetime), then kept 7 days for stale-while-error
    assert second.content_type == "text/xml" and cache.ttls == [86400 + 7 * 86400]


async def test_policy_overrides_apply_per_source() -> None:
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(lambda r: httpx.Response(200))),
        clock=VirtualClock(),
        env={},
        overrides={"mal": {"max_concurrency": 1}},
    )
    assert runtime.http("mal", HttpPolicy()).policy.max_concurrency == 1
    assert runtime.http("mal", HttpPolicy()) is runtime.http("mal", HttpPolicy())  # one client per source
    with pytest.raises(ValueError, match="unknown HTTP policy settings"):
        HttpPolicy().with_overrides({"max_concurency": 1})


async def test_invalid_urls_are_typed_errors() -> None:
    http, _ = make(lambda request: httpx.Response(200))
    with pytest.raises(SourceError):
        await http.get("not a url at all://")


# --- cache lifetimes per kind, not-found answers, stale-while-error (virtual clock) ----------------------
def cached_runtime(handler: Any, clock: VirtualClock, **lifetimes: float) -> tuple[HttpRuntime, MemoryCache]:
    cache = MemoryCache(clock)
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)),
        clock=clock,
        env={},
        cache=cache,
        cache_lifetimes=CacheLifetimes(**lifetimes),
        rng=random.Random(7),
    )
    return runtime, cache


def test_cache_kind_is_read_from_the_request() -> None:
    assert cache_kind_of("https://api.test/v1/schedules/2026-09-12") == "schedule"
    assert (
        cache_kind_of("https://graphql.test/", b'{"query":"{ Media { nextAiringEpisode } }"}') == "schedule"
    )
    assert cache_kind_of("https://api.test/anime/1/streaming-links") == "streaming"
    assert cache_kind_of("https://api.test/anime/1") == "metadata"
    lifetimes = CacheLifetimes()
    assert lifetimes.fresh_for("metadata", 86400) == 86400  # the source's shorter cap wins
    assert lifetimes.fresh_for("schedule", 86400) == 900
    assert lifetimes.fresh_for("not_found", 7 * 86400) == 86400


@pytest.mark.parametrize(
    ("url", "kind", "fresh_for"),
    [
        ("https://api.test/anime/1", None, 3 * 3600),  # metadata: the source's cap (3 h) < 3 days
        ("https://api.test/schedule/today", None, 900),
        ("https://api.test/anime/1/streaming", None, 2 * 3600),  # streaming lifetime set to 2 h
        ("https://api.test/anime/1", "schedule", 900),  # the caller's kind wins over the URL
    ],
)
async def test_each_kind_stays_fresh_for_its_lifetime(url: str, kind: Any, fresh_for: float) -> None:
    clock = VirtualClock()
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, content=b"%d" % calls)

    runtime, _ = cached_runtime(handler, clock, streaming=2 * 3600)
    http = runtime.http("src", HttpPolicy(cache_ttl=3 * 3600))
    await http.get(url, cache_kind=kind)
    await clock.sleep(fresh_for - 1)
    hit = await http.get(url, cache_kind=kind)
    assert calls == 1 and hit.from_cache and not hit.stale and hit.age_seconds == fresh_for - 1
    await clock.sleep(1)
    fresh = await http.get(url, cache_kind=kind)
    assert calls == 2 and not fresh.from_cache and fresh.content == b"2"


async def test_not_found_is_cached_briefly_and_other_errors_not_at_all() -> None:
    clock = VirtualClock()
    statuses = iter([404, 404, 500, 200])
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(next(statuses))

    runtime, _ = cached_runtime(handler, clock, not_found=3600)
    http = runtime.http("src", HttpPolicy(cache_ttl=86400, max_retries=0))
    for _ in range(2):
        with pytest.raises(NotFound):
            await http.get(URL)
    assert calls == 1  # the second NotFound came from the cache
    await clock.sleep(3600)
    with pytest.raises(NotFound):
        await http.get(URL)
    assert calls == 2
    await clock.sleep(3600)
    with pytest.raises(Unavailable):
        await http.get(URL)  # a 500 is not cached ...
    assert (await http.get(URL)).status == 200 and calls == 4  # ... so the next call goes upstream


async def test_an_upstream_failure_after_expiry_serves_the_stale_answer_with_its_age() -> None:
    clock = VirtualClock()
    answers = iter(
        [httpx.Response(200, content=b"old"), httpx.Response(503), httpx.Response(200, content=b"new")]
    )
    runtime, _ = cached_runtime(lambda request: next(answers), clock, stale_grace=86400)
    http = runtime.http("src", HttpPolicy(cache_ttl=3600, max_retries=0))
    await http.get(URL)
    await clock.sleep(5000)
    stale = await http.get(URL)
    assert stale.content == b"old" and stale.from_cache and stale.stale and stale.age_seconds == 5000
    assert http.state()["stale_served"] == 1
    fresh = await http.get(URL)
    assert fresh.content == b"new" and not fresh.from_cache and not fresh.stale


async def test_stale_answers_cover_timeouts_and_an_open_breaker_but_expire_after_the_grace() -> None:
    clock = VirtualClock()
    mode = "ok"

    async def handler(request: httpx.Request) -> httpx.Response:
        if mode == "slow":
            await clock.sleep(100)
        if mode == "down":
            return httpx.Response(502)
        return httpx.Response(200, content=b"body")

    runtime, _ = cached_runtime(handler, clock, stale_grace=1000)
    http = runtime.http("src", HttpPolicy(cache_ttl=60, max_retries=0, total_timeout=5, failure_threshold=1))
    await http.get(URL)
    await clock.sleep(61)
    mode = "slow"
    assert (await http.get(URL)).stale  # a timeout
    mode = "down"
    assert (await http.get(URL)).stale  # breaker open (threshold 1) after the timeout
    await clock.sleep(1000)
    with pytest.raises(Unavailable):
        await http.get(URL)  # the grace is over: the error is the answer


async def test_a_live_not_found_is_never_masked_by_a_stale_value() -> None:
    clock = VirtualClock()
    answers = iter([httpx.Response(200, content=b"was there"), httpx.Response(404)])
    runtime, _ = cached_runtime(lambda request: next(answers), clock)
    http = runtime.http("src", HttpPolicy(cache_ttl=60, max_retries=0))
    await http.get(URL)
    await clock.sleep(61)
    with pytest.raises(NotFound):
        await http.get(URL)
    with pytest.raises(NotFound):  # and the not-found answer is now what the cache holds
        await http.get(URL)


# --- every source cached: kind lifetimes by default, a cap or an explicit opt-out -----------------------
def counting(calls: list[httpx.Request]) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, content=b"%d" % len(calls))

    return handler


async def test_a_default_policy_is_cached_for_the_kinds_lifetime() -> None:
    clock, calls = VirtualClock(), []
    runtime, _ = cached_runtime(counting(calls), clock)
    http = runtime.http("src", HttpPolicy())  # no cache_ttl: no cap, and no longer "no cache"
    await http.get(URL)
    await clock.sleep(3 * 86400 - 1)
    assert (await http.get(URL)).from_cache and len(calls) == 1
    await clock.sleep(1)
    assert not (await http.get(URL)).from_cache and len(calls) == 2


async def test_a_source_opts_out_with_cacheable_false_and_a_zero_cap_is_refused() -> None:
    clock, calls = VirtualClock(), []
    runtime, cache = cached_runtime(counting(calls), clock)
    http = runtime.http("live", HttpPolicy(cacheable=False))
    await http.get(URL)
    assert not (await http.get(URL)).from_cache and len(calls) == 2 and len(cache) == 0
    with pytest.raises(ValueError, match="cacheable = false"):
        HttpPolicy(cache_ttl=0)  # "0 means no cache" is gone: say it with cacheable


async def test_posts_are_cached_only_when_marked_idempotent_and_keyed_by_their_body() -> None:
    clock, calls = VirtualClock(), []
    runtime, _ = cached_runtime(counting(calls), clock)
    http = runtime.http("anilist", HttpPolicy())
    query = {"query": "query ($id: Int) { Media(id: $id) { id } }", "variables": {"id": 1}}
    for _ in range(2):
        assert not (await http.post_json(URL, query)).from_cache  # a write, as far as anyone knows
    assert len(calls) == 2
    first = await http.post_json(URL, query, idempotent=True)  # a GraphQL query: read only
    again = await http.post_json(URL, query, idempotent=True)
    assert not first.from_cache and again.from_cache and again.content == first.content and len(calls) == 3
    other = await http.post_json(URL, {**query, "variables": {"id": 2}}, idempotent=True)
    assert not other.from_cache and len(calls) == 4  # another body, another answer


async def test_live_answers_skip_the_cache_and_its_stale_fallback_but_refresh_it() -> None:
    clock, calls = VirtualClock(), []
    answers = iter([200, 200, 503])

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(next(answers), content=b"%d" % len(calls))

    runtime, _ = cached_runtime(handler, clock)
    http = runtime.http("src", HttpPolicy(max_retries=0))
    await http.get(URL)
    with live_answers():
        refreshed = await http.get(URL)
    assert not refreshed.from_cache and refreshed.content == b"2"
    assert (await http.get(URL)).content == b"2"  # what the live call got is what the cache holds now
    with live_answers(), pytest.raises(Unavailable):
        await http.get(URL)  # a health check must see the failure, not a stored answer


async def test_a_tracked_fetch_is_cached_only_when_every_answer_was() -> None:
    clock, calls = VirtualClock(), []
    runtime, _ = cached_runtime(counting(calls), clock)
    http = runtime.http("src", HttpPolicy())
    await http.get(URL)
    await clock.sleep(10)
    await http.get(URL + "/episodes")
    await clock.sleep(20)
    with tracking() as both_cached:
        await http.get(URL)
        await http.get(URL + "/episodes")
    assert both_cached.cache_info() == CacheInfo(age_seconds=30, stale=False)  # the older one's age
    with tracking() as mixed:
        await http.get(URL)
        await http.get(URL + "/staff")  # live
    assert mixed.live == 1 and mixed.cache_info() is None
    with tracking() as outer:
        with tracking() as inner:
            await http.get(URL)
        assert inner.cache_info() == outer.cache_info() == CacheInfo(age_seconds=30)
