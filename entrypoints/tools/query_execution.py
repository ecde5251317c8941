"""A ``QueryPlan`` answered by the tools that answer its intent, each looked up by name in the tool
catalogue at call time: tools another module adds (the schedule and streaming tools) are used where they
are registered; otherwise the best offline answer stands in and the metadata names the missing capability.

Every answer's ``results`` are the anime it is about, in the search results' shape; what an intent adds
(details, ratings, a schedule, streaming links) goes beside them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any

from attrs import Factory, define, evolve

from anime_mcp.core.degradation import OutcomeStatus, SourceOutcome, degradation_level, skipped
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.planning import QueryPlan
from anime_mcp.core.planning.model import Intent
from anime_mcp.core.progress import Stage
from anime_mcp.core.services.enrichment import NO_SOURCE_INSTALLED
from anime_mcp.entrypoints.presenters import BRIEF_FIELDS, entry_to_dict
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.base import Report, Tool, ToolCatalogue, ToolProgress
from anime_mcp.entrypoints.tools.enrichment_tools import outcome_to_dict
from anime_mcp.entrypoints.tools.query_filters import rank, search_filters, search_text

SEARCH, SIMILAR, LOOKUP = "search_anime", "find_similar_anime", "get_anime_by_id"
DETAILS, RATINGS = "get_anime_details", "compare_ratings"
SEASONAL, SCHEDULE, NEXT_EPISODE = "seasonal_anime", "airing_schedule", "next_episode"
STREAMING = "where_to_watch"
POOL = 100  # results fetched when they are ranked again or filtered after the search (the search's maximum)
MAX_TITLES = 5  # anime looked up, compared or started from at once
NO_SOURCES = "no source plugins installed"


@define
class Answer:
    """The answer as it is built; ``output`` (query_tools) renders it."""

    intent: str
    results: list[dict[str, Any]] = Factory(list)
    details: list[dict[str, Any]] | None = None
    ratings: list[dict[str, Any]] | None = None
    schedule: dict[str, Any] | None = None
    streaming: dict[str, Any] | None = None
    degradation: dict[str, Any] | None = None
    clarification: str | None = None
    tools: list[str] = Factory(list)  # the tools called, in order
    notes: list[str] = Factory(list)  # how the answer was made, for people
    unapplied: list[str] = Factory(list)  # plan filters no tool could apply
    missing: list[dict[str, str]] = Factory(list)  # capabilities not installed: {capability, reason}
    extra: dict[str, Any] = Factory(dict)  # search text and mode, similar_to, also_matches


@define
class Execution:
    runtime: Runtime
    tools: ToolCatalogue
    plan: QueryPlan
    limit: int
    detail: str
    mode: str
    correlation_id: str
    today: dt.date  # in the question's time zone
    report: Report | None = None
    output: Callable[[Answer], dict[str, Any]] = lambda answer: {}

    def has(self, name: str) -> Tool | None:
        return self.tools.get(name) if name in self.tools else None

    async def call(
        self, answer: Answer, name: str, arguments: dict[str, Any], progress: Report | None = None
    ) -> dict[str, Any]:
        result = await self.tools.call(
            self.runtime, name, arguments, correlation_id=self.correlation_id, face="query", progress=progress
        )
        answer.tools.append(name)
        return result.output

    def resolved(self) -> list[str]:
        ids = [t.anime_id for t in self.plan.titles if t.anime_id]
        return list(dict.fromkeys(ids))[:MAX_TITLES]


Route = Callable[[Execution, Answer], Awaitable[None]]


async def execute(ex: Execution) -> Answer:
    answer = Answer(ex.plan.intent.value)
    await ROUTES[ex.plan.intent](ex, answer)
    return answer


# --- search and similar ---------------------------------------------------------------------------------
async def search(
    ex: Execution, answer: Answer, *, extra: dict[str, Any] | None = None, mode: str | None = None
) -> None:
    """search_anime with the plan's filters and keywords (``extra``: filters the intent adds; ``mode``: the
    search mode the intent asks for instead of the caller's)."""
    plan = ex.plan
    raw, post, unapplied = search_filters(plan.filters)
    raw.update(extra or {})
    answer.unapplied += unapplied
    post = await post.resolved(ex.runtime)
    text, from_words = search_text(plan)
    order = rank_order(plan, answer, from_words)
    pooled = order != "relevance" or post.active
    output = await ex.call(
        answer,
        SEARCH,
        {
            "query": text,
            "filters": raw,
            "limit": POOL if pooled else ex.limit,
            "mode": mode or ex.mode,
            "detail": "full" if post.any_tags or ex.detail == "full" else "brief",
        },
    )
    answer.results = shaped(rank(post.apply(output["results"]), order)[: ex.limit], ex.detail)
    answer.extra.update(query=text, mode=output["mode"])


