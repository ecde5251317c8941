"""Source answers -> plain JSON-ready values (the same for the CLI, REST and MCP)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from typing import Any

import attrs

from anime_mcp.core.errors import SourceError
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import Rating, SourceRecord
from anime_mcp.ports.source import Source

# What `sources parse --json` always prints for an anime document (null when the document lacks it).
SUMMARY_FIELDS = (
    "title",
    "titles",
    "type",
    "episodes",
    "status",
    "start_date",
    "season",
    "year",
    "score",
    "studios",
    "genres",
    "picture",
    "url",
)


_PLAIN = frozenset({str, int, float, bool, type(None)})


def jsonable(value: Any) -> Any:
    if type(value) in _PLAIN:  # most leaves: answered before the checks below (a details answer has ~200)
        return value
    if isinstance(value, PlatformId):
        return str(value)
    if isinstance(value, Rating):
        return {"value": value.value, "scale": value.scale, "votes": value.votes}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if attrs.has(type(value)):
        return {a.name: jsonable(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def record_to_dict(record: SourceRecord) -> dict[str, Any]:
    """The summary fields first (null where the source said nothing), then everything else."""
    full = jsonable(record)
    filled = record.fields
    summary: dict[str, Any] = {}
    for name in SUMMARY_FIELDS:
        value = full.get(name)
        if name not in ("url",) and name not in filled:
            value = None
        summary[name] = value
    summary["platform_id"] = full["platform_id"]
    summary["fetched_at"] = full["fetched_at"]
    summary["fields"] = full["fields"]
    for name, value in full.items():
        summary.setdefault(name, value if name in filled else None)
    return summary


def parsed_to_json(parsed: Any) -> Any:
    if isinstance(parsed, SourceRecord):
        return record_to_dict(parsed)
    if isinstance(parsed, list | tuple):
        return [parsed_to_json(item) for item in parsed]
    if isinstance(parsed, Mapping):
        return {str(jsonable(k)): parsed_to_json(v) for k, v in parsed.items()}
    return jsonable(parsed)


def error_to_dict(error: SourceError) -> dict[str, Any]:
    payload: dict[str, Any] = {"type": type(error).__name__, "message": str(error), "source": error.source}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        payload["retry_after"] = retry_after
    return {"error": payload}


def describe_source(
    source: Source,
    env: Mapping[str, str],
    state: Mapping[str, Any] | None,
    overrides: Mapping[str, Any] | None = None,
    activity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """What ``anime-mcp sources`` shows for one source (rate limits as configured, if overridden), with its
    state in this process (``state``: the HTTP client's; ``activity``: its last outcome and failure)."""
    info = source.info
    overrides = overrides or {}
    breaker = (state or {}).get("breaker", {})
    return {
        "id": info.id,
        "name": info.name or info.id,
        "platform": info.platform.value,
        "kind": info.kind.value,
        "capabilities": sorted(c.value for c in info.capabilities),
        "fields": sorted(info.fields),
        "formats": list(info.formats),
        "rate_limits": [str(limit) for limit in overrides.get("rate_limits", info.rate_limits)],
        "configured": sorted(overrides),  # HttpPolicy settings overridden in config.toml [sources.<id>]
        "credentials": [
            {"env": c.env, "required": c.required, "set": bool(env.get(c.env)), "description": c.description}
            for c in info.credentials
        ],
        "ready": not info.missing_credentials(env),
        "breaker": breaker.get("state", "closed"),
        **source_state(state, activity),
    }


def source_state(state: Mapping[str, Any] | None, activity: Mapping[str, Any] | None) -> dict[str, Any]:
    """A source's state in this process: breaker (retry time, last error), rate limit (how long it holds
    requests back, the windows' use), requests and cache hits, last outcome and last failure with times.
    Zeros and nulls before the source's first call."""
    state = state or {}
    breaker = state.get("breaker", {})
    limit = state.get("rate_limit", {})
    activity = activity or {}
    return {
        "breaker_retry_in": breaker.get("retry_in", 0.0),
        "breaker_last_error": breaker.get("last_error"),
        "rate_limit": {
            "blocked_for": limit.get("blocked_for", 0.0),
            "windows": [
                {"used": w["used"], "limit": w["limit"], "per_seconds": w["per_seconds"]}
                for w in limit.get("windows", [])
            ],
        },
        "requests_sent": state.get("requests_sent", 0),
        "cache_hits": state.get("cache_hits", 0),
        "stale_served": state.get("stale_served", 0),
        "last_outcome": activity.get("last_outcome"),
        "last_error": activity.get("last_error"),
    }


def state_line(described: Mapping[str, Any]) -> str:
    """One line of a described source's state: "breaker open, retry in 12 s; held back 30 s; last: failed
    (timed out after 3 s) at 2026-01-01T12:00:01; 4 cache hits" ("no calls yet" before any)."""
    parts = [f"breaker {described['breaker']}"]
    if described.get("breaker_retry_in"):
        parts[0] += f", retry in {described['breaker_retry_in']:.0f} s"
    held = described.get("rate_limit", {}).get("blocked_for", 0.0)
    if held:
        parts.append(f"rate limited, held back {held:.0f} s")
    last = described.get("last_outcome")
    if last is None and not described.get("requests_sent"):
        parts.append("no calls yet")
    elif last is not None:
        said = last["status"] + (f" ({last['reason']})" if last["reason"] else "")
        parts.append(f"last: {said} at {last['at'][:19]}")
    error = described.get("last_error")
    if error is not None and error is not last and error != last:
        parts.append(f"last failure: {error['reason']} at {error['at'][:19]}")
    parts.append(f"{described.get('requests_sent', 0)} requests, {described.get('cache_hits', 0)} cache hits")
    return "; ".join(parts)
