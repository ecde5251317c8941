"""One source's way to the network: cache -> coalescer -> retries -> breaker -> concurrency cap ->
rate limiter -> deadline -> httpx (shared, injected client) -> size cap -> typed errors.

Only idempotent calls (GET/HEAD, or a POST the source marks idempotent, e.g. a GraphQL query) are
coalesced, cached and retried. Nothing but ``SourceError`` subclasses ever leaves this module.

Response cache (every source, given a cache, unless its policy says ``cacheable=False``; see
``CacheLifetimes.fresh_for`` for how long an answer stays fresh): 2xx answers and "not found" answers
(404/410, raised ``NotFound`` or an allowed 404 status) are cached; no other error ever is. An entry outlives
its freshness by ``stale_grace``; while stale it is served only when the upstream then fails with
``Unavailable`` (5xx, timeouts, transport errors, breaker open) or ``RateLimited``, as ``from_cache=True,
stale=True`` with its ``age_seconds``. A fresh "not found" is raised again from the cache; a live
``NotFound`` is never masked by a stale value. Every response handed out is noted for the fetch being
tracked (``served``), so a record can say whether it came from the cache; within ``live_answers()`` (a
health ping) no cached answer is used.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio
import attrs
from attrs import field, frozen

from anime_mcp.adapters.http.breaker import CircuitBreaker, CircuitOpen
from anime_mcp.adapters.http.coalesce import Coalescer, SharedFlight
from anime_mcp.adapters.http.coordination import Coordination
from anime_mcp.adapters.http.errors import error_for_status, map_transport_error
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.adapters.http.ratelimit import MultiWindowRateLimiter
from anime_mcp.adapters.http.record_memo import RecordMemo
from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.adapters.http.served import live_only, note_failed, note_not_found, note_served
from anime_mcp.core.errors import Blocked, NotFound, ParseError, RateLimited, SourceError, Unavailable
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.clock import Clock

if TYPE_CHECKING:  # imported with the first request: registering the sources (every start) needs no httpx
    import httpx

__all__ = ["CacheKind", "CacheLifetimes", "SourceHttpClient", "cache_kind_of"]

T = TypeVar("T")
# A source's own reading of an answer (status, body, headers) -> the typed error it stands for, or None.
ErrorDetector = Callable[[int, bytes, Mapping[str, str]], SourceError | None]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CacheKind = Literal["metadata", "streaming", "schedule"]
_CACHE_FORMAT = 2


def _non_negative(_: object, attribute: Any, value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, not {value}")


@frozen
class CacheLifetimes:
    """How long a cached answer stays fresh, per kind of data (seconds; ``[cache]`` settings)."""

    metadata: float = field(default=3 * 86400.0, validator=_non_negative)
    streaming: float = field(default=6 * 3600.0, validator=_non_negative)
    schedule: float = field(default=15 * 60.0, validator=_non_negative)
    not_found: float = field(default=86400.0, validator=_non_negative)
    stale_grace: float = field(default=7 * 86400.0, validator=_non_negative)  # kept past freshness

    def fresh_for(self, kind: CacheKind | Literal["not_found"], cap: float | None) -> float:
        """The rule: the kind's lifetime, capped by the source's own ``HttpPolicy.cache_ttl`` when it sets
        one (a source that asks for a day, as AniDB does, gets at most a day even for metadata). A source
        that must not be cached says ``cacheable=False`` (its client then has no cache)."""
        lifetime: float = getattr(self, kind)
        return min(lifetime, cap) if cap is not None else lifetime


_SCHEDULE_WORDS = (b"schedule", b"airing", b"broadcast", b"calendar")
_STREAMING_WORDS = (b"stream", b"episode-sources", b"watch")


def cache_kind_of(url: str, body: bytes | None = None) -> CacheKind:
    """The kind of data a request asks for, read from its URL and body (a GraphQL query) when the source
    does not say: schedules and airing status, streaming links, or (anything else) metadata. Schedule words
    win, since an answer that carries airing status goes out of date soonest."""
    text = url.lower().encode() + b" " + (body or b"").lower()
    if any(word in text for word in _SCHEDULE_WORDS):
        return "schedule"
    if any(word in text for word in _STREAMING_WORDS):
        return "streaming"
    return "metadata"


@frozen
class _Entry:
    response: HttpResponse | None  # None: a cached "not found"
    message: str
    age: float
    fresh: bool


class SourceHttpClient:
    def __init__(
        self,
        source: str,
        client: httpx.AsyncClient,
        policy: HttpPolicy,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        cache: Cache | None = None,
        lifetimes: CacheLifetimes | None = None,
        coordination: Coordination | None = None,
        kept_records: int = 1024,
    ) -> None:
        self.source = source
        self.policy = policy
        self._client = client
        self._clock = clock
        self._rng = rng or random.Random()
        self._cache = cache if policy.cacheable else None
        self.lifetimes = lifetimes or CacheLifetimes()
        # With ``coordination`` (Redis), rate-limit budgets and in-flight requests are shared by every
        # process; the local limiter and coalescer stay in front and take over whenever it is unavailable.
        self.limiter = MultiWindowRateLimiter(
            policy.rate_limits, clock, header_window=policy.header_window, shared=coordination, scope=source
        )
        self.breaker = CircuitBreaker(
            clock,
            source=source,
            failure_threshold=policy.failure_threshold,
            recovery_timeout=policy.recovery_timeout,
            half_open_max_calls=policy.half_open_max_calls,
        )
        self._coalescer: Coalescer[HttpResponse] = Coalescer()
        # Across processes only through a cache: a follower reads the leader's answer there.
        self._shared: SharedFlight[HttpResponse] = SharedFlight(
            coordination if self._cache is not None else None
        )
        self._capacity = anyio.CapacityLimiter(policy.max_concurrency)
        self.requests_sent = 0
        self.retries = 0
        self.cache_hits = 0
        self.stale_served = 0
        # Parsed records, kept while their answers are fresh (HttpSource.fetch); bounded like the L1.
        self.records = RecordMemo(kept_records)

    # --- public API --------------------------------------------------------------------------------
    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_statuses: frozenset[int] = frozenset(),
        detect_error: ErrorDetector | None = None,
        cache_kind: CacheKind | None = None,
    ) -> HttpResponse:
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            allow_statuses=allow_statuses,
            detect_error=detect_error,
            cache_kind=cache_kind,
        )

    async def post_json(
        self,
        url: str,
        payload: Any,
        *,
        headers: Mapping[str, str] | None = None,
        idempotent: bool = False,
        allow_statuses: frozenset[int] = frozenset(),
        detect_error: ErrorDetector | None = None,
        cache_kind: CacheKind | None = None,
    ) -> HttpResponse:
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
        merged = {"content-type": "application/json", "accept": "application/json", **(headers or {})}
        return await self.request(
            "POST",
            url,
            headers=merged,
            content=body,
            idempotent=idempotent,
            allow_statuses=allow_statuses,
            detect_error=detect_error,
            cache_kind=cache_kind,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        idempotent: bool | None = None,
        allow_statuses: frozenset[int] = frozenset(),
        detect_error: ErrorDetector | None = None,
        cache_kind: CacheKind | None = None,
    ) -> HttpResponse:
        """Send one request through the whole pipeline.

        ``allow_statuses``: non-2xx statuses the caller reads itself (their body is returned, not raised).
        ``detect_error``: the source's own reading of error answers, consulted before the generic mapping.
        ``cache_kind``: what kind of data this is, for its cache lifetime (default: ``cache_kind_of``).
        """
        try:
            return await self._request(
                method,
                url,
                params=params,
                headers=headers,
                content=content,
                idempotent=idempotent,
                allow_statuses=allow_statuses,
                detect_error=detect_error,
                cache_kind=cache_kind,
            )
        except SourceError:
            note_failed()  # a record built despite this failure lacks something: never kept parsed
            raise

    async def _request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        idempotent: bool | None,
        allow_statuses: frozenset[int],
        detect_error: ErrorDetector | None,
        cache_kind: CacheKind | None,
    ) -> HttpResponse:
        import httpx

        method = method.upper()
        idempotent = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        try:
            request = self._client.build_request(
                method,
                url,
                params=params,
                content=content,
                headers={"user-agent": self.policy.user_agent, **(headers or {})},
                timeout=httpx.Timeout(self.policy.read_timeout, connect=self.policy.connect_timeout),
            )
        except Exception as exc:  # noqa: BLE001 - invalid URL or parameters, reported typed
            raise map_transport_error(exc, source=self.source, url=url) from None
        if not idempotent:
            return note_served(await self._attempt(request, allow_statuses, detect_error))
        body_hash = hashlib.sha256(content or b"").hexdigest()
        key = (method, str(request.url), body_hash, tuple(sorted(allow_statuses)))
        forget = functools.partial(self._forget, key)
        entry = None if live_only() else await self._cached(key)
        if entry is not None and entry.fresh:
            self.cache_hits += 1
            if entry.response is None:
                note_not_found()
                raise NotFound(entry.message, source=self.source)
            return note_served(entry.response, forget)
        kind = cache_kind or cache_kind_of(str(request.url), content)
        try:
            response = await self._coalescer.run(
                key, lambda: self._fetch(key, request, allow_statuses, detect_error, kind)
            )
        except NotFound:
            note_not_found()
            raise
        except (Unavailable, RateLimited):
            if entry is None or entry.response is None or entry.response.status in (404, 410):
                raise
            self.stale_served += 1
            return note_served(attrs.evolve(entry.response, stale=True), forget)
        return note_served(response, forget)

    def state(self) -> dict[str, Any]:
        return {
            "breaker": self.breaker.snapshot(),
            "rate_limit": self.limiter.state(),
            "max_concurrency": self.policy.max_concurrency,
            "in_flight": self._coalescer.in_flight,
            "requests_sent": self.requests_sent,
            "retries": self.retries,
            "coalesced": self._coalescer.shared,
            "cache_hits": self.cache_hits,
            "stale_served": self.stale_served,
            **({"shared": self._shared.state()} if self._shared.enabled else {}),
        }

    @property
    def upstream_calls(self) -> int:
        """Distinct idempotent calls that went upstream (coalesced callers share one)."""
        return self._coalescer.upstream_calls

    # --- the pipeline ------------------------------------------------------------------------------
    async def _fetch(
        self,
        key: tuple[Any, ...],
        request: httpx.Request,
        allow: frozenset[int],
        detect: ErrorDetector | None,
        kind: CacheKind,
    ) -> HttpResponse:
        """The one upstream fetch of ``key`` for every caller, here (the coalescer runs it once) and in the
        other processes (the shared flight): the answer is stored before any of them reads it."""

        async def fetch() -> HttpResponse:
            try:
                response = await self._with_retries(request, allow, detect)
            except NotFound as exc:
                await self._store_not_found(key, str(exc))
                raise
            until = await self._store(key, response, kind)
            return response if until is None else attrs.evolve(response, fresh_until=until)

        async def read() -> HttpResponse | None:  # what another process fetched and stored
            entry = await self._cached(key)
            if entry is None or not entry.fresh:
                return None
            self.cache_hits += 1
            if entry.response is None:
                raise NotFound(entry.message, source=self.source)
            return entry.response

        if live_only():
            return await fetch()
        hold_for = min(120.0, self.policy.total_timeout * (1 + self.policy.max_retries))
        return await self._shared.run(self._cache_key(key) + ":flight", hold_for, read, fetch)

    async def _with_retries(
        self, request: httpx.Request, allow: frozenset[int], detect: ErrorDetector | None
    ) -> HttpResponse:
        attempt = 0
        while True:
            try:
                return await self._attempt(request, allow, detect)
            except CircuitOpen:
                raise
            except (Unavailable, RateLimited) as exc:
                if attempt >= self.policy.max_retries:
                    raise
                delay = self._backoff(attempt)
                if isinstance(exc, RateLimited) and exc.retry_after is not None:
                    if exc.retry_after > self.policy.max_retry_after:
                        raise
                    delay = max(delay, exc.retry_after)
                attempt += 1
                self.retries += 1
                await self._clock.sleep(delay)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter: uniform in [cap/2, cap], cap = base * 2**attempt (bounded)."""
        cap: float = min(self.policy.backoff_max, self.policy.backoff_base * float(2**attempt))
        return cap / 2 + self._rng.uniform(0, cap / 2)

    async def _attempt(
        self, request: httpx.Request, allow: frozenset[int], detect: ErrorDetector | None
    ) -> HttpResponse:
        with self.breaker.guard():
            async with self._capacity:
                await self.limiter.acquire()
                self.requests_sent += 1
                response = await self._within(
                    self.policy.total_timeout, str(request.url), lambda: self._send(request)
                )
            retry_after = self.limiter.observe(response.status, response.headers)
            error = self._detect(detect, response, retry_after)
            await self.limiter.share_blocks()
            if error is None:
                error = error_for_status(
                    response.status,
                    response.content,
                    source=self.source,
                    url=response.url,
                    retry_after=retry_after,
                    forbidden_is_auth=self.policy.forbidden_is_auth,
                )
            if error is not None and not (response.status in allow and not isinstance(error, Blocked)):
                raise error
            return response

    def _detect(
        self, detect: ErrorDetector | None, response: HttpResponse, retry_after: float | None
    ) -> SourceError | None:
        if detect is None:
            return None
        try:
            error = detect(response.status, response.content, response.headers)
        except SourceError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 - a faulty detector must not leak a raw exception
            error = ParseError(
                f"could not read the answer of {response.url}: {type(exc).__name__}: {exc}",
                source=self.source,
            )
        if isinstance(error, RateLimited):
            if error.retry_after is None and retry_after is not None:
                error.retry_after = retry_after
            if response.status != 429:  # a rate-limit notice in a 200 body: back off all the same
                self.limiter.block_for(error.retry_after or 60.0, "rate-limit notice in the answer body")
        return error

    async def _within(self, seconds: float, url: str, call: Callable[[], Awaitable[T]]) -> T:
        """Run ``call`` with a deadline on the injected clock (so virtual time can expire it)."""
        result: list[T] = []
        errors: list[Exception] = []
        with anyio.CancelScope() as deadline:
            async with anyio.create_task_group() as tg:

                async def expire() -> None:
                    await self._clock.sleep(seconds)
                    deadline.cancel()

                tg.start_soon(expire)
                try:
                    result.append(await call())
                except Exception as exc:  # noqa: BLE001 - re-raised below, outside the task group
                    errors.append(exc)
                tg.cancel_scope.cancel()
        if errors:
            raise errors[0]
        if not result:
            raise Unavailable(f"no answer within {seconds:g}s from {url}", source=self.source)
        return result[0]

    async def _send(self, request: httpx.Request) -> HttpResponse:
        cap = self.policy.max_response_bytes
        url = str(request.url)
        try:
            response = await self._client.send(request, stream=True, follow_redirects=True)
        except Exception as exc:  # noqa: BLE001 - every transport failure becomes a typed error
            raise map_transport_error(exc, source=self.source, url=url) from None
        try:
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and "content-encoding" not in response.headers and int(declared) > cap:
                raise ParseError(
                    f"response of {declared} bytes exceeds the {cap}-byte limit ({url})", source=self.source
                )
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > cap:
                    raise ParseError(f"response exceeds the {cap}-byte limit ({url})", source=self.source)
                chunks.append(chunk)
        except SourceError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise map_transport_error(exc, source=self.source, url=url) from None
        finally:
            with anyio.CancelScope(shield=True):
                with contextlib.suppress(Exception):  # closing a broken stream may fail; nothing to do
                    await response.aclose()
        return HttpResponse(
            status=response.status_code,
            url=str(response.url),
            content=b"".join(chunks),
            headers=dict(response.headers),
        )

    # --- response cache (AniDB asks clients to cache for a day) ------------------------------------
    def _cache_key(self, key: tuple[Any, ...]) -> str:
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:40]
        return f"anime-mcp:http:{self.source}:{digest}"

    async def _cached(self, key: tuple[Any, ...]) -> _Entry | None:
        """The stored entry, fresh or stale (None: none, unreadable, or the cache failed)."""
        if self._cache is None:
            return None
        try:
            raw = await self._cache.get(self._cache_key(key))
            if raw is None:
                return None
            data = json.loads(raw)
            if data.get("v") != _CACHE_FORMAT:
                return None
            age = max(0.0, self._clock.now().timestamp() - float(data["stored_at"]))
            fresh = age < float(data["fresh_for"])
            if data.get("not_found") is not None:
                return _Entry(None, str(data["not_found"]), age, fresh) if fresh else None
            response = HttpResponse(
                status=data["status"],
                url=data["url"],
                headers=data["headers"],
                content=base64.b64decode(data["content"]),
                from_cache=True,
                age_seconds=age,
                fresh_until=float(data["stored_at"]) + float(data["fresh_for"]),
            )
        except Exception:  # noqa: BLE001 - a broken cache entry (or a failing cache) is a miss, never an error
            return None
        return _Entry(response, "", age, fresh)

    async def _put(
        self, key: tuple[Any, ...], data: dict[str, Any], fresh_for: float, keep_for: float
    ) -> float | None:
        """Store ``data``; returns when it stops being fresh (None: not stored)."""
        if self._cache is None or fresh_for <= 0:
            return None
        stored_at = self._clock.now().timestamp()
        data = {"v": _CACHE_FORMAT, "stored_at": stored_at, "fresh_for": fresh_for, **data}
        try:
            await self._cache.set(self._cache_key(key), json.dumps(data).encode(), ttl_seconds=keep_for)
        except Exception:  # noqa: BLE001 - caching is best effort
            return None
        return stored_at + fresh_for

    async def _store(self, key: tuple[Any, ...], response: HttpResponse, kind: CacheKind) -> float | None:
        """Store a live answer; returns when it stops being fresh (None: not stored)."""
        if response.from_cache:
            return response.fresh_until
        if response.status in (404, 410):  # an allowed "not found" status, read by the caller
            fresh_for = self.lifetimes.fresh_for("not_found", self.policy.cache_ttl)
            keep_for = fresh_for
        elif 200 <= response.status < 300:
            fresh_for = self.lifetimes.fresh_for(kind, self.policy.cache_ttl)
            keep_for = fresh_for + self.lifetimes.stale_grace
        else:
            return None
        data = {
            "status": response.status,
            "url": response.url,
            "headers": dict(response.headers),
            "content": base64.b64encode(response.content).decode(),
        }
        return await self._put(key, data, fresh_for, keep_for)

    async def _forget(self, key: tuple[Any, ...], not_found: str | None = None) -> None:
        """Drop a stored answer (the source could not read it: it must not be served again), or with
        ``not_found``, keep "not found" in its place (the source read it as such) for that lifetime."""
        if self._cache is None:
            return
        with contextlib.suppress(Exception):  # best effort, as every cache write
            if not_found is not None:
                await self._store_not_found(key, not_found)
            else:
                await self._cache.delete(self._cache_key(key))

    async def _store_not_found(self, key: tuple[Any, ...], message: str) -> None:
        fresh_for = self.lifetimes.fresh_for("not_found", self.policy.cache_ttl)
        await self._put(key, {"not_found": message}, fresh_for, fresh_for)
