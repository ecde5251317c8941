"""Scraping public web pages responsibly: the toolkit of every scraped source (and of web fallbacks).

The whole API (``/work/notes/scraping_api.md`` and docs/plugins.md show a source using it):

- ``ScrapedSource`` — base class (an ``HttpSource``) for a source with ``SourceInfo(kind="scrape")``:
  ``policy = SCRAPE_POLICY``; ``await self.page(url, detect_error=..., allow_statuses=...)`` gets a page.
- ``fetch_page(source, url, ...)`` — the same for any ``HttpSource`` (an API source's web fallback):
  robots.txt checked first, then ``source.http.get`` (rate limits, retries, breaker, cache, coalescing).
- ``SCRAPE_RATE_LIMITS`` — one request per second per site, for ``SourceInfo.rate_limits``.
- ``SCRAPE_POLICY`` — ``HttpPolicy`` defaults for scraping (2 retries with slower backoff, 2 at once).
- ``parse_page(body, source=...)`` — the page as an lxml tree: size cap, challenge pages ``Blocked``, no
  network, ``ParseError`` for anything lxml cannot read.
- ``json_ld(root, types=...)`` — the page's JSON-LD objects (``@graph`` flattened, bad scripts skipped).
- ``meta_content(root, name)``, ``text_of(element)``, ``texts_of(elements)`` — meta tags and clean text;
  ``decode_cf_email(hex)`` — a name Cloudflare hid as an e-mail (``parse_page`` reveals them already).
- ``RobotsRules`` — a parsed robots.txt (``parse``, ``allows(url, user_agent)``, ``crawl_delay``).

Settings per source (``[sources.<id>]`` in config.toml, the fields of ``HttpPolicy``): ``obey_robots``
(default true), ``cloudflare`` (send through cloudscraper in worker threads; default false),
``user_agent``, ``rate_limits``, ``cache_ttl``. ``[plugins] disable = ["<plugin>"]`` (or
``ANIME_MCP_DISABLE_PLUGINS``) turns a scraped source off entirely. Challenge pages are detected by the one
error policy (``anime_mcp.adapters.http.errors.challenge_reason``).
"""

from typing import TYPE_CHECKING, Any

from anime_mcp.adapters.scraping.robots import RobotsRules
from anime_mcp.adapters.scraping.source import (
    SCRAPE_POLICY,
    SCRAPE_RATE_LIMITS,
    ScrapedSource,
    check_robots,
    fetch_page,
)

# The page helpers (lxml) are loaded on first use: a scraped source's class is imported at every start,
# its parsing when it parses, and the start of `anime-mcp mcp` (first search within a second) parses none.
if TYPE_CHECKING:
    from anime_mcp.adapters.scraping.pages import (
        HtmlElement,
        decode_cf_email,
        json_ld,
        meta_content,
        parse_page,
        text_of,
        texts_of,
    )
_PAGES = frozenset(
    ("HtmlElement", "decode_cf_email", "json_ld", "meta_content", "parse_page", "text_of", "texts_of")
)

__all__ = [
    "SCRAPE_POLICY",
    "SCRAPE_RATE_LIMITS",
    "HtmlElement",
    "RobotsRules",
    "ScrapedSource",
    "check_robots",
    "decode_cf_email",
    "fetch_page",
    "json_ld",
    "meta_content",
    "parse_page",
    "text_of",
    "texts_of",
]


def __getattr__(name: str) -> Any:
    if name in _PAGES:
        from anime_mcp.adapters.scraping import pages

        value = getattr(pages, name)
        globals()[name] = value  # looked up here once
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
