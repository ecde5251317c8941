"""The live tool: one named platform's own answer about one anime, with provenance. Offered only when source
plugins are installed; its ``source`` and ``fields`` choices are what the installed sources declare."""

from __future__ import annotations

import textwrap
from typing import Any

from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.services.sources import page_on
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.source_presenters import record_to_dict
from anime_mcp.entrypoints.tools.base import Tool, ToolInputError
from anime_mcp.entrypoints.tools.catalogue_tools import reference_field
from anime_mcp.entrypoints.tools.schemas import ANIME_REF, object_schema
from anime_mcp.ports.source import RECORD_FIELDS, Source

SYNOPSIS_CHARS = 800


def record_fields(source: Source) -> frozenset[str]:
    """What ``fields`` may ask of this source: declared by it and carried by a ``SourceRecord``."""
    return source.info.fields & RECORD_FIELDS


def resolve_on(
    runtime: Runtime, reference: str, platform: Platform
) -> tuple[PlatformId, CatalogueEntry | None]:
    """The anime's page id on ``platform`` (``core.services.sources.page_on``), errors naming the field."""
    with reference_field("anime_id"):
        return page_on(reference, platform, runtime.snapshot().store, runtime.app.plugins.platforms())


async def get_anime_from_source(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    source = runtime.sources()[args["source"]]
    requested = frozenset(args.get("fields", ()))
    unsupported = requested - record_fields(source)
    if unsupported:
        raise ToolInputError(
            "fields",
            f"{source.info.id} does not provide {', '.join(sorted(unsupported))}; it provides "
            f"{', '.join(sorted(record_fields(source)))}",
        )
    pid, entry = await runtime.run_sync(resolve_on, runtime, args["anime_id"], source.info.platform)
    record = await source.fetch(pid, requested)
    data = record_to_dict(record)
    filled = set(record.fields)
    wanted = requested or filled
    values = {name: data.get(name) for name in sorted(wanted & RECORD_FIELDS)}
    return {
        "source": source.info.id,
        "anime_id": entry.anime_id if entry else None,
        "title": record.title or (entry.title if entry else None),
        "record": values,
        "missing": sorted(requested - filled),
        "provenance": {
            "source": source.info.id,
            "platform_id": str(record.platform_id),
            "url": record.url,
            "fetched_at": data["fetched_at"],
            "fields": sorted(filled),
        },
    }


def _value(name: str, value: Any) -> str:
    if name == "score" and isinstance(value, dict):
        votes = f", {value['votes']:,} votes" if value.get("votes") else ""
        return f"{value['value']:g} / {value['scale']:g}{votes}"
    if name == "synopsis" and isinstance(value, str):
        return textwrap.shorten(value, SYNOPSIS_CHARS, placeholder=" ...")
    if name == "streaming" and isinstance(value, list):
        return ", ".join(f"{link.get('service')} ({link.get('url')})" for link in value[:8])
    if name == "relations" and isinstance(value, list):
        return "; ".join(f"{r.get('relation')}: {r.get('title') or r.get('platform_id')}" for r in value[:10])
    if isinstance(value, list):
        shown = ", ".join(str(v) for v in value[:15])
        return shown + (f" (+{len(value) - 15} more)" if len(value) > 15 else "")
    return str(value)


def render_source(output: dict[str, Any]) -> str:
    provenance = output["provenance"]
    lines = [
        f"{output['title'] or provenance['platform_id']} — from {output['source']} "
        f"({provenance['url']}, fetched {provenance['fetched_at']}):"
    ]
    for name, value in output["record"].items():
        if value not in (None, [], ""):
            lines.append(f"{name}: {_value(name, value)}")
    if output["missing"]:
        lines.append(f"not given by the source: {', '.join(output['missing'])}")
    return "\n".join(lines)


def source_tool(sources: list[Source]) -> Tool:
    ordered = sorted(sources, key=lambda s: s.info.id)
    choices = "; ".join(f"{s.info.id} = {s.info.name or s.info.platform.value}" for s in ordered)
    fields = sorted(set().union(*(record_fields(s) for s in ordered)))
    return Tool(
        name="get_anime_from_source",
        title="Ask one anime platform",
        description=(
            "Fetch one anime live from one named platform (" + choices + ") and return that platform's own "
            "data with provenance (page URL, time fetched): e.g. its synopsis, its score with vote count, "
            "genres, streaming links, airing dates. Use it when the user asks what a specific site says, or "
            "needs something the offline catalogue lacks (synopsis, current score, streaming); for finding "
            "or identifying anime use search_anime and get_anime_by_id first, which are instant. Slower "
            "(network) and subject to the platform's rate limits; some platforms need an API key, and the "
            "error then says which setting to add."
        ),
        input_schema=object_schema(
            {
                "anime_id": ANIME_REF,
                "source": {"type": "string", "enum": [s.info.id for s in ordered], "description": choices},
                "fields": {
                    "type": "array",
                    "items": {"type": "string", "enum": fields},
                    "uniqueItems": True,
                    "description": "The fields you need; empty or absent: everything the platform gives by "
                    "default. A field the chosen platform does not provide is refused, naming those it does.",
                },
            },
            ["anime_id", "source"],
        ),
        output_schema=object_schema(
            {
                "source": {"type": "string"},
                "anime_id": {"type": ["string", "null"], "description": "The catalogue entry, when known."},
                "title": {"type": ["string", "null"]},
                "record": {"type": "object", "description": "Field -> the platform's value."},
                "missing": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Requested fields the platform left empty for this anime.",
                },
                "provenance": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "string"},
                        "platform_id": {"type": "string"},
                        "url": {"type": "string"},
                        "fetched_at": {"type": "string"},
                        "fields": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["source", "platform_id", "url", "fetched_at", "fields"],
                },
            },
            ["source", "anime_id", "title", "record", "missing", "provenance"],
        ),
        handler=get_anime_from_source,
        render=render_source,
        open_world=True,
    )
