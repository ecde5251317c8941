"""Planning a question for ``query_anime``: its arguments read and checked (the earlier answer as context,
"now", the time zone), the deterministic plan, then the planner plugins the settings name.

Planner plugins (``register_planners``) are asked in the order ``[plugins] planner`` lists them, all
together within ``[plugins] planner_timeout`` seconds; the first plan wins. The deterministic plan is the
answer when none is configured, and the fallback when every configured one fails, times out, keeps the
draft (returns None) or is not installed; the answer's metadata says which planner answered and why a
fallback happened.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import anyio
import structlog
from attrs import frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.planning import ContextResult, PlanContext, PlanFilters, PlanTitle, QueryPlan
from anime_mcp.core.planning.model import Intent, SortOrder
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.base import ToolInputError, check_schema
from anime_mcp.entrypoints.tools.echo import cap_message, echo
from anime_mcp.entrypoints.tools.schemas import nullable

DETERMINISTIC = "deterministic"
MAX_CONTEXT_RESULTS = 100
log = structlog.get_logger("anime_mcp.planning")

_NAMES = {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 50}
PLAN_FILTERS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        **{key: nullable("integer") for key in ("year_min", "year_max", "episodes_min", "episodes_max")},
        "season": nullable("string", maxLength=20),
        "score_min": nullable("number"),
        **{
            key: _NAMES
            for key in (
                "types",
                "statuses",
                "include_tags",
                "any_tags",
                "exclude_tags",
                "studios",
                "exclude_titles",
                "source_material",
            )
        },
    },
}
PLAN: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "A plan as an earlier answer's metadata.plan gave it (every key but intent optional).",
    "properties": {
        "intent": {"type": "string", "enum": [i.value for i in Intent]},
        "titles": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "text": {"type": "string", "maxLength": 500},
                    "anime_id": nullable("string", maxLength=200),
                    "title": nullable("string", maxLength=500),
                },
                "required": ["text"],
            },
        },
        "filters": PLAN_FILTERS,
        "sources": _NAMES,
        "fields": _NAMES,
        "platforms": _NAMES,
        **{
            key: nullable("string", maxLength=500)
            for key in ("region", "date_from", "date_to", "language", "keywords", "clarification")
        },
        "timezone": {"type": "string", "maxLength": 64},
        "sort": {"type": "string", "enum": [s.value for s in SortOrder]},
        "limit": {"type": "integer", "minimum": 1},
    },
    "required": ["intent"],
}
CONTEXT: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "The conversation so far, so that 'the second one' or 'that one' can be resolved: the "
    "previous answer's results (anime ids in order, or the result objects themselves) and its plan "
    "(metadata.plan).",
    "properties": {
        "results": {
            "type": "array",
            "maxItems": MAX_CONTEXT_RESULTS,
            "items": {
                "anyOf": [
                    {"type": "string", "minLength": 1, "maxLength": 500},
                    {
                        "type": "object",
                        "properties": {
                            "anime_id": {"type": "string", "minLength": 1, "maxLength": 500},
                            "title": {"type": "string", "maxLength": 500},
                        },
                        "required": ["anime_id"],
                    },
                ]
            },
        },
        "plan": PLAN,
    },
}


@frozen
class Planned:
    plan: QueryPlan
    planner: str  # DETERMINISTIC or the plugin planner's name
    fallback: str | None = None  # why the deterministic plan answered although planners were configured

    def to_json(self) -> dict[str, Any]:
        return {"name": self.planner, "fallback": self.fallback}


# --- the arguments --------------------------------------------------------------------------------------
def read_zone(name: str, field: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ToolInputError(field, f"{echo(name)} is not an IANA time zone (e.g. UTC, Asia/Tokyo)") from None


def read_now(text: str | None, zone: ZoneInfo, field: str = "now") -> dt.datetime:
    """``text`` (ISO 8601; a time without an offset is in ``zone``), or the current time."""
    if text is None:
        return dt.datetime.now(zone)
    try:
        now = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ToolInputError(
            field, f"{echo(text)} is not an ISO date-time (e.g. 2026-11-21T12:00:00)"
        ) from None
    return now if now.tzinfo is not None else now.replace(tzinfo=zone)


def plan_from_json(data: dict[str, Any]) -> QueryPlan:
    """A plan as ``QueryPlan.to_json`` wrote it (already valid under ``PLAN``)."""
    filters = data.get("filters") or {}
    return QueryPlan(
        intent=Intent(data["intent"]),
        titles=[PlanTitle(t["text"], t.get("anime_id"), t.get("title")) for t in data.get("titles", ())],
        filters=PlanFilters(**filters),
        sources=data.get("sources", ()),
        fields=data.get("fields", ()),
        platforms=data.get("platforms", ()),
        region=data.get("region"),
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        timezone=data.get("timezone") or "UTC",
        language=data.get("language"),
        sort=SortOrder(data.get("sort", SortOrder.RELEVANCE.value)),
        limit=data.get("limit", 10),
        keywords=data.get("keywords"),
        clarification=data.get("clarification"),
    )


async def read_context(runtime: Runtime, raw: dict[str, Any] | None) -> PlanContext | None:
    """The ``context`` argument as the planner's ``PlanContext``; ids without a title are looked up, and an
    id the catalogue does not know is an input error naming its place."""
    if raw is None:
        return None
    check_schema(CONTEXT, raw, "context")
    results: list[ContextResult] = []
    for index, item in enumerate(raw.get("results", ())):
        reference = item if isinstance(item, str) else item["anime_id"]
        title = None if isinstance(item, str) else item.get("title")
        if title is None or isinstance(item, str):
            try:
                entry = (await runtime.resolve(reference)).entry
            except AnimeMcpError as exc:
                raise ToolInputError(f"context.results.{index}", str(exc)) from None
            reference, title = entry.anime_id, entry.title
        results.append(ContextResult(reference, title))
    previous = plan_from_json(raw["plan"]) if raw.get("plan") is not None else None
    return PlanContext(results=results, previous=previous)


# --- planning -------------------------------------------------------------------------------------------
async def plan_question(
    runtime: Runtime, text: str, *, context: PlanContext | None, now: dt.datetime, tz: str
) -> Planned:
    """The deterministic plan, then the configured planner plugins' (see the module)."""
    # imported at the first question: the planner's rules are not part of the start of `anime-mcp mcp`
    from anime_mcp.core.planning import plan

    recent = runtime.recent_snapshot()  # the vocabulary of its catalogue needs no worker thread
    vocabulary = runtime.app.built_vocabulary(recent.store_version) if recent is not None else None
    if vocabulary is None:  # built once per catalogue: seconds, off the loop
        vocabulary = await runtime.run_sync(runtime.app.planner_vocabulary)
    platforms = runtime.app.plugins.platforms()
    draft = plan(text, vocabulary=vocabulary, now=now, tz=tz, context=context, platforms=platforms)
    settings = runtime.app.settings.plugins
    if not settings.planner:
        return Planned(draft, DETERMINISTIC)
    return await _ask_plugins(
        runtime, settings.planner, settings.planner_timeout, (text, context, now, tz), draft
    )


