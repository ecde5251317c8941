"""``query_anime``: a question in plain words, planned (``query_planning``) and answered by the tools its
intent needs (``query_execution``). The same tool answers ``POST /api/query`` for a text and
``anime-mcp ask``, so the three faces give the same plan for the same text.

The tool looks the other tools up in the catalogue it is part of, at call time: ``query_tool`` takes a
function returning that catalogue (``build_tools`` hands it the catalogue it builds). The runtime keeps the
offline answers it gave (``Runtime.answers``; ``[serve] answer_cache`` of them), so a question asked again
is answered without planning or searching again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import structlog

from anime_mcp.core.planning.model import DEFAULT_LIMIT as PLAN_DEFAULT_LIMIT
from anime_mcp.core.services.search import MAX_LIMIT
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.anime import numbered
from anime_mcp.entrypoints.tools.answer_cache import AnswerCache, Key, cacheable
from anime_mcp.entrypoints.tools.base import Report, Tool, ToolCatalogue, ToolInputError, new_correlation_id
from anime_mcp.entrypoints.tools.enrichment_tools import render_details, render_ratings
from anime_mcp.entrypoints.tools.query_planning import (
    CONTEXT,
    Planned,
    plan_question,
    read_context,
    read_now,
    read_zone,
)
from anime_mcp.entrypoints.tools.schemas import DEGRADATION, DETAIL, MODE, RESULT, nullable, object_schema

# The execution of a plan is imported at the first question: the start of `anime-mcp mcp` (its first search
# within a second) only lists this tool.
if TYPE_CHECKING:
    from anime_mcp.entrypoints.tools.query_execution import Answer, Execution

NAME = "query_anime"


def effective_limit(planned: int, given: int | None) -> int:
    """How many results: the count the question names ("top 5"), at most ``given``; else ``given``; else the
    plan's default."""
    asked = planned if planned != PLAN_DEFAULT_LIMIT else None
    if given is None:
        chosen = planned
    elif asked is None:
        chosen = given
    else:
        chosen = min(asked, given)
    return max(1, min(chosen, MAX_LIMIT))


async def query_anime(
    runtime: Runtime,
    args: dict[str, Any],
    report: Report | None,
    tools: ToolCatalogue,
    cache: AnswerCache | None = None,
) -> dict[str, Any]:
    zone_name = str(args.get("timezone") or getattr(runtime.settings, "timezone", "UTC"))
    zone = read_zone(zone_name)
    now = read_now(args.get("now"), zone)
    key: Key | None = None
    if (
        cache is not None
        and cache.size > 0
        and "context" not in args
        and not runtime.app.settings.plugins.planner
    ):
        # every argument, and the asker's date when no "now" is given (the plan reads dates against it)
        key = (json.dumps(args, sort_keys=True, default=str), zone_name, now.date().isoformat())
        snapshot = await runtime.current_snapshot()
        found = cache.get(snapshot, key)
        if found is not None:
            return found
    from anime_mcp.entrypoints.tools.query_execution import Execution, execute

    context = await read_context(runtime, args.get("context"))
    planned = await plan_question(runtime, args["text"], context=context, now=now, tz=zone_name)
    plan = planned.plan
    try:  # the zone the question named ("in JST"), else the asker's
        plan_zone = read_zone(plan.timezone)
    except ToolInputError:  # a plugin planner's zone that does not exist
        plan_zone = zone
    correlation_id = structlog.contextvars.get_contextvars().get("correlation_id") or new_correlation_id()
    ex = Execution(
        runtime,
        tools,
        plan,
        limit=effective_limit(plan.limit, args.get("limit")),
        detail=args["detail"],
        mode=args["mode"],
        correlation_id=str(correlation_id),
        today=now.astimezone(plan_zone).date(),
        report=report,
    )
    ex.output = lambda answer: output(args["text"], planned, ex, answer)
    answered = ex.output(await execute(ex))
    if key is not None and cache is not None and cacheable(answered):
        cache.put(snapshot, key, answered)
    return answered


def output(text: str, planned: Planned, ex: Execution, answer: Answer) -> dict[str, Any]:
    plan = planned.plan
    warnings = [f"{m['capability']}: {m['reason']}" for m in answer.missing]
    if planned.fallback:
        warnings.append(f"the deterministic plan answered: {planned.fallback}")
    if answer.unapplied:
        warnings.append(f"filters not applied: {', '.join(answer.unapplied)}")
    return {
        "text": text,
        "intent": plan.intent.value,
        "interpretation": interpretation(planned, answer),
        "count": len(answer.results),
        "results": answer.results,
        "clarification": answer.clarification,
        "details": answer.details,
        "ratings": answer.ratings,
        "schedule": answer.schedule,
        "streaming": answer.streaming,
        "degradation": answer.degradation,
        "metadata": {
            "plan": plan.to_json(),
            "planner": planned.to_json(),
            "tools": answer.tools,
            "limit": ex.limit,
            "unapplied_filters": answer.unapplied,
            "missing_capabilities": answer.missing,
            "notes": answer.notes,
            **answer.extra,
        },
        "warnings": warnings,
    }


def interpretation(planned: Planned, answer: Answer) -> str:
    """One line: what was understood and done ("similar to Death Note [mal-1535]", ...)."""
    plan = planned.plan
    parts = [plan.intent.value]
    titles = [f"{t.title} [{t.anime_id}]" for t in plan.titles if t.anime_id]
    if titles:
        parts.append(("similar to " if "similar_to" in answer.extra else "about ") + ", ".join(titles))
    if plan.sources:
        parts.append(f"according to {', '.join(plan.sources)}")
    if plan.fields:
        parts.append(f"asking {', '.join(plan.fields)}")
    if "query" in answer.extra:
        parts.append(f"searched {answer.extra['query']!r}")
    return ", ".join(parts)


