"""Domain objects -> plain JSON-ready dicts, the same for the CLI, REST and MCP."""

from __future__ import annotations

from typing import Any

from anime_mcp.core.catalogue import CatalogueStats
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.references import canonical_url


def entry_to_dict(entry: CatalogueEntry) -> dict[str, Any]:
    return {
        "anime_id": entry.anime_id,
        "title": entry.title,
        "type": entry.type.value,
        "episodes": entry.episodes,
        "status": entry.status.value,
        "season": entry.season.season.value,
        "year": entry.year,
        "duration_seconds": entry.duration.seconds if entry.duration else None,
        "score": entry.score.arithmetic_mean if entry.score else None,
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


def stats_to_dict(stats: CatalogueStats) -> dict[str, Any]:
    return {
        "entries": stats.entries,
        "per_platform": {p.value: n for p, n in sorted(stats.per_platform.items())},
        "skipped": stats.skipped,
        "source": stats.source,
        "ingested_at": stats.ingested_at.isoformat() if stats.ingested_at else None,
        "last_update": stats.metadata.last_update.isoformat() if stats.metadata else None,
    }
