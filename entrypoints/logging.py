"""structlog, configured once per process: readable console lines or JSON, always on stderr.

No secret reaches a log line: ``redact_secrets`` runs on every event, after tracebacks are turned into text
and before rendering. It blanks values under secret-looking keys (``token``, ``authorization``,
``api_key``, ``client_id``, ``password`` ...), and in any text: credentials in URLs (``user:pass@``),
secret-looking query parameters (``?client=``, ``&api_key=``, ``access_token=`` ...), ``Bearer``/``Basic``
credentials, and every value known to be secret: the values of ``ANIME_MCP_*`` variables with a
secret-looking name or a client name (``ANIME_MCP_ANIDB_CLIENT``), read when logging is configured, and
those the server registers (``add_secrets``: the admin token, the API keys).
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

import structlog

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 6  # shorter known values would blank ordinary words
_SECRET_NAME = re.compile(
    r"(token|secret|password|passwd|authorization|api[_-]?key|client[_-]?id|credential|cookie)", re.IGNORECASE
)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]*:[^/\s@]*@", re.IGNORECASE)
_QUERY_SECRET = re.compile(
    r"(?P<name>[?&;](?:client|clientid|client_id|client_secret|api_key|apikey|key|token|access_token|"
    r"refresh_token|auth|password|pass|sig|signature)=)[^&#\s\"']*",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"\b(?P<scheme>bearer|basic|token|apikey)\s+[A-Za-z0-9._~+/=-]{4,}", re.IGNORECASE)
_known: set[str] = set()


def add_secrets(values: Iterable[str | None]) -> None:
    """Values that must never be logged, wherever they appear (tokens, keys, client ids)."""
    _known.update(v for v in values if v and len(v) >= MIN_SECRET_CHARS)


def secrets_in_environment(environ: Mapping[str, str]) -> list[str]:
    """The values of ``ANIME_MCP_*`` variables with secret-looking names (credentials of the sources ...)."""
    return [
        value
        for name, value in environ.items()
        if name.startswith("ANIME_MCP_") and (_SECRET_NAME.search(name) or name.endswith("_CLIENT"))
    ]


def redact_text(text: str) -> str:
    text = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m['name']}{REDACTED}", text)
    text = _AUTH_HEADER.sub(lambda m: f"{m['scheme']} {REDACTED}", text)
    for secret in sorted(_known, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact(value: Any, key: str = "") -> Any:
    if key and _SECRET_NAME.search(key) and isinstance(value, str | bytes) and value:
        return REDACTED  # a secret-looking key (numbers under it, e.g. token counts, are kept)
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))  # anything else is logged as its text: redact that


def redact_secrets(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor: every value of the event, redacted (see the module's rules)."""
    return {key: redact(value, key if key != "event" else "") for key, value in event.items()}


def configure_logging(fmt: str = "console", level: str = "warning") -> None:
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        numeric = logging.WARNING
    add_secrets(secrets_in_environment(os.environ))
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,  # tracebacks as text, so that they are redacted too
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,  # tests reconfigure; the lookup cost is negligible
    )