def render_query(out: dict[str, Any]) -> str:
    planner = out["metadata"]["planner"]
    lines = [f"intent: {out['intent']} ({out['interpretation']}; planner: {planner['name']})"]
    if out["clarification"]:
        lines.append(f"ask back: {out['clarification']}")
    if out["results"]:
        lines += numbered(out["results"])
    elif not out["clarification"]:
        lines.append("no anime found")
    lines += [render_details(d) for d in out["details"] or ()]
    lines += [render_ratings(r) for r in out["ratings"] or ()]
    for key in ("schedule", "streaming"):
        if out[key] is not None:
            lines.append(f"{key}: see the structured answer ({', '.join(out['metadata']['tools'])})")
    if out["degradation"] is not None and not (out["details"] or out["ratings"]):
        reasons = [f"{o['source']} ({o['reason']})" for o in out["degradation"]["outcomes"] if o["reason"]]
        level = f"answer: {out['degradation']['level']}"
        lines.append(level + (f"; {'; '.join(reasons)}" if reasons else ""))
    lines += [f"note: {w}" for w in out["warnings"]]
    return "\n".join(lines)


_LIVE = {**nullable("array"), "items": {"type": "object"}}
INPUT = object_schema(
    {
        "text": {
            "type": "string",
            "minLength": 1,
            "maxLength": 500,
            "description": "The question, as the user asked it.",
        },
        "context": CONTEXT,
        "now": {
            "type": "string",
            "maxLength": 64,
            "description": "ISO 8601 date-time that 'today', 'this season' and 'Friday' are resolved against "
            "(default: now); without an offset it is in 'timezone'.",
        },
        "timezone": {
            "type": "string",
            "minLength": 1,
            "maxLength": 64,
            "description": "The asker's IANA time zone, e.g. Europe/Berlin (default: the server's, UTC).",
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "description": f"Most results (1-{MAX_LIMIT}); default: the count the question names ('top 5'), "
            f"else {PLAN_DEFAULT_LIMIT}.",
        },
        "detail": DETAIL,
        "mode": {**MODE, "description": "Search mode where the answer searches. " + MODE["description"]},
    },
    ["text"],
)
OUTPUT = object_schema(
    {
        "text": {"type": "string"},
        "intent": {"type": "string"},
        "interpretation": {"type": "string", "description": "What was understood and done, in one line."},
        "count": {"type": "integer"},
        "results": {"type": "array", "items": RESULT, "description": "The anime the answer is about."},
        "clarification": nullable("string", description="With intent clarify: the question to ask back."),
        "details": {**_LIVE, "description": "get_anime_details' answer per anime, when details were asked."},
        "ratings": {**_LIVE, "description": "compare_ratings' answer per anime, when ratings were compared."},
        "schedule": {**nullable("object"), "description": "The schedule tool's answer, where one answered."},
        "streaming": {**nullable("object"), "description": "where_to_watch's answer, where it answered."},
        "degradation": {
            "anyOf": [DEGRADATION, {"type": "null"}],
            "description": "With live details or ratings, or a named platform: how complete the answer is, "
            "and why each platform is missing ('no source for that platform installed', ...).",
        },
        "metadata": {
            "type": "object",
            "description": "plan (the QueryPlan as anime-mcp plan --json prints it), planner (which "
            "answered, and why the deterministic plan did when a plugin was configured), tools (in order), "
            "unapplied_filters, missing_capabilities, notes; the search text and mode, similar_to.",
            "properties": {
                "plan": {"type": "object"},
                "planner": {
                    "type": "object",
                    "properties": {"name": {"type": "string"}, "fallback": nullable("string")},
                    "required": ["name", "fallback"],
                },
                "tools": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["plan", "planner", "tools"],
        },
        "warnings": {"type": "array", "items": {"type": "string"}},
    },
    [
        "text",
        "intent",
        "interpretation",
        "count",
        "results",
        "clarification",
        "details",
        "ratings",
        "schedule",
        "streaming",
        "degradation",
        "metadata",
        "warnings",
    ],
)


def query_tool(catalogue: Callable[[], ToolCatalogue]) -> Tool:
    """query_anime over the tools of ``catalogue()`` (the catalogue this tool is part of), its answers kept
    in the runtime's answer cache for this tool (``Runtime.answers``, as search_anime's)."""

    async def handler(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
        return await query_anime(runtime, args, None, catalogue(), runtime.answers(NAME))

    async def staged(runtime: Runtime, args: dict[str, Any], report: Report) -> dict[str, Any]:
        return await query_anime(runtime, args, report, catalogue(), runtime.answers(NAME))

    return Tool(
        name=NAME,
        title="Answer a question about anime",
        description=(
            "Answer a question in plain words ('anime like Death Note', 'top 5 shonen anime', 'what airs "
            "this season?', 'what does AniSearch say about Monster?'): it is understood without an LLM "
            "(intent, titles, filters, dates in the asker's time zone, platforms named) and answered with "
            "the tool that fits: search, similar anime, one anime, its details from the platforms, ratings "
            "compared, seasons and schedules. Pass the previous answer's results and metadata.plan as "
            "'context' to follow up ('what about the second one?'). 'results' are the anime the answer is "
            "about; details, ratings, schedule or streaming links come beside them; metadata.plan is how the "
            "question was understood and metadata says what could not be done. Use the other tools directly "
            "when you already know exactly what to call."
        ),
        input_schema=INPUT,
        output_schema=OUTPUT,
        handler=handler,
        render=render_query,
        open_world=True,
        staged=staged,
    )
