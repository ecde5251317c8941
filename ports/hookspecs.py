"""Every hook a plugin can implement. Hooks are synchronous and run once, at start-up.

Each hook receives a ``register`` callable; call it with each object the plugin contributes. Hooks evolve
only by adding parameters, and an implementation may accept any subset of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

PROJECT = "anime_mcp"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[Any], None]


@hookspec
def register_catalogue_readers(register: Register) -> None:
    """Register ``CatalogueReader`` objects for catalogue release formats."""


@hookspec
def register_sources(register: Register) -> None:
    """Register ``Source`` objects, one per anime platform the plugin can query."""


@hookspec
def register_embedders(register: Register) -> None:
    """Register ``EmbedderProvider`` objects: each loads embedding models of one kind from model folders
    (``ports.embedder``); which folder is used is configuration (``ANIME_MCP_MODEL``)."""


@hookspec
def register_image_embedders(register: Register) -> None:
    """Register ``ImageEmbedderProvider`` objects: each loads image-and-text models of one kind (CLIP) from
    model folders (``ports.image_embedder``); which folder is used is configuration
    (``ANIME_MCP_IMAGE_MODEL``)."""


@hookspec
def register_vector_indexes(register: Register) -> None:
    """Register ``VectorIndexProvider`` objects: each connects to index locations of one kind (a folder for
    the embedded Qdrant Edge shard, a URL for a Qdrant server; ``ports.vector_index``)."""


@hookspec
def register_caches(register: Register) -> None:
    """Register ``CacheProvider`` objects (``ports.cache``): each makes one kind of response cache layer
    from the ``[cache]`` settings (built in: ``memory``, the in-process L1; ``redis``, the shared L2). The
    composition root puts ``memory`` in front of ``redis`` when a Redis URL is configured."""


@hookspec
def register_platforms(register: Register) -> None:
    """Register ``PlatformSpec`` objects (``core.platforms``) for anime platforms anime-mcp does not know:
    id syntax, page URLs, canonical URL, aliases. References to them (``animeflix:42``, their page URLs)
    then resolve through ``PluginHost.platforms()``. A source plugin may instead set
    ``SourceInfo.platform_spec``. A spec that reuses a built-in or another plugin's id, alias or host makes
    the plugin invalid."""


@hookspec
def register_planners(register: Register) -> None:
    """Register ``Planner`` objects (``ports.planning``): each may refine or replace the deterministic query
    plan (an LLM-backed planner, say). One is used only when ``[plugins] planner`` names it; the
    deterministic plan is the answer whenever it fails, returns None or runs past ``planner_timeout``."""


@hookspec
def register_bulk_sources(register: Register) -> None:
    """Register ``BulkSource`` objects (``ports.enrichment_store``): each reads one family of bulk dump files
    (built in: ``anime-mapper`` JSONL, plain or zstd) into records keyed by a platform page, which
    ``anime-mcp enrich --dump PATH`` matches to catalogue entries and imports into the enrichment store, so
    the store fills without crawling the platforms for days."""


@hookspec
def register_workloads(register: Register) -> None:
    """Register ``Workload`` objects (``ports.workload``): benchmark workloads that ``anime-mcp bench`` runs
    against every configured adapter of the kinds they vary (built in: title lookup, hybrid, filtered and
    narrative search, similar, enrichment from replayed sources, cold start)."""
