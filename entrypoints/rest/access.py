"""Who may call the server: per-client API keys with a rate limit each, and the bind check of ``serve``.

With ``[serve] api_keys`` set, every request but the open paths (``/health``, the docs and ``/openapi.json``)
and the admin endpoints (they have their own token) must carry a key, as ``X-API-Key: KEY`` or
``Authorization: Bearer KEY``: none is 401, an unknown one 401, a known one over its ``api_key_rate``
(requests per minute, each key its own budget) 429 with ``Retry-After``. With ``[cache] redis_url`` the
budgets are shared by every process through Redis (the sources' sliding-window script), so N processes behind
one port still allow each key its rate, not N times it; when Redis is unreachable each process counts alone
until it is back. Keys are compared in constant time (``hmac.compare_digest`` against every key). The
client's name, never its key, goes into the log context.

Without keys nothing is asked: fine on loopback, refused elsewhere (``open_bind_refusal``) unless
``[serve] allow_unauthenticated`` says so.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import math
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

import structlog
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from anime_mcp.entrypoints.settings import ServeSettings

OPEN_PATHS = frozenset({"/", "/docs", "/openapi.json", "/health"})
ADMIN_PREFIX = "/api/admin/"
WINDOW = 60.0  # seconds: api_key_rate counts requests per minute


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve anywhere


def open_bind_refusal(host: str, settings: ServeSettings) -> str | None:
    """Why serving on ``host`` with these settings is refused (None: it is not)."""
    if settings.api_keys or settings.allow_unauthenticated or is_loopback(host):
        return None
    return (
        f"refusing to serve on {host} without API keys: anyone who can reach it could use it. Set "
        "[serve] api_keys or api_keys_file (ANIME_MCP_API_KEYS, ANIME_MCP_API_KEYS_FILE), or set "
        "[serve] allow_unauthenticated = true (ANIME_MCP_ALLOW_UNAUTHENTICATED=1) to serve openly anyway"
    )


class SharedBudget(Protocol):
    """Budgets kept by every process together (``adapters.redis_coordination``): 0 when taken, the seconds
    to wait (nothing taken), or None when the shared store is unavailable."""

    async def take(self, scope: str, windows: Sequence[tuple[int, float]]) -> float | None: ...


class KeyBudget:
    """A sliding window of send times per client: at most ``rate`` requests in any ``WINDOW`` seconds."""

    def __init__(self, rate: int, monotonic: Callable[[], float]) -> None:
        self.rate = rate
        self._monotonic = monotonic
        self._sent: dict[str, deque[float]] = {}

    def wait(self, client: str) -> float:
        """0 and the request counted, or the seconds until it could go (not counted)."""
        now = self._monotonic()
        sent = self._sent.setdefault(client, deque())
        while sent and sent[0] <= now - WINDOW:
            sent.popleft()
        if len(sent) >= self.rate:
            return sent[0] + WINDOW - now
        sent.append(now)
        return 0.0


class ApiKeyMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        settings: ServeSettings,
        monotonic: Callable[[], float] = time.monotonic,
        shared: SharedBudget | None = None,
    ) -> None:
        self.app = app
        self._keys = [(name, key.encode()) for name, key in settings.api_keys]
        self._budget = KeyBudget(settings.api_key_rate, monotonic) if settings.api_key_rate else None
        self._shared = shared

    async def wait(self, client: str) -> float:
        """0 and the request counted, or the seconds until this client may send again: counted across
        every process when the budgets are shared and the store answers, in this process otherwise."""
        assert self._budget is not None
        if self._shared is not None:
            waited = await self._shared.take(f"api-key:{client}", [(self._budget.rate, WINDOW)])
            if waited is not None:
                return waited
        return self._budget.wait(client)

    def client_of(self, sent: str) -> str | None:
        """The client name of key ``sent``; every key is compared, in constant time, whatever matches."""
        found = None
        for name, key in self._keys:
            if hmac.compare_digest(sent.encode(), key):
                found = name
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not self._keys
            or path in OPEN_PATHS
            or path.startswith(ADMIN_PREFIX)
            or scope.get("method") == "OPTIONS"  # CORS preflights carry no credentials
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        scheme, _, bearer = headers.get("authorization", "").partition(" ")
        sent = headers.get("x-api-key") or (bearer.strip() if scheme.lower() == "bearer" else "")
        client = self.client_of(sent) if sent else None
        if client is None:
            message = "this server needs an API key: send it as 'X-API-Key: KEY'"
            if sent:
                message = "the API key was not recognised"
            await _refuse(send, scope, 401, "unauthorized", message, extra={"www-authenticate": "ApiKey"})
            return
        if self._budget is not None and (wait := await self.wait(client)) > 0:
            retry = str(max(1, math.ceil(wait)))
            message = f"over {self._budget.rate} requests per minute for this API key; retry in {retry} s"
            await _refuse(send, scope, 429, "rate_limited", message, extra={"retry-after": retry})
            return
        with structlog.contextvars.bound_contextvars(api_client=client):
            await self.app(scope, receive, send)


async def _refuse(
    send: Send, scope: Scope, status: int, code: str, message: str, *, extra: dict[str, str]
) -> None:
    cid = (scope.get("state") or {}).get("correlation_id", "")
    body = json.dumps({"error": {"code": code, "message": message, "correlation_id": cid}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((name.encode(), value.encode()) for name, value in extra.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def cors(origins: tuple[str, ...]) -> Middleware:
    """Starlette's CORS middleware for the configured origins: the API's methods and headers, no cookies."""
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=["authorization", "content-type", "x-api-key", "x-correlation-id"],
        expose_headers=["x-correlation-id", "retry-after"],
        allow_credentials=False,
        max_age=600,
    )