async def _ask_plugins(
    runtime: Runtime,
    names: Sequence[str],
    timeout: float,
    question: tuple[str, PlanContext | None, dt.datetime, str],
    draft: QueryPlan,
) -> Planned:
    installed = {planner.name: planner for planner in runtime.app.plugins.planners()}
    reasons: list[str] = []
    deadline = anyio.current_time() + timeout
    for name in names:
        planner = installed.get(name)
        if planner is None:
            reasons.append(f"{name}: no planner plugin of that name is installed")
            continue
        left = deadline - anyio.current_time()
        if left <= 0:
            reasons.append(f"{name}: not asked, the {timeout:g} s for planners had passed")
            continue
        try:
            with anyio.fail_after(left):
                answer = await planner.plan(*question, draft)
        except TimeoutError:
            reasons.append(f"{name}: timed out after {timeout:g} s")
            continue
        except Exception as exc:  # noqa: BLE001 - a planner plugin's failure costs only its own plan
            log.warning("planner.failed", planner=name, error=repr(exc))
            reasons.append(cap_message(f"{name}: failed ({type(exc).__name__}: {exc})"))
            continue
        if answer is None:
            reasons.append(f"{name}: kept the deterministic plan")
        elif not isinstance(answer, QueryPlan):
            reasons.append(f"{name}: returned {type(answer).__name__}, not a QueryPlan")
        else:
            return Planned(answer, name)
    return Planned(draft, DETERMINISTIC, "; ".join(reasons))
