"""How upstream answers and transport failures become the typed ``SourceError``s (never raw httpx)."""

from __future__ import annotations

import httpx

from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)

__all__ = ["CHALLENGE_MARKERS", "classify_response", "is_challenge", "map_transport_error"]

# Pages that stand in for the real answer: Cloudflare and DDoS-Guard challenges, AniDB's AntiLeech and
# ban notices. Looked for in the first 64 KiB only.
CHALLENGE_MARKERS: tuple[bytes, ...] = (
    b"<title>just a moment...</title>",
    b"cf-browser-verification",
    b"challenge-platform",
    b"cf_chl_opt",
    b"<title>attention required! | cloudflare</title>",
    b"ddos-guard",
    b"<title>anidb antileech",
    b"<error>banned</error>",
    b'<error code="500">banned</error>',
)


def is_challenge(content: bytes) -> bool:
    head = content[:65536].lower()
    return any(marker in head for marker in CHALLENGE_MARKERS)


def classify_response(
    response: HttpResponse, *, source: str, retry_after: float | None = None
) -> SourceError | None:
    """The typed error an answer means, or None for a usable answer (2xx that is not a challenge page)."""
    status = response.status
    if is_challenge(response.content):
        return Blocked(
            f"challenge or anti-leech page instead of data (HTTP {status}) from {response.url}", source=source
        )
    if 200 <= status < 300:
        return None
    if status == 429:
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimited(
            f"HTTP 429 Too Many Requests from {response.url}{wait}", source=source, retry_after=retry_after
        )
    if status in (404, 410):
        return NotFound(f"HTTP {status}: no such resource at {response.url}", source=source)
    if status in (401, 407):
        return AuthRequired(f"HTTP {status}: credentials missing or refused by {response.url}", source=source)
    if status == 403:
        return Blocked(
            f"HTTP 403 Forbidden from {response.url} (banned, blocked region or bad credentials)",
            source=source,
        )
    if status >= 500 or status in (408, 425):
        return Unavailable(f"HTTP {status} from {response.url}", source=source)
    if 300 <= status < 400:
        return Unavailable(f"HTTP {status} redirect not followed from {response.url}", source=source)
    return SourceError(f"HTTP {status}: the request was refused by {response.url}", source=source)


def map_transport_error(exc: Exception, *, source: str, url: str) -> SourceError:
    """A failure below HTTP (timeout, connection, protocol, decoding) as a typed error."""
    if isinstance(exc, httpx.TimeoutException):
        return Unavailable(f"timed out ({type(exc).__name__}) calling {url}", source=source)
    if isinstance(exc, httpx.DecodingError):
        return ParseError(f"could not decode the response of {url}: {exc}", source=source)
    if isinstance(exc, httpx.TooManyRedirects):
        return Unavailable(f"too many redirects calling {url}", source=source)
    if isinstance(exc, httpx.ConnectError):
        return Unavailable(
            f"could not connect to {url} (offline, DNS or the site is down): {exc}", source=source
        )
    if isinstance(exc, httpx.TransportError):
        return Unavailable(f"{type(exc).__name__} calling {url}: {exc or 'no detail'}", source=source)
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return SourceError(f"invalid URL {url}: {exc}", source=source)
    return Unavailable(f"{type(exc).__name__} calling {url}: {exc}", source=source)
