"""Settings of the servers (REST + MCP over HTTP, MCP over stdio).

Environment first, then the ``[serve]`` table of ``$ANIME_MCP_HOME/config.toml``, then defaults:

=============================  =====================  =====================================================
environment                    ``[serve]`` key        meaning
=============================  =====================  =====================================================
``ANIME_MCP_ADMIN_TOKEN``      ``admin_token``        bearer token of ``/api/admin/*``; unset: admin disabled
``ANIME_MCP_MAX_BODY_BYTES``   ``max_body_bytes``     largest request body accepted (default 1 MiB)
``ANIME_MCP_WORKERS``          ``workers``            threads running searches and lookups (default 4)
``ANIME_MCP_TRACING``          ``tracing``            ``off`` (default), ``console`` or ``otlp``
``ANIME_MCP_WARM_UP``          ``warm_up``            ``0`` skips loading the model and index at start-up
=============================  =====================  =====================================================
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from attrs import frozen

from anime_mcp.entrypoints.settings import ConfigError, config_table, positive_int

DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_WORKERS = 4


@frozen
class ServeSettings:
    admin_token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    workers: int = DEFAULT_WORKERS
    tracing: str = "off"
    warm_up: bool = True

    @classmethod
    def load(cls, home: Path, environ: Mapping[str, str] | None = None) -> ServeSettings:
        env = os.environ if environ is None else environ
        table = config_table(home / "config.toml", "serve")

        def pick(env_name: str, key: str) -> Any:
            value = env.get(env_name)
            return value if value not in (None, "") else table.get(key)

        tracing = str(pick("ANIME_MCP_TRACING", "tracing") or "off").lower()
        if tracing not in ("off", "console", "otlp"):
            raise ConfigError(f"ANIME_MCP_TRACING must be off, console or otlp, not {tracing!r}")
        warm = pick("ANIME_MCP_WARM_UP", "warm_up")
        return cls(
            admin_token=str(pick("ANIME_MCP_ADMIN_TOKEN", "admin_token") or "") or None,
            max_body_bytes=_positive(
                pick("ANIME_MCP_MAX_BODY_BYTES", "max_body_bytes"), "max_body_bytes", DEFAULT_MAX_BODY
            ),
            workers=_positive(pick("ANIME_MCP_WORKERS", "workers"), "workers", DEFAULT_WORKERS),
            tracing=tracing,
            warm_up=str(warm).lower() not in ("0", "false", "no", "off") if warm is not None else True,
        )


def _positive(value: object, name: str, default: int) -> int:
    return default if value is None else positive_int(value, name)
