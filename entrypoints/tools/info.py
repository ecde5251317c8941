"""What the installation knows about itself: health per component, statistics, plugins.

The same dictionaries are ``GET /health``, ``GET /stats``, ``GET /-/plugins``, ``GET /api/sources`` and the
MCP resources ``anime-mcp://health``, ``anime-mcp://stats``, ``anime-mcp://plugins``, ``anime-mcp://sources``.
"""

from __future__ import annotations

from typing import Any

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.presenters import stats_to_dict
from anime_mcp.entrypoints.runtime import Runtime


def plugins(runtime: Runtime) -> list[dict[str, Any]]:
    return runtime.app.plugins.list_plugins()


def sources(runtime: Runtime) -> list[dict[str, Any]]:
    return runtime.describe_sources()


def _catalogue(runtime: Runtime) -> dict[str, Any]:
    try:
        stats = runtime.snapshot().store.stats()
    except AnimeMcpError as exc:
        return {"status": "down", "error": str(exc)}
    return {
        "status": "ok",
        "entries": stats.entries,
        "last_update": stats.metadata.last_update.isoformat() if stats.metadata else None,
        "ingested_at": stats.ingested_at.isoformat() if stats.ingested_at else None,
    }


def _index(runtime: Runtime) -> dict[str, Any]:
    snapshot = runtime.snapshot()
    if snapshot.search is None:
        return {"status": "down", "error": str(snapshot.search_error)}
    manifest = snapshot.search.index.manifest
    return {
        "status": "ok",
        "points": manifest.points,
        "generation": manifest.generation,
        "backend": manifest.backend,
        "built_at": manifest.built_at,
        "model": manifest.spec.model,
    }


def _embedder(runtime: Runtime) -> dict[str, Any]:
    snapshot = runtime.snapshot()
    if snapshot.search is None:
        return {"status": "down", "error": str(snapshot.search_error)}
    model = snapshot.search.model
    return {
        "status": "ok",
        "model": model.name,
        "dimension": model.dimension,
        "path": model.path,
        "loaded": runtime.embedder_loaded(),
    }


def _plugins(runtime: Runtime) -> dict[str, Any]:
    failed = {
        p["name"]: f"{p['status']}: {p['detail']}"
        for p in plugins(runtime)
        if p["status"] not in ("ok", "disabled")
    }
    return {"status": "degraded" if failed else "ok", "failed": failed}


def health(runtime: Runtime) -> dict[str, Any]:
    """``{"status": "ok" | "degraded" | "down", "components": {...}}``: down only without a catalogue."""
    components = {
        "catalogue": _catalogue(runtime),
        "index": _index(runtime),
        "embedder": _embedder(runtime),
        "plugins": _plugins(runtime),
    }
    sources = runtime.source_health()
    if sources is not None:
        components["sources"] = sources
    cache = runtime.app.cache_health()
    if cache is not None:  # made with the first live-source call
        shown = ("status", "layers", "l2", "coordination")
        components["cache"] = {key: cache[key] for key in shown if key in cache}
    if components["catalogue"]["status"] != "ok":
        status = "down"
    elif all(c.get("status") == "ok" for c in components.values()):
        status = "ok"
    else:
        status = "degraded"
    return {"status": status, "components": components}


def stats(runtime: Runtime) -> dict[str, Any]:
    snapshot = runtime.snapshot()
    data: dict[str, Any] = {"server": runtime.metrics.as_dict()}
    try:
        data["catalogue"] = stats_to_dict(snapshot.store.stats())
    except AnimeMcpError as exc:
        data["catalogue"] = {"error": str(exc)}
    if snapshot.search is not None:
        manifest = snapshot.search.index.manifest
        data["index"] = {
            "points": manifest.points,
            "generation": manifest.generation,
            "model": manifest.spec.model,
            "dimension": manifest.spec.dimension,
            "backend": manifest.backend,
            "built_at": manifest.built_at,
        }
    else:
        data["index"] = {"error": str(snapshot.search_error)}
    return data
