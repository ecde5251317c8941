"""One pure-ASGI middleware around every HTTP request (REST and ``/mcp``):

- a correlation id: the client's ``X-Correlation-ID`` when it is sane, else a new one; echoed in the
  response, bound into the structlog context (every log line of the request carries it) and stored in
  ``scope["state"]`` for the MCP server;
- the request body limit: a declared ``Content-Length`` above it is refused at once with 413, a streamed
  body is cut off when it passes the limit;
- the request span (OpenTelemetry) and one access log line.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import structlog
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anime_mcp.entrypoints.observability import span
from anime_mcp.entrypoints.tools.base import new_correlation_id

HEADER = "x-correlation-id"
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = structlog.get_logger("anime_mcp.http")


class BodyTooLarge(Exception):
    pass


def correlation_id(scope: Scope) -> str:
    state = scope.get("state") or {}
    found = state.get("correlation_id")
    return found if isinstance(found, str) else ""


def too_large_body(limit: int, cid: str) -> bytes:
    return json.dumps(
        {
            "error": {
                "code": "body_too_large",
                "message": f"the request body is larger than {limit:,} bytes",
                "correlation_id": cid,
            }
        }
    ).encode()


# The requests that may carry a picture (base64): they get [serve] max_image_body_bytes, the others the
# ordinary cap, so a 1 MiB limit on questions does not refuse a 2 MB poster.
PICTURE_PATHS = frozenset({"/api/tools/search_by_image", "/api/tools/search_anime", "/api/query"})


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_image_body_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_image_body_bytes = max(max_body_bytes, max_image_body_bytes or max_body_bytes)

    def limit_for(self, path: str) -> int:
        return self.max_image_body_bytes if path in PICTURE_PATHS else self.max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        sent = headers.get(HEADER, "")
        cid = sent if _SANE.fullmatch(sent) else new_correlation_id()
        scope.setdefault("state", {})["correlation_id"] = cid
        started = time.perf_counter()
        response: dict[str, Any] = {"status": 500, "started": False}

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["started"] = True
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (HEADER.encode(), cid.encode())],
                }
            await send(message)

        received = 0
        method, path = scope["method"], scope["path"]
        limit = self.limit_for(path)

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
            return message

        with (
            structlog.contextvars.bound_contextvars(correlation_id=cid),
            span(
                f"{method} {path}", **{"http.request.method": method, "url.path": path, "correlation_id": cid}
            ) as current,
        ):
            try:
                declared = headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    await self._refuse(send_with_id, cid, limit)
                else:
                    await self.app(scope, limited_receive, send_with_id)
            except BodyTooLarge:
                if not response["started"]:
                    await self._refuse(send_with_id, cid, limit)
            finally:
                current.set_attribute("http.response.status_code", response["status"])
                log.info(
                    "http.request",
                    method=method,
                    path=path,
                    status=response["status"],
                    ms=round((time.perf_counter() - started) * 1000, 2),
                )

    async def _refuse(self, send: Send, cid: str, limit: int) -> None:
        body = too_large_body(limit, cid)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
