"""The enrichment tools: the catalogue entry merged with every live source that can add to it
(``get_anime_details``), and each platform's own score side by side (``compare_ratings``). Both run the
``core.services.enrichment`` use case and say how complete the answer is (degradation level, one outcome per
source). Offered only when source plugins are installed."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Set
from typing import Any

import structlog

from anime_mcp.core.degradation import Level, SourceOutcome
from anime_mcp.core.merging import MERGED_FIELDS, TEXT_FIELDS, MergedField, Provenance
from anime_mcp.core.progress import Progress, Stage
from anime_mcp.core.ratings import PlatformRating, RatingTable
from anime_mcp.core.services.batch_enrichment import remember
from anime_mcp.core.services.enrichment import ENRICHABLE_FIELDS, Enrichment, Listener, enrich
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.source_presenters import jsonable
from anime_mcp.entrypoints.tools.base import Report, Tool, ToolProgress
from anime_mcp.entrypoints.tools.catalogue_tools import reference_field
from anime_mcp.entrypoints.tools.merged_texts import (
    ALTERNATIVE_CREDITS_SHOWN,
    CREDIT_FIELDS,
    TEXTS_BY_LANGUAGE,
    credits_to_list,
    shorten,
    shown_credits,
    shown_texts,
    texts_to_dict,
)
from anime_mcp.entrypoints.tools.schemas import (
    ANIME_REF,
    DEGRADATION,
    MISSING_RATING,
    PROVENANCE,
    RATING_ROW,
    RATING_SUMMARY,
    nullable,
    object_schema,
)
from anime_mcp.ports.source import Source

SYNOPSIS_CHARS = 600
log = structlog.get_logger("anime_mcp.enrichment")
DETAIL_FIELDS = sorted(ENRICHABLE_FIELDS)


async def run_enrichment(
    runtime: Runtime,
    reference: str,
    *,
    fields: Set[str] = frozenset(),
    only: Collection[str] | None = None,
    enhance: bool = True,
    progress: Listener | None = None,
) -> Enrichment:
    """``core.services.enrichment.enrich`` with this runtime's catalogue, sources and credentials."""
    sources = runtime.sources()
    with reference_field("anime_id"):
        resolution = await runtime.resolve(reference)
        result = await enrich(
            resolution,
            (await runtime.current_snapshot()).store,
            sources,
            fields=fields,
            only=only,
            deadline=runtime.settings.deadline,
            platforms=runtime.app.plugins.platforms(),
            ready=runtime.source_ready,
            run_sync=runtime.run_sync,
            enhance=enhance,
            progress=progress,
        )
    runtime.note_outcomes(result.outcomes)  # each source's last outcome, for health
    runtime.asked.note(result.anime_id)  # the most asked are pre-warmed at quiet times
    await _remember(runtime, result)
    return result


async def _remember(runtime: Runtime, result: Enrichment) -> None:
    """What the sources answered live goes to the enrichment store, for everyone's later searches; best
    effort: a store that cannot be written never fails the answer."""
    if not any(not f.from_cache and f.record.cache is None for f in result.records):
        return  # nothing live (a repeat served from the cache): nothing new to write
    try:
        await runtime.run_sync(remember, runtime.app.enrichment_store(), result)
    except Exception:
        log.warning("enrichment.store_write_failed", anime_id=result.anime_id, exc_info=True)


def telling(report: Report, shape: Callable[[Enrichment], dict[str, Any]]) -> Listener:
    """The enrichment's stages before the final one as the tool's: the answer so far in the tool's output
    shape (``shape``, the same rendering as the final output). ``ToolCatalogue.call`` tells the final."""

    async def tell(progress: Progress[Enrichment]) -> None:
        if progress.stage is Stage.FINAL:
            return
        source = outcome_to_dict(progress.source) if progress.source is not None else None
        await report(
            ToolProgress(
                progress.stage,
                progress.step,
                progress.total,
                source,
                progress.pending,
                compute=lambda: shape(progress.answer),
            )
        )

    return tell


async def no_report(stage: ToolProgress) -> None:
    """Nobody listens: the face wants only the final answer."""


# --- JSON renderings -------------------------------------------------------------------------------------
def provenance_to_dict(provenance: Provenance) -> dict[str, Any]:
    return {
        "source": provenance.source,
        "url": provenance.url,
        "fetched_at": provenance.fetched_at.isoformat() if provenance.fetched_at else None,
        "from_cache": provenance.from_cache,
        "age_seconds": provenance.age_seconds,
        "stale": provenance.stale,
    }


def outcome_to_dict(outcome: SourceOutcome) -> dict[str, Any]:
    return {
        "source": outcome.source,
        "status": outcome.status.value,
        "reason": outcome.reason,
        "retry_after": outcome.retry_after,
        "from_cache": outcome.from_cache,
        "age_seconds": outcome.age_seconds,
        "stale": outcome.stale,
        "note": outcome.note,
    }


