"""One classification of errors for every face: HTTP status, a stable code, the message, the field.

Domain errors carry messages written for people (what went wrong, what to do); they are shown as they
are, the values they quote capped (``echo.cap_message``). Anything else is a bug: the client gets
"internal error" and the correlation id, never the exception text or a stack trace (the log has both).
"""

from __future__ import annotations

from typing import Any

from attrs import frozen

from anime_mcp.core import errors as core
from anime_mcp.core.search_errors import EmbedderError, IndexModelMismatch, IndexNotBuilt, InvalidSearch
from anime_mcp.entrypoints.tools.base import ToolInputError, UnknownTool
from anime_mcp.entrypoints.tools.echo import cap_message


@frozen
class ErrorInfo:
    status: int
    code: str
    message: str
    field: str | None = None

    def as_dict(self, correlation_id: str | None = None) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            error["field"] = self.field
        if correlation_id:
            error["correlation_id"] = correlation_id
        return error


# Most specific first.
_KINDS: tuple[tuple[type[BaseException], int, str], ...] = (
    (ToolInputError, 422, "invalid_input"),
    (InvalidSearch, 422, "invalid_input"),
    (core.NotAnAnimeReference, 422, "invalid_input"),
    (UnknownTool, 404, "unknown_tool"),
    (core.UnknownJob, 404, "unknown_job"),
    (core.JobConflict, 409, "job_running"),
    (core.UnknownAnime, 404, "not_found"),
    (core.NotFound, 404, "not_found"),
    (core.RateLimited, 429, "rate_limited"),
    (core.AuthRequired, 503, "source_needs_credentials"),
    (core.Blocked, 502, "source_blocked"),
    (core.Unavailable, 503, "source_unavailable"),
    (core.ParseError, 502, "source_unparsable"),
    (core.SourceError, 502, "source_error"),
    (IndexNotBuilt, 503, "index_not_built"),
    (IndexModelMismatch, 503, "index_model_mismatch"),
    (EmbedderError, 503, "embedder_unavailable"),
    (core.CatalogueNotIngested, 503, "catalogue_not_ingested"),
    (core.CatalogueError, 503, "catalogue_unavailable"),
    (core.AnimeMcpError, 400, "error"),
)


def classify(exc: BaseException) -> ErrorInfo:
    for kind, status, code in _KINDS:
        if isinstance(exc, kind):
            field = exc.field if isinstance(exc, ToolInputError) else None
            return ErrorInfo(status, code, cap_message(str(exc)), field)
    return ErrorInfo(
        500, "internal", "internal error; the server log has the details (quote the correlation id)"
    )
