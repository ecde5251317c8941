"""``search_anime`` with enhancement: the offline search, then (``enhance=true``) its best hits enriched by
the live sources, each through the same enrichment use case as ``get_anime_details`` and rendered the same
way.

The hits are enriched concurrently, so the whole answer takes about one request deadline, not one per hit.
Only the first ``ENHANCED_HITS`` hits are enriched: each enrichment asks every useful platform, and a page of
results times several platforms would spend the rate limits of a whole minute on one question. Without
source plugins the tool is the offline one (``catalogue_tools.SEARCH_ANIME``), without these arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import anyio
from attrs import evolve

from anime_mcp.core.degradation import degradation_level
from anime_mcp.core.services.enrichment import ENRICHABLE_FIELDS, Enrichment
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.base import Tool, ToolInputError
from anime_mcp.entrypoints.tools.catalogue_tools import SEARCH_ANIME
from anime_mcp.entrypoints.tools.enrichment_tools import details_output, run_enrichment
from anime_mcp.entrypoints.tools.image_tools import MULTIMODAL_PICTURE, search_with_picture, with_picture
from anime_mcp.entrypoints.tools.schemas import DEGRADATION, PROVENANCE, RESULT, nullable
from anime_mcp.ports.source import Source

ENHANCED_HITS = 5  # the hits enriched live, best first
ENHANCE_ONLY = ("fields", "source")  # arguments that mean something only with enhance=true


async def search_enhanced(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    """The offline search; with ``enhance``, its first hits enriched and an overall degradation level."""
    if not args["enhance"]:
        named = next((name for name in ENHANCE_ONLY if args.get(name)), None)
        if named is not None:
            raise ToolInputError(
                named, "applies only with enhance=true (the offline search asks no platform)"
            )
        return await search_with_picture(runtime, args)
    output = await search_with_picture(runtime, args)
    hits: list[dict[str, Any]] = output["results"][:ENHANCED_HITS]
    fields = frozenset(args.get("fields") or ())
    only = list(args.get("source") or ()) or None
    enriched: list[Enrichment | None] = [None] * len(hits)

    async def enrich_one(index: int, anime_id: str) -> None:
        enriched[index] = await run_enrichment(runtime, anime_id, fields=fields, only=only)

    async with anyio.create_task_group() as group:
        for index, hit in enumerate(hits):
            group.start_soon(enrich_one, index, hit["anime_id"])
    done = [result for result in enriched if result is not None]
    for hit, result in zip(hits, done, strict=True):
        hit["enrichment"] = _hit_enrichment(result)
    return {**output, "degradation": overall_degradation(done, runtime.settings.deadline)}


def _hit_enrichment(result: Enrichment) -> dict[str, Any]:
    """get_anime_details' rendering of one hit's enrichment, less what the hit already says."""
    rendered = details_output(result)
    return {key: rendered[key] for key in ("fields", "missing", "ratings", "degradation")}


def overall_degradation(results: Sequence[Enrichment], deadline: float) -> dict[str, Any]:
    """One level for the whole answer: the domain's rule over every hit's outcomes together."""
    outcomes = list(chain.from_iterable(r.outcomes for r in results))
    levels = sorted({r.level.value for r in results})
    return {
        "level": degradation_level(outcomes).value,
        "enhanced_hits": len(results),
        "hit_levels": levels,
        "deadline_seconds": deadline,
    }


# --- the tool ---------------------------------------------------------------------------------------------


def render_enhanced(output: dict[str, Any]) -> str:
    text = SEARCH_ANIME.render(output)
    degradation = output.get("degradation")
    if degradation is None:
        return text
    lines = [text, f"live details for the first {degradation['enhanced_hits']} result(s):"]
    for hit in output["results"][: degradation["enhanced_hits"]]:
        enrichment = hit["enrichment"]
        sources = sorted({f["provenance"]["source"] for f in enrichment["fields"].values()} - {"catalogue"})
        failed = [
            f"{o['source']} ({o['reason']})"
            for o in enrichment["degradation"]["outcomes"]
            if o["status"] == "failed"
        ]
        line = f"- {hit['anime_id']}: {enrichment['degradation']['level']}"
        line += f", from {', '.join(sources)}" if sources else ", nothing live"
        lines.append(line + (f"; failed: {'; '.join(failed)}" if failed else ""))
    lines.append(f"answer: {degradation['level']}; get_anime_details shows one anime's fields in full.")
    return "\n".join(lines)


MERGED_FIELD: dict[str, Any] = {
    "type": "object",
    "properties": {
        "value": {},
        "provenance": PROVENANCE,
        "alternatives": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"value": {}, "provenance": PROVENANCE},
                "required": ["value", "provenance"],
            },
        },
    },
    "required": ["value", "provenance", "alternatives"],
}
HIT_ENRICHMENT: dict[str, Any] = {
    "type": "object",
    "description": "With enhance, on the first hits: as get_anime_details gives it (fields with provenance, "
    "missing fields, ratings when 'score' is wanted, this hit's degradation).",
    "properties": {
        "fields": {"type": "object", "additionalProperties": MERGED_FIELD},
        "missing": {"type": "array", "items": {"type": "string"}},
        "ratings": nullable("object"),
        "degradation": DEGRADATION,
    },
    "required": ["fields", "missing", "ratings", "degradation"],
}
OVERALL_DEGRADATION: dict[str, Any] = {
    "type": "object",
    "description": "With enhance: how complete the enriched answer is over all enriched hits (full, partial, "
    "cache_only, offline: the same rule as one anime's, over every hit's sources together).",
    "properties": {
        "level": {"type": "string", "enum": ["full", "partial", "cache_only", "offline"]},
        "enhanced_hits": {"type": "integer", "description": "How many of the first hits were enriched."},
        "hit_levels": {"type": "array", "items": {"type": "string"}},
        "deadline_seconds": {"type": "number"},
    },
    "required": ["level", "enhanced_hits", "hit_levels", "deadline_seconds"],
}


def search_tool(sources: Sequence[Source]) -> Tool:
    """search_anime: the offline tool with its picture arguments (``image_tools``), plus ``enhance``,
    ``fields`` and ``source`` with sources installed."""
    pictured, described = with_picture(SEARCH_ANIME.input_schema, SEARCH_ANIME.description)
    offline_outputs = dict(SEARCH_ANIME.output_schema)
    offline_outputs["properties"] = {**SEARCH_ANIME.output_schema["properties"], "image": MULTIMODAL_PICTURE}
    if not sources:
        return evolve(
            SEARCH_ANIME,
            description=described,
            input_schema=pictured,
            output_schema=offline_outputs,
            handler=search_with_picture,
            open_world=True,  # image_url is fetched from the internet
        )
    ordered = sorted(s.info.id for s in sources)
    inputs = dict(pictured)
    inputs["properties"] = {
        **pictured["properties"],
        "enhance": {
            "type": "boolean",
            "default": False,
            "description": f"true: enrich the first {ENHANCED_HITS} hits live from the platforms (as "
            "get_anime_details does, all at once under one deadline); false: offline only, instant.",
        },
        "fields": {
            "type": "array",
            "items": {"type": "string", "enum": sorted(ENRICHABLE_FIELDS)},
            "uniqueItems": True,
            "description": "With enhance: the fields wanted for each enriched hit (default: all).",
        },
        "source": {
            "type": "array",
            "items": {"type": "string", "enum": ordered},
            "uniqueItems": True,
            "description": "With enhance: ask only these platforms (default: those that can add what the "
            "catalogue lacks).",
        },
    }
    outputs = dict(offline_outputs)
    outputs["properties"] = {
        **offline_outputs["properties"],
        "results": {
            "type": "array",
            "items": {**RESULT, "properties": {**RESULT["properties"], "enrichment": HIT_ENRICHMENT}},
        },
        "degradation": OVERALL_DEGRADATION,
    }
    description = (
        described + f" With enhance=true the first {ENHANCED_HITS} results also carry live details from the "
        "platforms ('enrichment': each field with its provenance, and why any platform is missing), and "
        "'degradation' says how complete that is overall; name 'fields' and 'source' to ask less."
    )
    return evolve(
        SEARCH_ANIME,
        description=description,
        input_schema=inputs,
        output_schema=outputs,
        handler=search_enhanced,
        render=render_enhanced,
        open_world=True,
    )
