"""The composition root: settings -> plugin host -> adapters -> services. Nothing else builds adapters."""

from __future__ import annotations

import structlog
from attrs import frozen

from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection


@frozen
class App:
    settings: Settings
    plugins: PluginHost
    store: SqliteCatalogueStore


def bootstrap(settings: Settings | None = None, *, selection: PluginSelection | None = None) -> App:
    settings = settings or Settings.load()
    host = PluginHost()
    host.load_entry_points(selection or PluginSelection.from_env())
    log = structlog.get_logger("anime_mcp.plugins")
    for plugin in host.list_plugins():
        if plugin["status"] != "ok" and not plugin["status"].startswith("disabled"):
            log.warning("plugin.unavailable", plugin=plugin["name"], status=plugin["status"])
    return App(settings=settings, plugins=host, store=SqliteCatalogueStore(settings.store_dir))