def degradation_to_dict(result: Enrichment) -> dict[str, Any]:
    return degradation_of(result.outcomes, result.level, result.deadline)


def degradation_of(outcomes: Iterable[SourceOutcome], level: Level, deadline: float) -> dict[str, Any]:
    """The ``degradation`` object of every answer that asks sources (schemas.DEGRADATION)."""
    return {
        "level": level.value,
        "outcomes": [outcome_to_dict(o) for o in outcomes],
        "deadline_seconds": deadline,
    }


def merged_field_to_dict(merged: MergedField[Any], name: str = "") -> dict[str, Any]:
    if name in CREDIT_FIELDS:  # long lists: capped, with their full count
        return {
            "value": credits_to_list(merged.value),
            "count": len(merged.value),
            "provenance": provenance_to_dict(merged.provenance),
            "alternatives": [
                {
                    "value": credits_to_list(alt.value, ALTERNATIVE_CREDITS_SHOWN),
                    "count": len(alt.value),
                    "provenance": provenance_to_dict(alt.provenance),
                }
                for alt in merged.alternatives
            ],
        }
    return {
        "value": jsonable(merged.value),
        "provenance": provenance_to_dict(merged.provenance),
        "alternatives": [
            {"value": jsonable(alt.value), "provenance": provenance_to_dict(alt.provenance)}
            for alt in merged.alternatives
        ],
    }


def rating_to_dict(rating: PlatformRating) -> dict[str, Any]:
    return {
        "source": rating.source,
        "value": rating.value,
        "scale": {"low": rating.scale.low, "high": rating.scale.high},
        "normalised": rating.normalised,
        "votes": rating.votes,
        "kind": rating.kind,
        "provenance": provenance_to_dict(rating.provenance),
    }


def table_to_dict(table: RatingTable) -> dict[str, Any]:
    summary = table.summary
    return {
        "ratings": [rating_to_dict(r) for r in table.ratings],
        "catalogue": rating_to_dict(table.catalogue) if table.catalogue else None,
        "missing": [{"platform": m.platform, "reason": m.reason} for m in table.missing],
        "summary": None
        if summary is None
        else {
            "count": summary.count,
            "mean": summary.mean,
            "median": summary.median,
            "minimum": summary.minimum,
            "maximum": summary.maximum,
            "spread": summary.spread,
            "stdev": summary.stdev,
            "weighted_mean": summary.weighted_mean,
            "weighted_votes": summary.weighted_votes,
            "outliers": list(summary.outliers),
            "outlier_distance": summary.outlier_distance,
        },
    }


# --- get_anime_details -----------------------------------------------------------------------------------
async def get_anime_details(
    runtime: Runtime, args: dict[str, Any], report: Report = no_report
) -> dict[str, Any]:
    result = await run_enrichment(
        runtime,
        args["anime_id"],
        fields=frozenset(args.get("fields") or ()),
        only=args.get("sources") or None,
        enhance=args["enhance"],
        progress=telling(report, details_output) if report is not no_report else None,
    )
    return details_output(result)


def details_output(result: Enrichment) -> dict[str, Any]:
    """get_anime_details' output for an answer, whole or so far."""
    wanted = result.fields
    shown = result.merged_wanted
    fields: dict[str, Any] = {}
    missing: list[str] = []
    for name in MERGED_FIELDS:
        if name not in wanted:
            continue
        merged = shown.get(name)
        if merged is None:
            missing.append(name)
        else:
            fields[name] = merged_field_to_dict(merged, name)
    ratings = table_to_dict(result.ratings) if "score" in wanted else None
    if ratings is not None and not ratings["ratings"] and ratings["catalogue"] is None:
        missing.append("score")
    texts = {"titles": shown.titles, "synopses": shown.synopses}
    missing += [name for name in TEXT_FIELDS if name in wanted and not texts[name]]
    return {
        "anime_id": result.anime_id,
        "title": result.entry.title,
        "fields": fields,
        **{name: texts_to_dict(texts[name]) if name in wanted else None for name in TEXT_FIELDS},
        "missing": sorted(missing),
        "ratings": ratings,
        "degradation": degradation_to_dict(result),
    }


def _shown(name: str, value: Any, count: int | None = None) -> str:
    if name == "synopsis" and isinstance(value, str):
        return shorten(value, SYNOPSIS_CHARS)
    if name in CREDIT_FIELDS and isinstance(value, list):
        return shown_credits(value, count if count is not None else len(value))
    if name == "streaming" and isinstance(value, list):
        return ", ".join(f"{link.get('service')} ({link.get('url')})" for link in value[:8])
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:15])
        return shown + (f" (+{len(value) - 15} more)" if len(value) > 15 else "")
    return str(value)


