"""The HTTP runtime sources are bound to: one shared ``httpx.AsyncClient``, a clock, the environment,
per-source policy overrides, an optional response cache (with its lifetimes per kind of data) and an optional
``Coordination`` that shares rate-limit budgets and in-flight requests with other processes (Redis). One
``SourceHttpClient`` per source id, so breaker and rate-limit state is shared by every bound copy of a
source.

A source whose policy says ``cloudflare = true`` gets a client of its own that sends through cloudscraper
(``CloudscraperTransport``), but only in place of the shared client's plain network transport: a replayed,
mocked, captured or recording runtime serves every source through its own transport."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from anime_mcp.adapters.http.client import CacheLifetimes, SourceHttpClient
from anime_mcp.adapters.http.coordination import Coordination
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.clock import Clock

if TYPE_CHECKING:  # httpx is imported when a client is made: registering the sources (every start) needs none
    import httpx

__all__ = ["HttpRuntime", "make_async_client", "reaches_network"]


def reaches_network(transport: httpx.AsyncBaseTransport | None) -> bool:
    """Whether requests through ``transport`` reach the real site: httpx's own network transport, one that
    says so (``reaches_network = True``), or a wrapper (``inner``, as the recording transport) around one.
    Mocks and replays do not; scraped sources obey robots.txt and use cloudscraper only when it does."""
    import httpx

    if (
        isinstance(transport, httpx.AsyncHTTPTransport)
        or getattr(transport, "reaches_network", False) is True
    ):
        return True
    inner = getattr(transport, "inner", None)
    return inner is not None and inner is not transport and reaches_network(inner)


def make_async_client(transport: httpx.AsyncBaseTransport | None = None, **kwargs: Any) -> httpx.AsyncClient:
    """The shared client: HTTP/1.1 keep-alive pool, gzip, redirects followed per request, no env proxies
    in tests (pass ``transport`` to replay recorded responses)."""
    import httpx

    limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
    return httpx.AsyncClient(transport=transport, limits=limits, trust_env=transport is None, **kwargs)


class HttpRuntime:
    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        clock: Clock,
        env: Mapping[str, str],
        overrides: Mapping[str, Mapping[str, Any]] | None = None,
        cache: Cache | None = None,
        cache_lifetimes: CacheLifetimes | None = None,
        kept_records: int = 1024,
        rng: random.Random | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        self.client = client
        self.clock = clock
        self.env = env
        self.cache = cache
        self.cache_lifetimes = cache_lifetimes or CacheLifetimes()
        self.kept_records = kept_records  # parsed records kept per source (bounded like the L1)
        self.coordination = coordination
        self._overrides = dict(overrides or {})
        self._rng = rng or random.Random()
        self._clients: dict[str, SourceHttpClient] = {}
        self._cloudflare_client: httpx.AsyncClient | None = None

    @property
    def reaches_network(self) -> bool:
        """Whether this runtime's answers come from the real sites (not replayed, mocked or captured)."""
        return reaches_network(self.client._transport)

    def _client_for(self, policy: HttpPolicy) -> httpx.AsyncClient:
        # Only in place of httpx's plain network transport: a wrapper (the recording one) stays in the path.
        import httpx

        if not (policy.cloudflare and isinstance(self.client._transport, httpx.AsyncHTTPTransport)):
            return self.client
        if self._cloudflare_client is None:
            from anime_mcp.adapters.http.cloudflare import CloudscraperTransport

            self._cloudflare_client = make_async_client(CloudscraperTransport())
        return self._cloudflare_client

    def http(self, source_id: str, policy: HttpPolicy) -> SourceHttpClient:
        """The one HTTP client of ``source_id`` (created on first use with ``policy`` plus overrides)."""
        found = self._clients.get(source_id)
        if found is None:
            effective = policy.with_overrides(self._overrides.get(source_id, {}))
            found = SourceHttpClient(
                source_id,
                self._client_for(effective),
                effective,
                self.clock,
                rng=random.Random(self._rng.random()),
                cache=self.cache,
                lifetimes=self.cache_lifetimes,
                coordination=self.coordination,
                kept_records=self.kept_records,
            )
            self._clients[source_id] = found
        return found

    def existing(self, source_id: str) -> SourceHttpClient | None:
        """The HTTP client of ``source_id`` if the source has used it (for state, tests and the kit)."""
        return self._clients.get(source_id)

    def budget_used(self, source_id: str) -> float:
        """The share of ``source_id``'s rate-limit budget used now (0.0 before its first request)."""
        found = self._clients.get(source_id)
        return found.limiter.used_share() if found is not None else 0.0

    def states(self) -> dict[str, dict[str, Any]]:
        return {source_id: client.state() for source_id, client in sorted(self._clients.items())}

    async def aclose(self) -> None:
        await self.client.aclose()
        if self._cloudflare_client is not None:
            await self._cloudflare_client.aclose()
