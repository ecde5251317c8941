"""``ScrapedSource``: the base of sources that read public web pages, and ``fetch_page`` for any source.

Every page goes through the source's ``SourceHttpClient`` (rate limits, retries, breaker, response cache,
coalescing, typed errors), as an API answer does; on top of it:

- robots.txt: fetched once per site through the same client (cached like a page, kept parsed for a day),
  obeyed for the policy's ``user_agent``; a page it disallows is ``Blocked`` without a request. A missing
  robots.txt (404/410) allows everything; one the site cannot serve (5xx, timeout) fails the fetch
  (RFC 9309: assume complete disallow). A ``Crawl-delay`` longer than the rate limit holds the next request
  back. ``obey_robots = false`` in ``[sources.<id>]`` turns it off for one site. Only when the runtime
  reaches the network: replayed and mocked answers are no visit to the site.
- politeness: ``SCRAPE_RATE_LIMITS`` (one request per second) for ``SourceInfo.rate_limits``,
  ``SCRAPE_POLICY`` (fewer, slower retries; two requests at once), pages cached as metadata
  (``[cache] ttl_metadata``, days), an honest ``user_agent`` naming the project.
- challenge and interstitial pages (Cloudflare, DDoS-Guard) are ``Blocked`` by the HTTP error policy
  before a parser sees them; ``parse_page`` refuses them again for pages read from files.
- ``cloudflare = true`` in the policy sends the source's requests through cloudscraper (``HttpRuntime``).
"""

from __future__ import annotations

import weakref
from typing import Any, ClassVar
from urllib.parse import urlsplit

from anime_mcp.adapters.http.client import CacheKind, ErrorDetector, SourceHttpClient
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.adapters.http.source_base import HttpSource
from anime_mcp.adapters.scraping.robots import RobotsRules
from anime_mcp.core.errors import Blocked, ParseError
from anime_mcp.ports.source import RateLimit, SourceKind

__all__ = ["ROBOTS_KEEP_SECONDS", "SCRAPE_POLICY", "SCRAPE_RATE_LIMITS", "ScrapedSource", "fetch_page"]

SCRAPE_RATE_LIMITS = (RateLimit(1, 1),)  # at most one request per second per site
SCRAPE_POLICY = HttpPolicy(max_retries=2, backoff_base=2.0, max_concurrency=2)
ROBOTS_KEEP_SECONDS = 86400.0  # a parsed robots.txt is kept a day (its answer is cached like any page)
_MISSING = frozenset({404, 410})

# Parsed robots.txt per HTTP client (one per source and runtime): origin -> (rules, keep until).
_robots: weakref.WeakKeyDictionary[SourceHttpClient, dict[str, tuple[RobotsRules, float]]] = (
    weakref.WeakKeyDictionary()
)


def _origin(url: str, source: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ParseError(f"not a web page address: {url!r}", source=source)
    return f"{parts.scheme}://{parts.netloc}"


async def robots_rules(source: HttpSource, origin: str) -> RobotsRules:
    """The robots.txt of ``origin`` (``https://host``) as ``source`` reads it: kept parsed for a day per
    HTTP client, fetched through the source's client (rate limits, cache, retries) when not kept."""
    http = source.http
    kept = _robots.setdefault(http, {})
    now = source.runtime.clock.monotonic()
    found = kept.get(origin)
    if found is not None and found[1] > now:
        return found[0]
    response = await http.get(f"{origin}/robots.txt", allow_statuses=_MISSING, cache_kind="metadata")
    rules = RobotsRules.allow_all() if response.status in _MISSING else RobotsRules.parse(response.content)
    kept[origin] = (rules, now + ROBOTS_KEEP_SECONDS)
    return rules


async def check_robots(source: HttpSource, url: str) -> None:
    """Raise ``Blocked`` when the site's robots.txt disallows ``url`` for the source's User-Agent (only when
    the source's policy obeys robots.txt and the runtime reaches the network)."""
    http = source.http
    if not (http.policy.obey_robots and source.runtime.reaches_network):
        return
    origin = _origin(url, source.info.id)
    rules = await robots_rules(source, origin)
    agent = http.policy.user_agent
    if not rules.allows(url, agent):
        raise Blocked(
            f"{origin}/robots.txt disallows {urlsplit(url).path or '/'} for {agent!r} "
            f"(obey_robots = false under [sources.{source.info.id}] only if the site allows you otherwise)",
            source=source.info.id,
        )
    delay = rules.crawl_delay(agent)
    if delay is not None and delay > 0:
        http.limiter.block_for(min(delay, 60.0), "robots.txt Crawl-delay")


async def fetch_page(
    source: HttpSource,
    url: str,
    *,
    detect_error: ErrorDetector | None = None,
    allow_statuses: frozenset[int] = frozenset(),
    cache_kind: CacheKind = "metadata",
) -> HttpResponse:
    """GET one web page for ``source`` politely: robots.txt first, then the source's HTTP client (its rate
    limits, retries, breaker, cache). Usable by any ``HttpSource`` (an API source's web fallback too)."""
    await check_robots(source, url)
    return await source.http.get(
        url,
        headers={"accept": "text/html,application/xhtml+xml"},
        detect_error=detect_error,
        allow_statuses=allow_statuses,
        cache_kind=cache_kind,
    )


class ScrapedSource(HttpSource):
    """A source that reads a site's public pages (``SourceInfo(kind="scrape")``).

    Subclasses declare ``info`` (with ``rate_limits=SCRAPE_RATE_LIMITS`` unless the site allows more),
    name their parsers as any ``HttpSource`` does, and fetch with ``await self.page(url)``.
    """

    policy: ClassVar[HttpPolicy] = SCRAPE_POLICY

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        info = cls.__dict__.get("info")
        if info is not None and info.kind is not SourceKind.SCRAPE:
            raise TypeError(f"{cls.__name__}: a ScrapedSource declares SourceInfo(kind='scrape')")

    async def page(
        self,
        url: str,
        *,
        detect_error: ErrorDetector | None = None,
        allow_statuses: frozenset[int] = frozenset(),
        cache_kind: CacheKind = "metadata",
    ) -> HttpResponse:
        """One page of the site, politely (``fetch_page``)."""
        return await fetch_page(
            self, url, detect_error=detect_error, allow_statuses=allow_statuses, cache_kind=cache_kind
        )