async def narrative(ex: Execution, answer: Answer) -> None:
    """A story described ("the one where ..."): hybrid search weighted to the synopses (``story`` mode),
    unless the caller chose a mode of their own."""
    await search(ex, answer, mode="story" if ex.mode == "hybrid" else None)


def rank_order(plan: QueryPlan, answer: Answer, from_words: bool) -> str:
    """How results are ordered: the plan's sort where the catalogue has the figures, and by score when
    there are no words to be relevant to."""
    sort = plan.sort.value
    if sort in ("popularity", "trending"):
        answer.notes.append(f"the catalogue has no {sort} figures: ranked by score")
        return "score"
    if sort == "relevance" and not from_words:
        answer.notes.append("no words to match: the matching anime ranked by score")
        return "score"
    return sort


async def similar(ex: Execution, answer: Answer) -> None:
    """find_similar_anime from each resolved title, merged in turns; the named titles themselves left out."""
    ids = ex.resolved()
    if not ids:
        answer.notes.append("no title of the question is in the catalogue: searched for its words instead")
        await search(ex, answer)
        return
    raw, post, unapplied = search_filters(ex.plan.filters)
    answer.unapplied += unapplied
    post = await post.resolved(ex.runtime)
    order = "relevance" if ex.plan.sort.value == "relevance" else rank_order(ex.plan, answer, True)
    pooled = len(ids) > 1 or post.active or order != "relevance"
    lists = []
    for anime_id in ids:
        output = await ex.call(
            answer,
            SIMILAR,
            {
                "anime_id": anime_id,
                "filters": raw,
                "limit": POOL if pooled else ex.limit,
                "detail": "full" if post.any_tags or ex.detail == "full" else "brief",
            },
        )
        lists.append(output["results"])
    merged = [item for item in _in_turns(lists) if item["anime_id"] not in ids]
    answer.results = shaped(rank(post.apply(merged), order)[: ex.limit], ex.detail)
    answer.extra["similar_to"] = ids


