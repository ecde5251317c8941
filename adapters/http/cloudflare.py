"""``CloudscraperTransport``: an httpx transport that sends through cloudscraper, for sites behind Cloudflare.

cloudscraper (a ``requests`` session that answers Cloudflare's JavaScript challenges) is synchronous, so each
request runs in a worker thread (``anyio.to_thread.run_sync``, at most ``max_workers`` at once), with one
scraper per thread (``threading.local``: a requests session is not thread-safe). Everything above the
transport is the usual pipeline of ``SourceHttpClient``: rate limits, retries, breaker, cache, coalescing,
typed errors. The runtime picks this transport for a source whose policy says ``cloudflare = true`` and only
when it reaches the network (``HttpRuntime``); cloudscraper is imported on the first request, never when a
module that does not need it is imported.

requests decodes the body (gzip, brotli) itself, so the answer is handed to httpx decoded, without the
``content-encoding``/``content-length`` headers that described the wire form. Redirects are left to httpx
(which follows them per request), so ``response.url`` stays the one the pipeline sees.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

import anyio
import anyio.to_thread
import httpx

__all__ = ["CloudscraperTransport"]

_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


class CloudscraperTransport(httpx.AsyncBaseTransport):
    reaches_network = True  # HttpRuntime: this transport talks to the real site

    def __init__(self, *, max_workers: int = 4, scraper_options: dict[str, Any] | None = None) -> None:
        self._local = threading.local()
        self._lock = threading.Lock()
        self._scrapers: list[Any] = []  # every thread's scraper, closed by ``aclose``
        self._options = dict(scraper_options or {})
        self._workers = anyio.CapacityLimiter(max_workers)

    def _scraper(self) -> Any:
        scraper = getattr(self._local, "scraper", None)
        if scraper is None:
            import cloudscraper  # only here: sources without ``cloudflare = true`` never import it

            scraper = cloudscraper.create_scraper(**self._options)
            self._local.scraper = scraper
            with self._lock:
                self._scrapers.append(scraper)
        return scraper

    def _send(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes, timeout: Any
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        scraper = self._scraper()
        answer = scraper.request(
            method,
            url,
            headers=dict(headers),
            data=body or None,
            timeout=timeout,
            allow_redirects=False,
        )
        try:
            content = answer.content
            kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in _WIRE_HEADERS]
            return answer.status_code, kept, content
        finally:
            answer.close()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        limits = request.extensions.get("timeout") or {}
        timeout = (limits.get("connect"), limits.get("read"))
        send = functools.partial(
            self._send, request.method, str(request.url), list(request.headers.items()), body, timeout
        )
        try:
            status, headers, content = await anyio.to_thread.run_sync(
                send, abandon_on_cancel=True, limiter=self._workers
            )
        except Exception as exc:
            if type(exc).__name__.startswith("Cloudflare"):  # a challenge cloudscraper could not pass
                refused = f"cloudscraper could not pass Cloudflare: {type(exc).__name__}: {exc}"
                return httpx.Response(403, content=refused.encode(), request=request)  # -> Blocked
            raise _as_httpx_error(exc, request) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def aclose(self) -> None:
        with self._lock:
            scrapers, self._scrapers = self._scrapers, []
        for scraper in scrapers:
            scraper.close()


def _as_httpx_error(exc: Exception, request: httpx.Request) -> httpx.HTTPError:
    """A requests/cloudscraper failure as the httpx error that means the same (typed by the client)."""
    import requests

    name = type(exc).__name__
    detail = f"{name}: {exc}"
    if isinstance(exc, requests.Timeout):
        return httpx.ReadTimeout(detail, request=request)
    if isinstance(exc, requests.ConnectionError):
        return httpx.ConnectError(detail, request=request)
    if isinstance(exc, requests.TooManyRedirects):
        return httpx.TooManyRedirects(detail, request=request)
    # cloudscraper's own errors (a challenge it could not solve, a loop) and anything else below HTTP
    return httpx.TransportError(detail, request=request)
