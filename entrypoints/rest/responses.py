"""JSON in and out: body parsing with field-naming errors, error bodies, the endpoint wrapper."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from attrs import evolve
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from anime_mcp.entrypoints.rest.middleware import BodyTooLarge
from anime_mcp.entrypoints.tools.base import ToolInputError
from anime_mcp.entrypoints.tools.echo import cap_message
from anime_mcp.entrypoints.tools.errors import ErrorInfo, classify

log = structlog.get_logger("anime_mcp.http")
Endpoint = Callable[[Request], Awaitable[Response]]


class JSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def correlation_id(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def error_response(request: Request, error: ErrorInfo, headers: dict[str, str] | None = None) -> JSON:
    """The error body; whatever made the message, the values it quotes are capped (``echo.cap_message``)."""
    field = cap_message(error.field) if error.field else error.field
    error = evolve(error, message=cap_message(error.message), field=field)
    return JSON({"error": error.as_dict(correlation_id(request))}, status_code=error.status, headers=headers)


async def read_json(request: Request) -> Any:
    body = await request.body()
    if not body.strip():
        raise ToolInputError("", "the request body is empty; send a JSON object")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ToolInputError("", "the request body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ToolInputError(
            "", f"the request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None


async def read_object(request: Request) -> dict[str, Any]:
    data = await read_json(request)
    if not isinstance(data, dict):
        raise ToolInputError("", f"expected a JSON object, not {type(data).__name__}")
    return data


def endpoint(function: Endpoint) -> Endpoint:
    """Domain errors become their status and message; anything else a 500 without details (logged)."""

    @functools.wraps(function)
    async def wrapped(request: Request) -> Response:
        try:
            return await function(request)
        except BodyTooLarge:
            raise  # the middleware answers 413
        except Exception as exc:
            error = classify(exc)
            if error.status == 500:
                log.exception("http.crashed", path=request.url.path)
            return error_response(request, error)

    return wrapped
