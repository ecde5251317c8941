"""Domain objects -> plain JSON-ready dicts, the same for the CLI, REST and MCP.

``entry_to_dict`` is the one rendering of a catalogue entry: the tools' ``anime`` and ``results`` items (MCP,
``POST /api/tools/...``, ``/api/query``) are made by it, and the CLI's ``get --json``, ``search --json`` and
``similar --json`` print what those tools return.
"""

from __future__ import annotations

from typing import Any

from anime_mcp.core.catalogue import CatalogueStats
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.references import canonical_url

# detail "brief": what a list of results needs (the tools' ANIME_BRIEF_PROPERTIES); "full": every field
BRIEF_FIELDS = (
    "anime_id",
    "title",
    "type",
    "year",
    "season",
    "episodes",
    "status",
    "score",
    "ids",
    "sources",
)
DETAILS = ("brief", "full")


def entry_to_dict(entry: CatalogueEntry, detail: str = "full") -> dict[str, Any]:
    data = {
        "anime_id": entry.anime_id,
        "title": entry.title,
        "type": entry.type.value,
        "episodes": entry.episodes,
        "status": entry.status.value,
        "season": entry.season.season.value,
        "year": entry.year,
        "duration_seconds": entry.duration.seconds if entry.duration else None,
        "score": round(entry.score.arithmetic_mean, 2) if entry.score else None,
        "synonyms": list(entry.synonyms),
        "studios": list(entry.studios),
        "producers": list(entry.producers),
        "tags": list(entry.tags),
        "ids": {platform.value: pid for platform, pid in entry.ids().items()},
        "sources": [canonical_url(s) for s in entry.sources] + list(entry.other_sources),
        "related_anime": list(entry.related_anime),
        "picture": entry.picture,
        "thumbnail": entry.thumbnail,
    }
    if detail == "full":
        return data
    if detail != "brief":
        raise ValueError(f"detail is one of {', '.join(DETAILS)}, not {detail!r}")
    return {key: data[key] for key in BRIEF_FIELDS}


def stats_to_dict(stats: CatalogueStats) -> dict[str, Any]:
    return {
        "entries": stats.entries,
        "per_platform": {p.value: n for p, n in sorted(stats.per_platform.items())},
        "skipped": stats.skipped,
        "source": stats.source,
        "ingested_at": stats.ingested_at.isoformat() if stats.ingested_at else None,
        "last_update": stats.metadata.last_update.isoformat() if stats.metadata else None,
    }
