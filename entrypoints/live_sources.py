"""Composition of the live sources: one HTTP runtime (shared httpx client, real clock, environment,
in-process response cache) and every registered source bound to it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import httpx

from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.plugin_host import PluginHost
from anime_mcp.ports.source import Source

__all__ = ["bound_sources", "find_source", "make_source_runtime", "source_ids"]


def make_source_runtime(
    env: Mapping[str, str] | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    clock: Clock | None = None,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> HttpRuntime:
    clock = clock or SystemClock()
    return HttpRuntime(
        client=client or make_async_client(),
        clock=clock,
        env=dict(os.environ if env is None else env),
        overrides=overrides,
        cache=MemoryCache(clock),
    )


def source_ids(host: PluginHost) -> list[str]:
    return sorted(source.info.id for source in host.sources())


def find_source(host: PluginHost, source_id: str) -> Source | None:
    return next((s for s in host.sources() if s.info.id == source_id), None)


def bound_sources(host: PluginHost, runtime: HttpRuntime) -> dict[str, Source]:
    return {source.info.id: source.bind(runtime) for source in host.sources()}
