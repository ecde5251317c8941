"""The composition root: settings -> plugin host -> adapters -> the application. Nothing else builds adapters.

Every face (CLI, REST, MCP) asks ``bootstrap`` for an ``App``; the app holds ports and factories of ports,
never concrete classes, so tests hand in fakes through ``Overrides`` and the faces cannot tell.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

import httpx
import structlog
from attrs import define, field, frozen

from anime_mcp.adapters.catalogue_fetcher import LocalOrHttpCatalogueFetcher
from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.adapters.sqlite_store import STORE_FILENAME, SqliteCatalogueStore
from anime_mcp.entrypoints.search_setup import SearchComponents, search_components
from anime_mcp.entrypoints.settings import ConfigError, Settings
from anime_mcp.ports.catalogue import CatalogueFetcher, CatalogueStore
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.live_sources import ManagedSourceRuntime
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection, PluginStatus, stderr_trace
from anime_mcp.ports.source import Source

log = structlog.get_logger("anime_mcp.plugins")


@frozen
class Overrides:
    """What a test (or an embedding application) hands in instead of the real adapters."""

    catalogue: Callable[[], CatalogueStore] | None = None  # opens the catalogue (again after a swap)
    search: Callable[[], SearchComponents] | None = None
    http_client: Callable[[], httpx.AsyncClient] | None = None  # the live sources' client
    http_transport: httpx.AsyncBaseTransport | None = None  # the catalogue release check's transport
    clock: Clock | None = None
    env: Mapping[str, str] | None = None  # credentials the sources read (default: os.environ)
    plugins: PluginHost | None = None


@define
class App:
    """The running application as the faces see it: settings, plugins, ports and factories of ports."""

    settings: Settings
    plugins: PluginHost
    catalogue: CatalogueStore
    fetcher: CatalogueFetcher
    source_env: Mapping[str, str]  # what live sources read credentials from
    catalogue_description: str  # where the catalogue lives, for people (a file path, a URL)
    _open_catalogue: Callable[[], CatalogueStore] = field(alias="open_catalogue")
    _catalogue_version: Callable[[], object] = field(alias="catalogue_version")
    _search: Callable[[], SearchComponents] = field(alias="search")
    _source_runtime: Callable[[], ManagedSourceRuntime] = field(alias="source_runtime")
    _search_parts: SearchComponents | None = field(default=None, alias="_search_parts")

    def open_catalogue(self) -> CatalogueStore:
        """A fresh handle on the catalogue (after another process swapped in a new one)."""
        return self._open_catalogue()

    def catalogue_version(self) -> object:
        """Changes when another process replaces the catalogue (``anime-mcp ingest``, an admin job)."""
        return self._catalogue_version()

    def search_parts(self) -> SearchComponents:
        """Model, embedder provider, index backend and sparse encoder, chosen once (errors say what to do)."""
        if self._search_parts is None:
            self._search_parts = self._search()
        return self._search_parts

    def search_parts_loaded(self) -> SearchComponents | None:
        return self._search_parts

    def source_runtime(self) -> ManagedSourceRuntime:
        """A new HTTP runtime for live sources: one client, rate limits, breakers, cache (close it)."""
        return self._source_runtime()

    def bound_sources(self, runtime: ManagedSourceRuntime) -> dict[str, Source]:
        return {source.info.id: source.bind(runtime) for source in self.plugins.sources()}


def load_plugins(settings: Settings) -> PluginHost:
    chosen = settings.plugins
    host = PluginHost(trace=stderr_trace if chosen.trace else False)
    host.load_entry_points(PluginSelection(allow=chosen.load, deny=chosen.disable))
    for setting, named, registered in (
        ("embedder", chosen.embedder, host.embedders()),
        ("index", chosen.index, host.vector_indexes()),
    ):
        names = sorted(p.name for p in registered)
        if named is not None and named not in names:
            raise ConfigError(
                f"[plugins] {setting} (ANIME_MCP_{setting.upper()}) names {named!r}, which no loaded plugin "
                f"provides; available: {', '.join(names) or 'none'}"
            )
    for plugin in host.list_plugins():
        if PluginStatus(plugin["status"]).broken:
            log.warning(
                "plugin.unavailable", plugin=plugin["name"], status=plugin["status"], detail=plugin["detail"]
            )
    return host


def bootstrap(settings: Settings | None = None, *, overrides: Overrides | None = None) -> App:
    settings = settings or Settings.load()
    given = overrides or Overrides()
    host = given.plugins or load_plugins(settings)
    clock = given.clock or SystemClock()
    env = dict(os.environ if given.env is None else given.env)

    def open_store() -> CatalogueStore:
        return SqliteCatalogueStore(settings.store_dir)

    open_catalogue = given.catalogue or open_store
    store_file = settings.store_dir / STORE_FILENAME

    def catalogue_version() -> object:
        return _inode(store_file)

    def source_runtime() -> ManagedSourceRuntime:
        client = given.http_client() if given.http_client else make_async_client()
        return HttpRuntime(
            client=client, clock=clock, env=env, overrides=settings.sources, cache=MemoryCache(clock)
        )

    def search() -> SearchComponents:
        return search_components(settings.search, host, settings.plugins)

    return App(
        settings=settings,
        plugins=host,
        catalogue=open_catalogue(),
        source_env=env,
        catalogue_description=str(store_file),
        fetcher=LocalOrHttpCatalogueFetcher(settings.download_dir, transport=given.http_transport),
        open_catalogue=open_catalogue,
        catalogue_version=catalogue_version,
        search=given.search or search,
        source_runtime=source_runtime,
    )


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None
