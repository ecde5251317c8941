"""The one error policy of the HTTP path: what an upstream answer or a transport failure means, typed.

Three functions hold it, and every source (the HTTP client, the built-in parsers through
``anime_mcp.adapters.source_toolkit``, third-party plugins) goes through them:

- :func:`challenge_reason`: is this body a challenge / anti-leech / block page instead of data?
- :func:`parse_retry_after`: the wait a ``Retry-After`` header asks for, measured on the ``Clock`` port;
- :func:`error_for_status`: the status-to-error mapping (documented on the function).

:func:`map_transport_error` does the same for failures below HTTP. Nothing raw (httpx, ``ValueError``)
leaves the HTTP path.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re

from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)
from anime_mcp.ports.clock import Clock

__all__ = [
    "challenge_reason",
    "error_for_status",
    "looks_like_html",
    "map_transport_error",
    "parse_retry_after",
]

CHALLENGE_SCAN_BYTES = 65536  # challenge pages say so early; only the head of a body is looked at

_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
# Words in the page <title>: Cloudflare and DDoS-Guard challenges, AniDB's AntiLeech, bare block pages.
_CHALLENGE_TITLES: tuple[tuple[bytes, str], ...] = (
    (b"just a moment", 'a Cloudflare challenge page ("Just a moment...") came back'),
    (b"attention required! | cloudflare", "a Cloudflare block page came back"),
    (b"please wait... | cloudflare", "a Cloudflare challenge page came back"),
    (b"ddos-guard", "a DDoS-Guard challenge page came back"),
    (b"checking your browser", "a browser check (Cloudflare or DDoS-Guard) came back"),
    (b"antileech", "an AniDB AntiLeech page came back: the client is banned or flooding"),
    (b"access denied", 'an "Access denied" page came back'),
    (b"403 forbidden", "a bare 403 Forbidden page came back"),
)
# Markers anywhere in the head of the body (scripts and forms of challenges, AniDB's XML ban notice).
# Not the bare "challenge-platform": Cloudflare injects its beacon (window.__CF$cv$params with
# u:'/cdn-cgi/challenge-platform/h/g' and .../scripts/invisible.js or jsd/main.js) into ordinary pages (every
# recorded Anime-Planet and Simkl page has it); only the challenge's orchestration script
# (/cdn-cgi/challenge-platform/h/<x>/orchestrate/...) marks a challenge (_CHALLENGE_SCRIPT).
_CHALLENGE_MARKERS: tuple[tuple[bytes, str], ...] = (
    (b"cf_chl_opt", "a Cloudflare challenge page came back"),
    (b"__cf_chl_", "a Cloudflare challenge page came back"),  # __cf_chl_tk, __cf_chl_rt_tk tokens
    (b"cf-chl-", "a Cloudflare challenge page came back"),  # cf-chl-widget, cf-chl-bypass
    (b"cf-browser-verification", "a Cloudflare browser check came back"),
    (b"orchestrate/chl_page", "a Cloudflare challenge page came back"),
    (b'id="challenge-form"', "a challenge form came back"),
    (b"ddos-guard", "a DDoS-Guard challenge page came back"),
    (b"<error>banned</error>", "AniDB says the client is banned; wait hours before retrying"),
    (b'<error code="500">banned</error>', "AniDB says the client is banned; wait hours before retrying"),
)


_CHALLENGE_SCRIPT = re.compile(rb"challenge-platform/h/[a-z0-9]+/orchestrate")


def looks_like_html(content: bytes) -> bool:
    """Whether a body is an HTML page (doctype, ``<html>``, ``<head>`` or ``<body>`` at its start)."""
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return True
    return head.startswith(b"<") and b"<html" in head[:200]  # after an XML declaration or a comment


def challenge_reason(content: bytes) -> str | None:
    """Why this body is a challenge, anti-leech or block page instead of data; None when it is not one.

    Page titles count only in HTML (an XML ``<title>`` is an anime's title, maybe "Access Denied");
    the script, form and ban markers count in any body.
    """
    head = content[:CHALLENGE_SCAN_BYTES]
    title = _TITLE.search(head) if looks_like_html(head) else None
    if title is not None:
        text = title.group(1).strip().lower()
        for marker, reason in _CHALLENGE_TITLES:
            if marker in text:
                return reason
    lowered = head.lower()
    for marker, reason in _CHALLENGE_MARKERS:
        if marker in lowered:
            return reason
    if _CHALLENGE_SCRIPT.search(lowered):
        return "a Cloudflare challenge page came back"
    return None


def parse_retry_after(value: str | None, clock: Clock | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delta-seconds, or an HTTP date measured from ``clock``.

    Never negative; None for a missing or unreadable value. The HTTP-date form is relative to
    ``clock.now()`` (never the system time); with ``clock=None`` only delta-seconds can be read and a date
    gives None (the HTTP client, which holds the clock, fills the wait in).
    """
    if not value or not value.strip():
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        if clock is None:
            return None
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        seconds = (when - clock.now()).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


def error_for_status(
    status: int,
    content: bytes,
    *,
    source: str,
    url: str = "",
    retry_after: float | None = None,
    forbidden_is_auth: bool = False,
) -> SourceError | None:
    """The typed error an answer stands for, or None for a usable 2xx answer.

    In this order:

    - a challenge / anti-leech / block page (:func:`challenge_reason`), whatever the status, even 200:
      ``Blocked`` (never retried; counts against the breaker);
    - 2xx: None;
    - 429: ``RateLimited`` carrying ``retry_after``;
    - 404, 410: ``NotFound``;
    - 401: ``AuthRequired`` (the source's credentials are missing or refused);
    - 407: ``AuthRequired`` too, naming the proxy: it is a configuration fault that a retry cannot fix and
      that says nothing about the platform's health (not ``Unavailable``, which is retried and trips the
      breaker);
    - 403: ``Blocked`` (banned, blocked region), or ``AuthRequired`` when ``forbidden_is_auth`` (token APIs
      answer 403 for a bad token);
    - 408, 425, 5xx (and anything above): ``Unavailable`` (transient: retried with backoff);
    - 3xx (a redirect that was not followed): ``Unavailable``;
    - any other 4xx (400, 405, 409, 422, ...): ``ParseError``: the request as the plugin builds it and the
      platform's API no longer agree. Like an unexpected document it is deterministic (not retried) and
      says nothing about the platform's health (the breaker is left alone); the plugin needs fixing.
    - anything else (1xx): ``Unavailable``.
    """
    where = f" from {url}" if url else ""
    reason = challenge_reason(content)
    if reason is not None:
        return Blocked(f"{reason} (HTTP {status}){where}", source=source)
    if 200 <= status < 300:
        return None
    if status == 429:
        wait = f"; retry after {retry_after:g}s" if retry_after is not None else ""
        return RateLimited(f"HTTP 429 Too Many Requests{where}{wait}", source=source, retry_after=retry_after)
    if status in (404, 410):
        return NotFound(f"HTTP {status}: no such resource{where}", source=source)
    if status == 401:
        return AuthRequired(f"HTTP 401: the credentials are missing or were refused{where}", source=source)
    if status == 407:
        return AuthRequired(
            f"HTTP 407: the HTTP proxy wants credentials{where} (put them in the proxy URL, e.g. "
            "HTTPS_PROXY=http://user:password@proxy:3128)",
            source=source,
        )
    if status == 403:
        if forbidden_is_auth:
            return AuthRequired(f"HTTP 403: the credentials were refused{where}", source=source)
        return Blocked(
            f"HTTP 403 Forbidden{where} (banned, blocked region or bad credentials)", source=source
        )
    if status in (408, 425) or status >= 500:
        return Unavailable(f"HTTP {status}: the site could not answer{where}", source=source)
    if 300 <= status < 400:
        return Unavailable(f"HTTP {status}: redirect not followed{where}", source=source)
    if 400 <= status < 500:
        return ParseError(
            f"HTTP {status}: the request was refused{where}; the plugin and the platform's API disagree",
            source=source,
        )
    return Unavailable(f"HTTP {status}: unexpected status{where}", source=source)


def map_transport_error(exc: Exception, *, source: str, url: str) -> SourceError:
    """A failure below HTTP (timeout, connection, protocol, decoding) as a typed error."""
    import httpx  # here, not at the top: importing the sources (every start) must not import httpx

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