def _level_line(degradation: dict[str, Any]) -> str:
    outcomes = degradation["outcomes"]
    answered = [
        f"{o['source']} ({o['note']})" if o.get("note") else o["source"]
        for o in outcomes
        if o["status"] == "contributed"
    ]
    lost = [f"{o['source']} ({o['reason']})" for o in outcomes if o["status"] == "failed"]
    skipped = [f"{o['source']} ({o['reason']})" for o in outcomes if o["status"] == "skipped"]
    parts = [f"answer: {degradation['level']}", f"answered: {', '.join(answered) or 'none'}"]
    if lost:
        parts.append(f"failed: {'; '.join(lost)}")
    if skipped:
        parts.append(f"not asked: {'; '.join(skipped)}")
    return " | ".join(parts)


def render_details(output: dict[str, Any]) -> str:
    lines = [f"{output['title']} ({output['anime_id']})"]
    for name, merged in output["fields"].items():
        differing = [a for a in merged["alternatives"] if a["value"] != merged["value"]]
        note = f" (also: {', '.join(a['provenance']['source'] for a in differing)})" if differing else ""
        shown = _shown(name, merged["value"], merged.get("count"))
        lines.append(f"{name}: {shown} [{merged['provenance']['source']}]{note}")
    for name, width in (("titles", 120), ("synopses", SYNOPSIS_CHARS)):
        if output.get(name):
            lines += shown_texts(name, output[name], width)
    ratings = output["ratings"]
    if ratings is not None:
        rows = [*ratings["ratings"], *([ratings["catalogue"]] if ratings["catalogue"] else [])]
        if rows:
            lines.append("score: " + "; ".join(f"{_native(r)} [{r['source']}]" for r in rows))
    if output["missing"]:
        lines.append(f"no source gave: {', '.join(output['missing'])}")
    lines.append(_level_line(output["degradation"]))
    return "\n".join(lines)


def details_tool(sources: list[Source]) -> Tool:
    ordered = sorted(s.info.id for s in sources)
    return Tool(
        name="get_anime_details",
        title="One anime from every source, merged",
        description=(
            "Everything known about one anime: the offline catalogue's entry, enriched live by every "
            "installed platform that can add what the catalogue lacks (synopsis, genres, streaming links, "
            "airing dates, each platform's score), asked at once under one deadline (3 s unless the "
            "server sets another). Every field "
            "says where its value came from (source, page URL, time fetched) and lists the other sources' "
            "values when they differ. 'degradation' says how complete the answer is (full, partial, "
            "cache_only, offline) and why each source that did not contribute is missing (no credentials, "
            "rate limited, timed out, not on that platform, ...). Ask only for the fields you need; name "
            "'sources' to ask particular platforms; enhance=false answers from the catalogue alone, "
            "instantly. For one platform's raw answer use get_anime_from_source; for the scores side by "
            "side use compare_ratings."
        ),
        input_schema=object_schema(
            {
                "anime_id": ANIME_REF,
                "fields": {
                    "type": "array",
                    "items": {"type": "string", "enum": DETAIL_FIELDS},
                    "uniqueItems": True,
                    "description": "The fields you need; empty or absent: all but characters and staff "
                    "(name those to get them). 'titles' and 'synopses' give every title and synopsis per "
                    "language. 'score' gives every "
                    "platform's own score (the catalogue's aggregate too).",
                },
                "sources": {
                    "type": "array",
                    "items": {"type": "string", "enum": ordered},
                    "uniqueItems": True,
                    "description": "Ask only these platforms, for every wanted field they provide; empty or "
                    "absent: the platforms that can add what the catalogue lacks.",
                },
                "enhance": {
                    "type": "boolean",
                    "default": True,
                    "description": "false: the catalogue alone, no network.",
                },
            },
            ["anime_id"],
        ),
        output_schema=object_schema(
            {
                "anime_id": {"type": "string", "description": "Internal id; pass it to the other tools."},
                "title": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "Field -> the chosen value, its provenance and the other sources' values.",
                    "additionalProperties": {
                        "type": "object",
                        "properties": {
                            "value": {},
                            "count": {
                                "type": "integer",
                                "description": "characters/staff: how many the source lists (capped value).",
                            },
                            "provenance": PROVENANCE,
                            "alternatives": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "value": {},
                                        "count": {"type": "integer"},
                                        "provenance": PROVENANCE,
                                    },
                                    "required": ["value", "provenance"],
                                },
                            },
                        },
                        "required": ["value", "provenance", "alternatives"],
                    },
                },
                "titles": {
                    **TEXTS_BY_LANGUAGE,
                    "description": "When 'titles' is wanted: every title " + TEXTS_BY_LANGUAGE["description"],
                },
                "synopses": {
                    **TEXTS_BY_LANGUAGE,
                    "description": "When 'synopses' is wanted: every synopsis "
                    + TEXTS_BY_LANGUAGE["description"],
                },
                "missing": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Wanted fields no source gave.",
                },
                "ratings": {
                    **nullable("object"),
                    "description": "When 'score' is wanted: as compare_ratings gives it.",
                },
                "degradation": DEGRADATION,
            },
            ["anime_id", "title", "fields", "titles", "synopses", "missing", "ratings", "degradation"],
        ),
        handler=get_anime_details,
        render=render_details,
        open_world=True,
        staged=get_anime_details,
    )


