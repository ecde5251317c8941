"""``POST /api/query`` and ``POST /api/batch``: a question in, ``{results, metadata, sources, warnings}`` out.

A query is a string, a question in plain words: planned and answered by ``query_anime`` (the plan is in
``metadata.plan``; ``context``, ``now`` and ``timezone`` go with it, and what the answer adds to its results,
such as ``details``, ``ratings``, ``schedule``, ``streaming``, ``degradation`` or a ``clarification`` to ask
back, sits beside them). Or it is a structured object naming exactly one of ``text`` (search),
``similar_to`` (recommendations) or ``anime_id`` (one anime). Each is answered by the same tool the MCP
server offers.
"""

from __future__ import annotations

import time
from typing import Any

import anyio
from attrs import evolve

from anime_mcp.core.progress import Stage
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue
from anime_mcp.entrypoints.tools.base import Report, ToolInputError, ToolProgress, check_schema
from anime_mcp.entrypoints.tools.errors import classify
from anime_mcp.entrypoints.tools.image_tools import IMAGE_FIELDS
from anime_mcp.entrypoints.tools.query_tools import INPUT as QUESTION
from anime_mcp.entrypoints.tools.schemas import (
    ANIME_REF,
    DEGRADATION,
    DETAIL,
    FILTERS,
    LIMIT,
    MODE,
    RESULT,
    object_schema,
)

MAX_BATCH = 50
BESIDE = ("clarification", "details", "ratings", "schedule", "streaming", "degradation")
KINDS = ("text", "similar_to", "anime_id")

STRUCTURED_QUERY = object_schema(
    {
        "text": {"type": "string", "minLength": 1, "maxLength": 500, "description": "Search text."},
        "similar_to": {**ANIME_REF, "description": "Anime to find similar ones to (any reference form)."},
        "anime_id": {**ANIME_REF, "description": "One anime by any reference form."},
        "filters": FILTERS,
    }
)
# What a question in plain words may carry (query_anime's arguments), checked by that tool.
QUESTION_KEYS = {
    key: {
        **QUESTION["properties"][key],
        "description": "For a question: "
        + QUESTION["properties"][key].get(
            "description", "the earlier answer's results and plan, for follow-ups ('the second one')"
        ),
    }
    for key in ("context", "now", "timezone")
}
OPTIONS = object_schema(
    {
        "mode": {**MODE, "description": "Search mode, for text queries. " + MODE["description"]},
        "detail": DETAIL,
        "exclude_franchise": {
            "type": "boolean",
            "default": False,
            "description": "For similar_to: leave out the anime's own franchise.",
        },
    }
)
QUERY_REQUEST = object_schema(
    {
        "query": {
            "oneOf": [{"type": "string", "minLength": 1, "maxLength": 500}, STRUCTURED_QUERY],
            "description": "A question in plain words (planned: metadata.plan), or a structured query with "
            "exactly one of text, similar_to, anime_id.",
        },
        "limit": LIMIT,
        "options": OPTIONS,
        **QUESTION_KEYS,
        # a picture with the text: search_anime by text and picture together (image_tools)
        **{
            key: {**schema, "description": "With a text query: " + schema["description"]}
            for key, schema in IMAGE_FIELDS.items()
        },
    },
    ["query"],
)
# Checked in two steps, so an error names the field rather than "not valid under any of the given schemas".
_ENVELOPE = object_schema(
    {
        "query": {"type": ["string", "object"]},
        "limit": LIMIT,
        "options": OPTIONS,
        **{key: {"type": "object" if key == "context" else "string"} for key in QUESTION_KEYS},
        **IMAGE_FIELDS,
    },
    ["query"],
)

SOURCE = {"type": "object", "properties": {"name": {"type": "string"}, "kind": {"type": "string"}}}
QUERY_RESPONSE = object_schema(
    {
        "results": {"type": "array", "items": RESULT},
        "metadata": {"type": "object"},
        "sources": {"type": "array", "items": SOURCE},
        "warnings": {"type": "array", "items": {"type": "string"}},
        # beside the results, for a question whose answer has them (query_anime's output)
        "clarification": {"type": "string", "description": "The question to ask back (intent clarify)."},
        "details": {"type": "array", "items": {"type": "object"}},
        "ratings": {"type": "array", "items": {"type": "object"}},
        "schedule": {"type": "object"},
        "streaming": {"type": "object"},
        "degradation": DEGRADATION,
    },
    ["results", "metadata", "sources", "warnings"],
)
BATCH_REQUEST = object_schema(
    {
        "queries": {"type": "array", "items": QUERY_REQUEST, "minItems": 1, "maxItems": MAX_BATCH},
        "max_concurrent": {
            "type": "integer",
            "minimum": 1,
            "maximum": 16,
            "default": 4,
            "description": "How many queries run at once.",
        },
    },
    ["queries"],
)
BATCH_RESPONSE = object_schema(
    {
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "index": {"type": "integer"},
                    "status": {"type": "integer"},
                    "response": QUERY_RESPONSE,
                    "error": {"type": "object"},
                },
                "required": ["index", "status"],
            },
        },
        "metadata": {"type": "object"},
    },
    ["results", "metadata"],
)


