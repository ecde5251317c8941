"""Where-to-watch use case: the enrichment use case asked for ``streaming`` alone (every source that declares
streaming links and has a page of the anime, at once, under one deadline, with degradation), then the
legal links among them grouped by region (``core.streaming``)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from attrs import frozen

from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platforms
from anime_mcp.core.resolution import Resolution
from anime_mcp.core.services.enrichment import DEFAULT_DEADLINE, Enrichment, RunSync, enrich
from anime_mcp.core.streaming import Offers, group_offers, offers_of
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import Source

STREAMING = frozenset({"streaming"})


@frozen
class WhereToWatch:
    enrichment: Enrichment  # the sources' records, outcomes and level
    offers: Offers


async def where_to_watch(
    reference: str | Resolution,
    catalogue: Catalogue,
    sources: dict[str, Source],
    *,
    regions: Collection[str] = (),
    services: Collection[str] = (),
    deadline: float = DEFAULT_DEADLINE,
    platforms: Platforms = BUILTIN_PLATFORMS,
    ready: Callable[[Source], bool] | None = None,
    run_sync: RunSync | None = None,
    **extra: Any,
) -> WhereToWatch:
    """The legal streaming offers of one anime, by region, from every source that lists streaming links."""
    result = await enrich(
        reference,
        catalogue,
        sources,
        fields=STREAMING,
        deadline=deadline,
        platforms=platforms,
        ready=ready,
        run_sync=run_sync,
        **extra,
    )
    pairs = [
        (fetched.record.platform_id.platform.value, link)
        for fetched in result.records
        for link in fetched.record.streaming
    ]
    offers, unlisted = offers_of(pairs)
    return WhereToWatch(result, group_offers(offers, regions=regions, services=services, unlisted=unlisted))