# --- compare_ratings -------------------------------------------------------------------------------------
async def compare_ratings(
    runtime: Runtime, args: dict[str, Any], report: Report = no_report
) -> dict[str, Any]:
    result = await run_enrichment(
        runtime,
        args["anime_id"],
        fields=frozenset({"score"}),
        only=args.get("sources") or None,
        progress=telling(report, ratings_output) if report is not no_report else None,
    )
    return ratings_output(result)


def ratings_output(result: Enrichment) -> dict[str, Any]:
    """compare_ratings' output for an answer, whole or so far."""
    return {
        "anime_id": result.anime_id,
        "title": result.entry.title,
        **table_to_dict(result.ratings),
        "degradation": degradation_to_dict(result),
    }


def _native(row: dict[str, Any]) -> str:
    return f"{row['value']:g} / {row['scale']['high']:g}"


def render_ratings(output: dict[str, Any]) -> str:
    header = ("platform", "score", "0-10", "votes", "fetched")
    rows = [
        (
            r["source"],
            _native(r),
            f"{r['normalised']:.2f}",
            f"{r['votes']:,}" if r["votes"] is not None else "-",
            (r["provenance"]["fetched_at"] or "-")[:16],
        )
        for r in [*output["ratings"], *([output["catalogue"]] if output["catalogue"] else [])]
    ]
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    lines = [f"{output['title']} ({output['anime_id']}) — ratings"]
    lines += [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    summary = output["summary"]
    if summary is not None:
        weighted = (
            f", vote-weighted {summary['weighted_mean']:.2f}" if summary["weighted_mean"] is not None else ""
        )
        outliers = ", ".join(summary["outliers"]) or "none"
        lines.append(
            f"{summary['count']} platform(s): mean {summary['mean']:.2f}, median {summary['median']:.2f}, "
            f"spread {summary['spread']:.2f}{weighted}; outliers: {outliers}"
        )
    if output["missing"]:
        lines.append("missing: " + "; ".join(f"{m['platform']} ({m['reason']})" for m in output["missing"]))
    lines.append(f"answer: {output['degradation']['level']}")
    return "\n".join(lines)


def ratings_tool(sources: list[Source]) -> Tool:
    rated = sorted(s.info.id for s in sources if "score" in s.info.fields)
    return Tool(
        name="compare_ratings",
        title="Compare one anime's ratings across platforms",
        description=(
            "Each platform's own score for one anime, side by side: the value in the platform's native scale "
            "(MyAnimeList 1-10, AniList and Kitsu percent, AniDB 1-10, ...), its vote count where known, the "
            "same value on 0-10, and where it came from (page URL, time fetched); the catalogue's aggregate "
            "score apart; statistics (mean, median, spread, vote-weighted mean, outliers). A platform that "
            "gave no score is listed as missing with the reason (no credentials, timed out, not on that "
            "platform, ...): values are never invented or copied between platforms. Live: asks the platforms "
            "at once under one deadline (3 s unless the server sets another); 'degradation' says how "
            "complete the table is."
        ),
        input_schema=object_schema(
            {
                "anime_id": ANIME_REF,
                "sources": {
                    "type": "array",
                    "items": {"type": "string", "enum": rated},
                    "uniqueItems": True,
                    "description": "Ask only these platforms; empty or absent: every platform with a score.",
                },
            },
            ["anime_id"],
        ),
        output_schema=object_schema(
            {
                "anime_id": {"type": "string"},
                "title": {"type": "string"},
                "ratings": {"type": "array", "items": RATING_ROW, "description": "One row per platform."},
                "catalogue": {
                    "anyOf": [RATING_ROW, {"type": "null"}],
                    "description": "The catalogue's aggregate of the platforms' scores (not in the summary).",
                },
                "missing": {"type": "array", "items": MISSING_RATING},
                "summary": RATING_SUMMARY,
                "degradation": DEGRADATION,
            },
            ["anime_id", "title", "ratings", "catalogue", "missing", "summary", "degradation"],
        ),
        handler=compare_ratings,
        render=render_ratings,
        open_world=True,
        staged=compare_ratings,
    )


def enrichment_tools(sources: list[Source]) -> list[Tool]:
    return [details_tool(sources), ratings_tool(sources)]