def plan(body: Any) -> tuple[str, dict[str, Any], str]:
    """The tool, its arguments and a one-line interpretation of a query body (validated here)."""
    if not isinstance(body, dict):
        raise ToolInputError("", 'expected a JSON object like {"query": "death note"}')
    check_schema(_ENVELOPE, body)
    query = body["query"]
    options: dict[str, Any] = body.get("options", {})
    limit = body.get("limit", LIMIT["default"])
    detail = options.get("detail", "brief")
    pictured = {key: body[key] for key in IMAGE_FIELDS if key in body}
    if pictured:
        return _with_picture(body, query, options, pictured)
    if isinstance(query, str):
        return _question(body, query, options)
    check_schema(STRUCTURED_QUERY, query, "query")
    for key in QUESTION_KEYS:
        if key in body:
            raise ToolInputError(key, "applies only to a question in plain words (a string query)")
    given = [kind for kind in KINDS if kind in query]
    if len(given) != 1:
        raise ToolInputError(
            "query",
            "give exactly one of text, similar_to, anime_id"
            + (f" (got {', '.join(given)})" if given else ""),
        )
    kind = given[0]
    unused = {"mode": kind != "text", "exclude_franchise": kind != "similar_to"}
    for name, refused in unused.items():
        if refused and name in options:
            raise ToolInputError(f"options.{name}", f"has no effect on {kind} queries")
    if kind == "anime_id":
        if "filters" in query:
            raise ToolInputError("query.filters", "has no effect on anime_id queries")
        return "get_anime_by_id", {"anime_id": query["anime_id"], "detail": detail}, "one anime by reference"
    if kind == "similar_to":
        return (
            "find_similar_anime",
            {
                "anime_id": query["similar_to"],
                "filters": query.get("filters", {}),
                "limit": limit,
                "detail": detail,
                "exclude_franchise": options.get("exclude_franchise", False),
            },
            "similar anime",
        )
    mode = options.get("mode", "hybrid")
    return (
        "search_anime",
        {
            "query": query["text"],
            "filters": query.get("filters", {}),
            "limit": limit,
            "mode": mode,
            "detail": detail,
        },
        f"text search ({mode})",
    )


def _with_picture(
    body: dict[str, Any], query: Any, options: dict[str, Any], pictured: dict[str, Any]
) -> tuple[str, dict[str, Any], str]:
    """A text (a question's words, or a structured ``text``) with a picture: search_anime with both."""
    if isinstance(query, dict):
        check_schema(STRUCTURED_QUERY, query, "query")
        if "text" not in query or len([k for k in KINDS if k in query]) != 1:
            raise ToolInputError(next(iter(pictured)), "a picture goes with a text query only")
    text = query if isinstance(query, str) else query["text"]
    check_schema(QUESTION["properties"]["text"], text, "query")
    for key in QUESTION_KEYS:
        if key in body:
            raise ToolInputError(key, "has no effect on a search with a picture")
    if "exclude_franchise" in options:
        raise ToolInputError("options.exclude_franchise", "has no effect on a search with a picture")
    arguments = {
        "query": text,
        "filters": query.get("filters", {}) if isinstance(query, dict) else {},
        "limit": body.get("limit", LIMIT["default"]),
        "mode": options.get("mode", "hybrid"),
        "detail": options.get("detail", "brief"),
        **pictured,
    }
    return "search_anime", arguments, "text and picture search"


