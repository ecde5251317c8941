"""Per-source HTTP settings from ``$ANIME_MCP_HOME/config.toml``: one ``[sources.<id>]`` table per source.

Every source ships its own limits and timeouts; a deployment with a paid API tier, a self-hosted Jikan or a
slow network changes them here without touching code::

    [sources.mal]
    rate_limits = [{requests = 3, per_seconds = 1}, {requests = 60, per_seconds = 60}]
    read_timeout = 10
    cache_ttl = 3600

Keys are the fields of ``HttpPolicy``. A misspelt key or a value of the wrong kind is a ``ConfigError`` naming
the table and the key, at start-up, not a surprise at the first request.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.ports.source import RateLimit

# The HTTP policy (and with it the live sources' HTTP stack) is imported only when config.toml has
# [sources.<id>] tables: every command reads the settings, and the start of `anime-mcp mcp` (its first search
# within a second) does not need it.
if TYPE_CHECKING:
    from anime_mcp.adapters.http.policy import HttpPolicy

SourceOverrides = dict[str, dict[str, Any]]


@cache
def _policy() -> tuple[HttpPolicy, set[str]]:
    """The default policy and the names of its fields (the keys a [sources.<id>] table may set)."""
    from anime_mcp.adapters.http.policy import HttpPolicy

    return HttpPolicy(), {a.name for a in attrs.fields(HttpPolicy)}


def parse_source_overrides(tables: object, *, where: str = "config.toml") -> SourceOverrides:
    if not isinstance(tables, Mapping):
        raise ConfigError(f"{where}: [sources] must be a table of [sources.<id>] tables")
    overrides: SourceOverrides = {}
    for source_id, table in tables.items():
        defaults, known = _policy()
        name = f"{where}: [sources.{source_id}]"
        if not isinstance(table, Mapping):
            raise ConfigError(f"{name} must be a table of HTTP settings")
        unknown = sorted(set(table) - known)
        if unknown:
            raise ConfigError(
                f"{name}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = {key: _value(name, key, value) for key, value in table.items()}
        try:
            defaults.with_overrides(values)  # the policy's own validators: positive timeouts, ...
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
        overrides[str(source_id)] = values
    return overrides


def _value(name: str, key: str, value: object) -> Any:
    if key == "rate_limits":
        return _rate_limits(name, value)
    default = getattr(_policy()[0], key)
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        expected = "true or false"
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        expected = "a whole number"
    elif isinstance(default, float) or default is None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        expected = "a number of seconds"
    else:
        if isinstance(value, str):
            return value
        expected = "a string"
    raise ConfigError(f"{name}: {key} must be {expected}, not {value!r}")


def _rate_limits(name: str, value: object) -> tuple[RateLimit, ...]:
    example = "e.g. rate_limits = [{requests = 3, per_seconds = 1}]"
    if not isinstance(value, list):
        raise ConfigError(f"{name}: rate_limits must be a list of tables ({example}), not {value!r}")
    limits = []
    for item in value:
        if not isinstance(item, Mapping) or set(item) != {"requests", "per_seconds"}:
            raise ConfigError(
                f"{name}: each rate limit needs requests and per_seconds ({example}), not {item!r}"
            )
        requests, per_seconds = item["requests"], item["per_seconds"]
        numbers = isinstance(requests, int) and isinstance(per_seconds, int | float)
        if not numbers or isinstance(requests, bool) or isinstance(per_seconds, bool):
            raise ConfigError(f"{name}: a rate limit takes numbers ({example}), not {item!r}")
        try:
            limits.append(RateLimit(requests, float(per_seconds)))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    return tuple(limits)
