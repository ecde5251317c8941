"""One HTTP path for every source: shared injected httpx client, multi-window rate limits that adapt to
the server's headers, timeouts on the injected clock, retries with backoff and jitter for idempotent calls,
a circuit breaker with visible state, request coalescing, a concurrency cap, a response size cap and
typed errors only, decided by one error policy (``errors``: status mapping, challenge pages, Retry-After)."""

from anime_mcp.adapters.http.breaker import BreakerState, CircuitBreaker, CircuitOpen
from anime_mcp.adapters.http.client import ErrorDetector, SourceHttpClient
from anime_mcp.adapters.http.coalesce import Coalescer
from anime_mcp.adapters.http.errors import (
    challenge_reason,
    error_for_status,
    looks_like_html,
    map_transport_error,
    parse_retry_after,
)
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.adapters.http.ratelimit import MultiWindowRateLimiter
from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.adapters.http.runtime import HttpRuntime, make_async_client
from anime_mcp.adapters.http.source_base import HttpSource

__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpen",
    "Coalescer",
    "ErrorDetector",
    "HttpPolicy",
    "HttpResponse",
    "HttpRuntime",
    "HttpSource",
    "MultiWindowRateLimiter",
    "SourceHttpClient",
    "challenge_reason",
    "error_for_status",
    "looks_like_html",
    "make_async_client",
    "map_transport_error",
    "parse_retry_after",
]