def _question(body: dict[str, Any], text: str, options: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """query_anime's arguments for a question in plain words (the text checked here: its errors name
    ``query``)."""
    check_schema(QUESTION["properties"]["text"], text, "query")
    if "exclude_franchise" in options:
        raise ToolInputError("options.exclude_franchise", "has no effect on text queries")
    arguments: dict[str, Any] = {
        "text": text,
        "detail": options.get("detail", "brief"),
        "mode": options.get("mode", "hybrid"),
        **{key: body[key] for key in ("limit", *QUESTION_KEYS) if key in body},
    }
    return "query_anime", arguments, "a question, planned"


async def answer(
    runtime: Runtime,
    tools: ToolCatalogue,
    body: Any,
    correlation_id: str,
    progress: Report | None = None,
) -> dict[str, Any]:
    """The answer to a query body; ``progress`` (when given) hears it grow, each stage in this answer's
    shape: the tool's stages before its final one (an answer that enriches), else the offline answer, then
    the final answer."""
    started = time.perf_counter()
    tool, arguments, interpretation = plan(body)

    def shape(output: dict[str, Any]) -> dict[str, Any]:
        return _shape(
            runtime,
            output,
            body=body,
            tool=tool,
            arguments=arguments,
            interpretation=interpretation,
            correlation_id=correlation_id,
            started=started,
        )

    told: list[ToolProgress] = []

    async def tell(stage: ToolProgress) -> None:
        if progress is not None and stage.stage is not Stage.FINAL:  # the final is told below, in full
            told.append(stage)
            await progress(evolve(stage, compute=lambda: shape(stage.output)))

    result = await tools.call(
        runtime,
        tool,
        arguments,
        correlation_id=correlation_id,
        face="rest",
        progress=tell if progress is not None else None,
    )
    answered = shape(result.output)
    if progress is not None:
        if not told:  # nothing to wait for: the offline answer is the whole answer
            await progress(ToolProgress(Stage.OFFLINE, 1, 2, compute=lambda: answered))
        total = told[-1].total if told else 2
        await progress(ToolProgress(Stage.FINAL, total, total, compute=lambda: answered))
    return answered


def _shape(
    runtime: Runtime,
    output: dict[str, Any],
    *,
    body: Any,
    tool: str,
    arguments: dict[str, Any],
    interpretation: str,
    correlation_id: str,
    started: float,
) -> dict[str, Any]:
    """A tool's output, whole or so far, as the query's answer: results, metadata, sources, warnings."""
    warnings: list[str] = []
    metadata: dict[str, Any] = {
        "tool": tool,
        "interpretation": interpretation,
        "correlation_id": correlation_id,
    }
    beside: dict[str, Any] = {}
    if tool == "query_anime":
        results = output["results"]
        warnings += output["warnings"]
        planned = output["metadata"]
        metadata.update(
            {
                "interpretation": output["interpretation"],
                "intent": output["intent"],
                **planned,
                "mode": planned.get("mode", arguments["mode"]),
            }
        )
        beside = {key: output[key] for key in BESIDE if output[key] is not None}
    elif tool == "get_anime_by_id":
        results = [{**output["anime"], "relevance": 1.0}]
        metadata["also_matches"] = output["also_matches"]
        if output["also_matches"]:
            warnings.append(
                "the title names several anime; the best match is first, the others are in "
                "metadata.also_matches"
            )
    else:
        results = output["results"]
        if tool == "search_anime":
            metadata["mode"] = output["mode"]
        else:
            metadata["similar_to"] = output["anime"]["anime_id"]
        metadata["limit"] = arguments["limit"]
    sources = [runtime.catalogue_source()]
    searched = {"search_anime", "find_similar_anime"}
    if tool in searched or (tool == "query_anime" and searched & set(output["metadata"]["tools"])):
        snapshot = runtime.snapshot()
        if snapshot.search is not None:
            manifest = snapshot.search.index.manifest
            sources.append(
                {
                    "name": "search_index",
                    "kind": "offline",
                    "model": manifest.spec.model,
                    "generation": manifest.generation,
                    "points": manifest.points,
                }
            )
    metadata.update(count=len(results), took_ms=round((time.perf_counter() - started) * 1000, 2))
    return {"results": results, "metadata": metadata, "sources": sources, "warnings": warnings, **beside}


async def answer_batch(
    runtime: Runtime, tools: ToolCatalogue, body: Any, correlation_id: str
) -> dict[str, Any]:
    started = time.perf_counter()
    if not isinstance(body, dict):
        raise ToolInputError("", 'expected a JSON object like {"queries": [{"query": "..."}]}')
    envelope = object_schema(
        {
            "queries": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH},
            "max_concurrent": BATCH_REQUEST["properties"]["max_concurrent"],
        },
        ["queries"],
    )
    check_schema(envelope, body, text=False)  # each query's text is checked with the query
    queries: list[Any] = body["queries"]
    slots = anyio.Semaphore(body.get("max_concurrent", 4))
    items: list[dict[str, Any]] = [{} for _ in queries]

    async def one(index: int, query: Any) -> None:
        async with slots:
            try:
                response = await answer(runtime, tools, query, f"{correlation_id}.{index}")
                items[index] = {"index": index, "status": 200, "response": response}
            except Exception as exc:  # noqa: BLE001 - each item succeeds or fails on its own
                error = classify(exc)
                detail = error.as_dict(f"{correlation_id}.{index}")
                if error.status == 422:
                    detail["field"] = ".".join(p for p in (f"queries.{index}", error.field) if p)
                items[index] = {"index": index, "status": error.status, "error": detail}

    async with anyio.create_task_group() as group:
        for index, query in enumerate(queries):
            group.start_soon(one, index, query)
    failed = sum(1 for item in items if item["status"] != 200)
    return {
        "results": items,
        "metadata": {
            "count": len(items),
            "succeeded": len(items) - failed,
            "failed": failed,
            "took_ms": round((time.perf_counter() - started) * 1000, 2),
        },
    }
