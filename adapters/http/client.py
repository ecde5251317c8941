"""One source's way to the network: cache -> coalescer -> retries -> breaker -> concurrency cap ->
rate limiter -> deadline -> httpx (shared, injected client) -> size cap -> typed errors.

Only idempotent calls (GET/HEAD, or a POST the source marks idempotent, e.g. a GraphQL query) are
coalesced, cached and retried. Nothing but ``SourceError`` subclasses ever leaves this module.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import anyio
import httpx

from anime_mcp.adapters.http.breaker import CircuitBreaker, CircuitOpen
from anime_mcp.adapters.http.coalesce import Coalescer
from anime_mcp.adapters.http.errors import error_for_status, map_transport_error
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.adapters.http.ratelimit import MultiWindowRateLimiter
from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.core.errors import Blocked, ParseError, RateLimited, SourceError, Unavailable
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.clock import Clock

__all__ = ["SourceHttpClient"]

T = TypeVar("T")
# A source's own reading of an answer (status, body, headers) -> the typed error it stands for, or None.
ErrorDetector = Callable[[int, bytes, Mapping[str, str]], SourceError | None]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


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
    ) -> None:
        self.source = source
        self.policy = policy
        self._client = client
        self._clock = clock
        self._rng = rng or random.Random()
        self._cache = cache if policy.cache_ttl > 0 else None
        self.limiter = MultiWindowRateLimiter(policy.rate_limits, clock, header_window=policy.header_window)
        self.breaker = CircuitBreaker(
            clock,
            source=source,
            failure_threshold=policy.failure_threshold,
            recovery_timeout=policy.recovery_timeout,
            half_open_max_calls=policy.half_open_max_calls,
        )
        self._coalescer: Coalescer[HttpResponse] = Coalescer()
        self._capacity = anyio.CapacityLimiter(policy.max_concurrency)
        self.requests_sent = 0
        self.retries = 0
        self.cache_hits = 0

    # --- public API --------------------------------------------------------------------------------
    async def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        allow_statuses: frozenset[int] = frozenset(),
        detect_error: ErrorDetector | None = None,
    ) -> HttpResponse:
        return await self.request(
            "GET",
            url,
            params=params,
            headers=headers,
            allow_statuses=allow_statuses,
            detect_error=detect_error,
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
    ) -> HttpResponse:
        """Send one request through the whole pipeline.

        ``allow_statuses``: non-2xx statuses the caller reads itself (their body is returned, not raised).
        ``detect_error``: the source's own reading of error answers, consulted before the generic mapping.
        """
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
            return await self._attempt(request, allow_statuses, detect_error)
        body_hash = hashlib.sha256(content or b"").hexdigest()
        key = (method, str(request.url), body_hash, tuple(sorted(allow_statuses)))
        cached = await self._cached(key)
        if cached is not None:
            return cached
        response = await self._coalescer.run(
            key, lambda: self._with_retries(request, allow_statuses, detect_error)
        )
        await self._store(key, response)
        return response

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
        }

    @property
    def upstream_calls(self) -> int:
        """Distinct idempotent calls that went upstream (coalesced callers share one)."""
        return self._coalescer.upstream_calls

    # --- the pipeline ------------------------------------------------------------------------------
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

    async def _cached(self, key: tuple[Any, ...]) -> HttpResponse | None:
        if self._cache is None:
            return None
        try:
            raw = await self._cache.get(self._cache_key(key))
            if raw is None:
                return None
            data = json.loads(raw)
            response = HttpResponse(
                status=data["status"],
                url=data["url"],
                headers=data["headers"],
                content=base64.b64decode(data["content"]),
                from_cache=True,
            )
        except Exception:  # noqa: BLE001 - a broken cache entry is a miss, never an error
            return None
        self.cache_hits += 1
        return response

    async def _store(self, key: tuple[Any, ...], response: HttpResponse) -> None:
        if self._cache is None or response.from_cache or not 200 <= response.status < 300:
            return
        data = {
            "status": response.status,
            "url": response.url,
            "headers": dict(response.headers),
            "content": base64.b64encode(response.content).decode(),
        }
        try:
            await self._cache.set(
                self._cache_key(key), json.dumps(data).encode(), ttl_seconds=self.policy.cache_ttl
            )
        except Exception:  # noqa: BLE001 - caching is best effort
            return