def _in_turns(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The first of each list, then the second of each, ...; each anime once."""
    seen: set[str] = set()
    merged = []
    for rank_ in range(max((len(items) for items in lists), default=0)):
        for items in lists:
            if rank_ < len(items) and items[rank_]["anime_id"] not in seen:
                seen.add(items[rank_]["anime_id"])
                merged.append(items[rank_])
    return merged


async def recommend(ex: Execution, answer: Answer) -> None:
    await (similar if ex.resolved() else search)(ex, answer)


def shaped(items: list[dict[str, Any]], detail: str) -> list[dict[str, Any]]:
    """Results as the search's ``detail`` gives them (full entries were fetched only to filter by tags)."""
    if detail == "full":
        return items
    return [{key: item[key] for key in (*BRIEF_FIELDS, "relevance") if key in item} for item in items]


# --- one anime and what is asked of it -------------------------------------------------------------------
async def the_anime(ex: Execution, answer: Answer) -> bool:
    """The resolved titles as results (get_anime_by_id); False (after searching) when none resolved."""
    ids = ex.resolved()
    if not ids:
        answer.notes.append("no title of the question is in the catalogue: searched for its words instead")
        await search(ex, answer)
        return False
    also: list[dict[str, Any]] = []
    for anime_id in ids:
        output = await ex.call(answer, LOOKUP, {"anime_id": anime_id, "detail": ex.detail})
        answer.results.append({**output["anime"], "relevance": 1.0})
        also += output["also_matches"]
    if also:
        answer.extra["also_matches"] = also
    return True


async def lookup(ex: Execution, answer: Answer) -> None:
    if await the_anime(ex, answer) and ex.plan.fields:
        await details(ex, answer, sources=())


async def source_detail(ex: Execution, answer: Answer) -> None:
    if await the_anime(ex, answer):
        await details(ex, answer, sources=ex.plan.sources)


async def details(ex: Execution, answer: Answer, *, sources: tuple[str, ...]) -> None:
    """get_anime_details of each anime, asking the named platforms' sources (all useful ones when none is
    named); a named platform without a source, or no sources at all, is said in ``degradation``."""
    tool = ex.has(DETAILS)
    asked, absent = _sources_for(ex, tool, sources)
    if tool is None:
        _missing(answer, DETAILS, NO_SOURCES)
    fields, unknown = _fields_for(tool, ex.plan.fields)
    if unknown:
        answer.notes.append(f"no tool gives {', '.join(unknown)}")
    outputs: list[dict[str, Any]] = []
    if tool is not None and (asked or not sources):
        arguments: dict[str, Any] = {"fields": fields} if fields else {}
        if asked:
            arguments["sources"] = asked
        for item in answer.results:
            staged = _staged(ex, answer, "details", outputs) if len(answer.results) == 1 else None
            outputs.append(
                await ex.call(answer, DETAILS, {"anime_id": item["anime_id"], **arguments}, progress=staged)
            )
        answer.details = outputs
    answer.degradation = _degradation(ex, outputs, absent)


async def compare(ex: Execution, answer: Answer) -> None:
    """compare_ratings of each anime (when scores are asked, or nothing in particular), and their details
    for any other field asked."""
    if not await the_anime(ex, answer):
        return
    others = tuple(f for f in ex.plan.fields if f != "score")
    if ex.plan.fields and not (set(ex.plan.fields) & {"score"}):
        await details(ex, answer, sources=ex.plan.sources)
        return
    tool = ex.has(RATINGS)
    asked, absent = _sources_for(ex, tool, ex.plan.sources)
    outputs: list[dict[str, Any]] = []
    if tool is None:
        _missing(answer, RATINGS, NO_SOURCES + ": the catalogue's scores are in the results")
    elif asked or not ex.plan.sources:
        for item in answer.results:
            staged = _staged(ex, answer, "ratings", outputs) if len(answer.results) == 1 else None
            arguments = {"anime_id": item["anime_id"], **({"sources": asked} if asked else {})}
            outputs.append(await ex.call(answer, RATINGS, arguments, progress=staged))
        answer.ratings = outputs
    answer.degradation = _degradation(ex, outputs, absent)
    if others:
        ex = evolve(ex, plan=evolve(ex.plan, fields=others))
        await details(ex, answer, sources=ex.plan.sources)


def _sources_for(ex: Execution, tool: Tool | None, platforms: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The tool's source ids for the named platforms, and the platforms no installed source serves."""
    offered: list[str] = []
    if tool is not None:
        offered = tool.input_schema["properties"]["sources"]["items"]["enum"]
    by_platform: dict[str, list[str]] = {}
    for source in ex.runtime.app.plugins.sources():
        if source.info.id in offered:
            by_platform.setdefault(str(source.info.platform), []).append(source.info.id)
    asked = [sid for p in platforms for sid in by_platform.get(p, [p] if p in offered else [])]
    absent = [p for p in platforms if p not in by_platform and p not in offered]
    return list(dict.fromkeys(asked)), absent


def _fields_for(tool: Tool | None, fields: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The plan's fields the details tool knows, and those it does not."""
    known = set(tool.input_schema["properties"]["fields"]["items"]["enum"]) if tool is not None else set()
    return [f for f in fields if f in known], [f for f in fields if f not in known and tool is not None]


def _degradation(ex: Execution, outputs: list[dict[str, Any]], absent: list[str]) -> dict[str, Any] | None:
    """The answer's degradation: every live tool's outcomes, and each named platform without a source."""
    if not outputs and not absent:
        return None
    outcomes = [o for output in outputs for o in output["degradation"]["outcomes"]]
    outcomes += [outcome_to_dict(skipped(platform, NO_SOURCE_INSTALLED)) for platform in absent]
    counted = [_outcome(o) for o in outcomes]
    # a platform the question named but nothing can ask makes the answer less than full
    counted += [SourceOutcome(p, OutcomeStatus.FAILED, NO_SOURCE_INSTALLED) for p in absent]
    return {
        "level": degradation_level(counted).value,
        "outcomes": outcomes,
        "deadline_seconds": ex.runtime.settings.deadline,
    }


def _outcome(o: dict[str, Any]) -> SourceOutcome:
    return SourceOutcome(
        o["source"],
        o["status"],
        o["reason"],
        retry_after=o["retry_after"],
        from_cache=o["from_cache"],
        age_seconds=o["age_seconds"],
        stale=o["stale"],
    )


def _staged(ex: Execution, answer: Answer, key: str, done: list[dict[str, Any]]) -> Report | None:
    """A nested tool's stages (offline, each source) as this answer's, for a face that listens."""
    report = ex.report
    if report is None:
        return None

    async def tell(stage: ToolProgress) -> None:
        if stage.stage is Stage.FINAL:
            return  # the query's own final answer is told by the catalogue

        def so_far() -> dict[str, Any]:
            partial = evolve(answer)  # a copy: the answer itself goes on growing
            setattr(partial, key, [*done, stage.output])
            return ex.output(partial)

        await report(evolve(stage, compute=so_far))

    return tell


# --- schedules, streaming, seasons, news, questions back -------------------------------------------------
async def seasonal(ex: Execution, answer: Answer) -> None:
    if await _routed(ex, answer, SEASONAL, "schedule"):
        return
    filters = ex.plan.filters
    extra: dict[str, Any] = {}
    if filters.season is None and filters.year_min is None:
        season, year = _season_of(ex.today)
        extra = {"seasons": [season], "year_min": year, "year_max": year}
        answer.notes.append(f"no season named: the current one, {season} {year}")
    await search(ex, answer, extra=extra)


async def schedule(ex: Execution, answer: Answer) -> None:
    if await _routed(ex, answer, NEXT_EPISODE if ex.resolved() else SCHEDULE, "schedule"):
        return
    if ex.resolved():
        await the_anime(ex, answer)
    else:
        answer.notes.append("the anime airing now, from the catalogue")
        await search(ex, answer, extra={"statuses": ["ONGOING"]})


async def streaming(ex: Execution, answer: Answer) -> None:
    if await _routed(ex, answer, STREAMING, "streaming") or not ex.resolved():
        return
    await the_anime(ex, answer)


async def news(ex: Execution, answer: Answer) -> None:
    _missing(answer, "news", "no news source yet")
    if ex.resolved():
        await the_anime(ex, answer)


async def clarify(ex: Execution, answer: Answer) -> None:
    answer.clarification = ex.plan.clarification


async def _routed(ex: Execution, answer: Answer, name: str, key: str) -> bool:
    """Answer with the tool ``name`` when it is registered and the plan gives what it needs (its output
    under ``key``, the anime it names as results); False, with the missing capability said, otherwise."""
    tool = ex.has(name)
    if tool is None:
        _missing(answer, name, "not installed: answered from the catalogue instead")
        return False
    arguments, lacking = _arguments(ex, tool)
    if lacking:
        _missing(answer, name, f"the question does not say its {', '.join(lacking)}")
        return False
    try:
        output = await ex.call(answer, name, arguments)
    except AnimeMcpError as exc:
        _missing(answer, name, f"could not answer ({exc}): answered from the catalogue instead")
        return False
    setattr(answer, key, output)
    answer.results = await _hydrate(ex, anime_ids_in(output))
    return True


def _arguments(ex: Execution, tool: Tool) -> tuple[dict[str, Any], list[str]]:
    """What the plan says, under the names the tool's input schema uses; the required ones it lacks."""
    plan, filters = ex.plan, ex.plan.filters
    ids = ex.resolved()
    season, year = filters.season, filters.year_min if filters.year_min == filters.year_max else None
    if season is None and year is None and tool.name == SEASONAL:
        season, year = _season_of(ex.today)
    offered: dict[str, Any] = {
        "anime_id": ids[0] if ids else None,
        "date": plan.date_from,
        "date_from": plan.date_from,
        "date_to": plan.date_to,
        "timezone": plan.timezone,
        "region": plan.region,
        "platforms": list(plan.platforms) or None,
        "season": season,
        "year": year,
        "types": list(filters.types) or None,
        "type": filters.types[0] if len(filters.types) == 1 else None,
        "status": filters.statuses[0] if len(filters.statuses) == 1 else None,
        "tags": list(filters.include_tags) or None,
        "sort": plan.sort.value if plan.sort.value != "relevance" else None,
        "language": plan.language,
        "limit": ex.limit,
        "detail": ex.detail,
    }
    schema = tool.input_schema
    properties = schema.get("properties", {})
    arguments = {}
    for name, value in offered.items():
        fitted = _fit(properties[name], value) if name in properties and value is not None else None
        if fitted is not None:
            arguments[name] = fitted
    return arguments, [name for name in schema.get("required", []) if name not in arguments]


def _fit(schema: dict[str, Any], value: Any) -> Any:
    """The value in the spelling and range the property takes (an enum's case, an integer's maximum), or
    None when it does not fit."""
    enum = schema.get("enum")
    if enum and isinstance(value, str):
        return next((choice for choice in enum if str(choice).lower() == value.lower()), None)
    items = schema.get("items", {}).get("enum")
    if items and isinstance(value, list):
        kept = [_fit({"enum": items}, v) for v in value]
        return [v for v in kept if v is not None] or None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < schema.get("minimum", value):
            return None  # a year before the tool's first: nothing it could list
        return min(value, schema.get("maximum", value))
    return value


def anime_ids_in(value: Any, depth: int = 0) -> list[str]:
    """Every ``anime_id`` in a tool's output, in order, once each."""
    found: list[str] = []
    if depth > 6:
        return found
    if isinstance(value, dict):
        if isinstance(value.get("anime_id"), str):
            found.append(value["anime_id"])
        for item in value.values():
            if isinstance(item, dict | list):
                found += anime_ids_in(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            found += anime_ids_in(item, depth + 1)
    return list(dict.fromkeys(found))


async def _hydrate(ex: Execution, ids: list[str]) -> list[dict[str, Any]]:
    """Catalogue entries of ``ids`` in the results' shape (ids the catalogue lacks are left out)."""

    def run() -> list[dict[str, Any]]:
        store = ex.runtime.snapshot().store
        entries = [store.by_anime_id(anime_id) for anime_id in ids[:POOL]]
        return [{**entry_to_dict(e, ex.detail), "relevance": 1.0} for e in entries if e is not None]

    return await ex.runtime.run_sync(run)


def _missing(answer: Answer, capability: str, reason: str) -> None:
    answer.missing.append({"capability": capability, "reason": reason})


ROUTES: dict[Intent, Route] = {
    Intent.SEARCH: search,
    Intent.NARRATIVE: narrative,
    Intent.RECOMMEND: recommend,
    Intent.SIMILAR: similar,
    Intent.LOOKUP: lookup,
    Intent.SOURCE_DETAIL: source_detail,
    Intent.COMPARE: compare,
    Intent.SEASONAL: seasonal,
    Intent.SCHEDULE: schedule,
    Intent.STREAMING: streaming,
    Intent.NEWS: news,
    Intent.CLARIFY: clarify,
}


def _season_of(day: dt.date) -> tuple[str, int]:
    # imported here: the planner's date rules (many regular expressions) are not part of the start of
    # `anime-mcp mcp`, which must answer its first search within a second
    from anime_mcp.core.planning.dates import season_of

    return season_of(day)
