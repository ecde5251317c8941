"""Answers as they grow, for clients that send ``Accept: text/event-stream`` (server-sent events).

``EventStream`` runs one call that tells its stages (``ToolProgress``) and sends each as an event: ``offline``
(the catalogue's answer), ``source`` (one per source asked, as it arrives), ``final`` (the answer itself,
exactly the JSON the same request answers without the header). Every event has an ``id`` (its step) and one
line of JSON ``data``. Nothing is sent until the first stage is ready, so input that is refused (422), an
unknown anime (404) or any other early failure is an ordinary JSON error response; a failure after the
stream has started is an ``error`` event carrying the same error body, and the stream ends.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import structlog
from anyio.abc import ObjectReceiveStream, ObjectSendStream
from attrs import frozen
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from anime_mcp.core.progress import Stage
from anime_mcp.entrypoints.rest.responses import JSON, error_response
from anime_mcp.entrypoints.tools.base import Report, ToolProgress
from anime_mcp.entrypoints.tools.errors import classify

MEDIA_TYPE = "text/event-stream"
ERROR_EVENT = "error"
log = structlog.get_logger("anime_mcp.http")
Call = Callable[[Report], Awaitable[Any]]


def wants_events(request: Request) -> bool:
    """Whether the client's Accept header asks for ``text/event-stream`` (with a quality above zero)."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() == MEDIA_TYPE:
            return not any(p.replace(" ", "") in {"q=0", "q=0.0", "q=0.00", "q=0.000"} for p in params)
    return False


def event(event_id: int, name: str, data: Any) -> bytes:
    """One server-sent event; the JSON has no newline, so ``data`` is one line."""
    line = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return f"id: {event_id}\nevent: {name}\ndata: {line}\n\n".encode()


def stage_data(stage: ToolProgress) -> dict[str, Any]:
    """An event's data: the answer itself at ``final``; before it, the answer so far with its place."""
    if stage.stage is Stage.FINAL:
        return stage.output
    data: dict[str, Any] = {"step": stage.step, "total": stage.total}
    if stage.source is not None:
        data["source"] = stage.source
    return {**data, "pending": list(stage.pending), "answer": stage.output}


@frozen
class _Failed:
    error: BaseException


class EventStream(Response):
    """A response whose ``call(report)`` runs while its stages stream out (see the module). It answers
    through ``__call__`` alone: which response it becomes (an error or the stream) is known only then."""

    def __init__(self, request: Request, call: Call) -> None:  # no body of its own: see __call__
        self.request = request
        self.call = call

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sending, receiving = anyio.create_memory_object_stream[ToolProgress | _Failed](math.inf)
        async with anyio.create_task_group() as group:
            group.start_soon(self._run, sending)
            async with receiving:
                first = await receiving.receive()
                if isinstance(first, _Failed):
                    response: Response = self._error(first.error)
                else:
                    response = StreamingResponse(
                        self._events(first, receiving),
                        media_type=MEDIA_TYPE,
                        headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
                    )
                await response(scope, receive, send)
            group.cancel_scope.cancel()  # the client went away: stop asking on its behalf

    async def _run(self, sending: ObjectSendStream[ToolProgress | _Failed]) -> None:
        async with sending:
            try:
                await self.call(sending.send)
            except Exception as exc:  # noqa: BLE001 - told to the client as an error, logged when a bug
                await sending.send(_Failed(exc))

    async def _events(
        self, first: ToolProgress, rest: ObjectReceiveStream[ToolProgress | _Failed]
    ) -> AsyncIterator[bytes]:
        yield event(first.step, first.stage.value, stage_data(first))
        last = first.step
        async for item in rest:
            if isinstance(item, _Failed):
                body = bytes(self._error(item.error).body)  # the error body a JSON answer has
                yield event(last + 1, ERROR_EVENT, json.loads(body))
                return
            last = item.step
            yield event(item.step, item.stage.value, stage_data(item))

    def _error(self, exc: BaseException) -> JSON:
        error = classify(exc)
        if error.status == 500:
            log.error("http.crashed", path=self.request.url.path, exc_info=exc)
        return error_response(self.request, error)
