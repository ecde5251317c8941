"""The composition root: settings -> plugin host -> adapters -> the application. Nothing else builds adapters.

Every face (CLI, REST, MCP) asks ``bootstrap`` for an ``App``; the app holds ports and factories of ports,
never concrete classes, so tests hand in fakes through ``Overrides`` and the faces cannot tell.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import structlog
from attrs import define, field, frozen

from anime_mcp.adapters import search_link
from anime_mcp.adapters.catalogue_fetcher import LocalOrHttpCatalogueFetcher
from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.image_fetch import (
    GuardedImageInput,  # built by every bootstrap (httpx on first fetch)
)
from anime_mcp.adapters.search_link import SearchLink, SearchProcesses
from anime_mcp.adapters.sqlite_store import STORE_FILENAME, SqliteCatalogueStore
from anime_mcp.entrypoints.memory import trim_heap
from anime_mcp.entrypoints.settings import CacheSettings, ConfigError, ReplaySettings, Settings
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.catalogue import CatalogueFetcher, CatalogueStore
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.image_embedder import ImageEmbedder, PictureSource, RgbImage
from anime_mcp.ports.image_input import ImageInput
from anime_mcp.ports.live_sources import ManagedSourceRuntime
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection, PluginStatus, stderr_trace
from anime_mcp.ports.source import Source

# The adapters below are imported where they are first used, not here: `anime-mcp mcp` must answer its first
# search within a second of its start, and the live sources' HTTP stack (httpx), the replay and cache layers,
# the picture adapters and the search set-up are not part of building the app.
if TYPE_CHECKING:
    import httpx

    from anime_mcp.adapters.http.client import CacheLifetimes
    from anime_mcp.adapters.http.coordination import Coordination
    from anime_mcp.entrypoints.search_setup import SearchComponents
    from anime_mcp.ports.planning import PlannerVocabulary

log = structlog.get_logger("anime_mcp.plugins")


KEPT_RECORDS = 1024  # parsed records kept per source at most (fewer when the L1 holds fewer entries)


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
    enrichment: Callable[[], EnrichmentStore] | None = None  # opens the enrichment store
    image_embedder: ImageEmbedder | None = None  # the CLIP model of image search (a fake in tests)
    image_input: ImageInput | None = None  # decoding and guarded URL fetches of query pictures


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
    _source_runtime: Callable[[httpx.AsyncBaseTransport | None], ManagedSourceRuntime] = field(
        alias="source_runtime"
    )
    _search_parts: SearchComponents | None = field(default=None, alias="_search_parts")
    _cache_health: Callable[[], dict[str, Any] | None] = field(default=lambda: None, alias="cache_health")
    _coordination: Callable[[], Coordination | None] = field(default=lambda: None, alias="coordination")
    _vocabulary: tuple[object, PlannerVocabulary] | None = field(default=None, alias="_vocabulary")
    _open_enrichment: Callable[[], EnrichmentStore] | None = field(default=None, alias="open_enrichment")
    _enrichment: EnrichmentStore | None = field(default=None, alias="_enrichment")
    _load_image_embedder: Callable[[], ImageEmbedder | None] = field(
        default=lambda: None, alias="load_image_embedder"
    )
    _image_embedder: tuple[ImageEmbedder | None] | None = field(default=None, alias="_image_embedder")
    _image_lock: threading.Lock = field(factory=threading.Lock, alias="_image_lock")
    _vocabulary_lock: threading.Lock = field(factory=threading.Lock, alias="_vocabulary_lock")
    # query pictures: decoded with pixel caps, URLs fetched with the SSRF guard (adapters/image_fetch.py)
    image_input: ImageInput | None = None

    def pictures(self, *, per_host_rate: float = 5.0) -> PictureSource:
        """Catalogue pictures for ``index-images``: paced per host (``per_host_rate`` a second; 0: not paced,
        for a loopback server), retried, cached under the home."""
        from anime_mcp.adapters.picture_fetcher import CachedPictureFetcher

        return CachedPictureFetcher(self.settings.home / "pictures", per_host_rate=per_host_rate)

    def decode_picture(self, data: bytes) -> RgbImage:
        """A downloaded picture as RGB, with the same caps as pictures sent by users (``ImageRejected``)."""
        from anime_mcp.adapters.image_decoding import decode_image

        return decode_image(data)

    def image_embedder(self) -> ImageEmbedder | None:
        """The CLIP model of image search, loaded on first use and kept; None when no image model is
        configured or installed (an unusable one raises ``EmbedderError`` saying why)."""
        with self._image_lock:  # two first requests must not load the weights twice
            if self._image_embedder is None:
                self._image_embedder = (self._load_image_embedder(),)
            return self._image_embedder[0]

    def enrichment_store(self) -> EnrichmentStore:
        """The enrichment store beside the catalogue (``$ANIME_MCP_HOME/enrichment.sqlite3``), opened once."""
        if self._enrichment is None:
            from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore

            opener = self._open_enrichment or (lambda: SqliteEnrichmentStore(self.settings.store_dir))
            self._enrichment = opener()
        return self._enrichment

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

    def source_runtime(self, transport: httpx.AsyncBaseTransport | None = None) -> ManagedSourceRuntime:
        """A new HTTP runtime for live sources: one client, rate limits, breakers, cache (close it).

        ``transport``: every request goes there instead (``sources recording add`` finds the request a
        call makes this way); such a runtime has no response cache and does not retry."""
        return self._source_runtime(transport)

    def cache_health(self) -> dict[str, Any] | None:
        """The response cache's layers, L2 connection and shared coordination (budgets, in-flight requests:
        ``"connected"`` or ``"unreachable: ..."``), or None before any source runtime made them."""
        return self._cache_health()

    def shared_budgets(self) -> Coordination | None:
        """Budgets every process shares through Redis (``[cache] redis_url``; None without it): the
        sources' rate limits, and the REST API's per-key limits."""
        return self._coordination()

    def bound_sources(self, runtime: ManagedSourceRuntime) -> dict[str, Source]:
        return {source.info.id: source.bind(runtime) for source in self.plugins.sources()}

    def planner_vocabulary(self) -> PlannerVocabulary:
        """What the query planner knows of the catalogue (titles, tags, studios): built on first use (seconds
        for the full catalogue) and again after another process replaced the catalogue."""
        version = self.catalogue_version()
        built = self.built_vocabulary(version)
        if built is not None:
            return built
        # Once for everyone: a server's first burst of questions would otherwise build it once per worker
        # thread at the same time (each taking seconds of the interpreter lock, and its memory)
        with self._vocabulary_lock:
            built = self.built_vocabulary(version)
            if built is None:
                # imported here: the planner's catalogue tables (numpy) are not part of every command's start
                from anime_mcp.adapters.title_spotter import CatalogueVocabulary

                built = CatalogueVocabulary.from_catalogue(self.catalogue)
                self._vocabulary = (version, built)
                trim_heap()  # the catalogue scan freed far more than the vocabulary keeps
        return built

    def built_vocabulary(self, version: object) -> PlannerVocabulary | None:
        """The planner vocabulary if built for catalogue ``version`` (no I/O: safe on the event loop)."""
        built = self._vocabulary
        return built[1] if built is not None and built[0] == version else None


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


def bootstrap(
    settings: Settings | None = None,
    *,
    overrides: Overrides | None = None,
    search_processes: SearchProcesses | None = None,
) -> App:
    """The application. ``search_processes``: where ``anime-mcp mcp`` gets the process its searches run in
    (``adapters/search_link.py``); None searches in this process."""
    settings = settings or Settings.load()
    given = overrides or Overrides()
    host = given.plugins or load_plugins(settings)
    clock = given.clock or SystemClock()
    env = dict(os.environ if given.env is None else given.env)
    replay = settings.replay
    if replay.dir is not None:
        # Nothing leaves the machine: a missing required credential is a placeholder, not AuthRequired.
        env = _replay_env(env, host.sources())

    def open_store() -> CatalogueStore:
        return SqliteCatalogueStore(settings.store_dir)

    open_catalogue = given.catalogue or open_store
    store_file = settings.store_dir / STORE_FILENAME

    def catalogue_version() -> object:
        return _inode(store_file)

    caches: list[Cache] = []  # the one response cache, made on first use, shared by every source runtime
    shared: list[Coordination | None] = []  # budgets and in-flight requests shared through Redis, or not
    # Replayed answers live under their own Redis keys: live processes are never served recordings.
    cache_settings = settings.cache
    if replay.dir is not None:
        cache_settings = attrs.evolve(
            settings.cache, namespace=settings.cache.namespace + _replay_namespace(replay)
        )

    def response_cache() -> Cache:
        if not caches:
            caches.append(build_cache(cache_settings, host, clock))
        return caches[0]

    def coordination() -> Coordination | None:
        if not shared:
            shared.append(_redis_coordination(cache_settings))
        return shared[0]

    def cache_health() -> dict[str, Any] | None:
        if not caches:
            return None
        health = caches[0].health()
        if shared and shared[0] is not None:
            together = shared[0].health()
            health["coordination"] = together.get("connection", together.get("status", "unknown"))
            if together.get("status") != "ok":
                health["status"] = "degraded"
        return health

    source_ids = [source.info.id for source in host.sources()]

    def live_client() -> httpx.AsyncClient:
        client = given.http_client() if given.http_client else _async_client()
        if replay.record is None:
            return client
        secrets = frozenset(
            value
            for source in host.sources()
            for credential in source.info.credentials
            if (value := env.get(credential.env))
        )
        return _recording_client(client, replay.record, secrets)

    def source_runtime(transport: httpx.AsyncBaseTransport | None = None) -> ManagedSourceRuntime:
        # A transport handed in (`sources recording add`) or the replay folder: never the network, and a
        # recorded answer is the same every time, so no retries. Only the handed-in one skips the cache.
        from anime_mcp.adapters.http import HttpRuntime
        from anime_mcp.entrypoints.replay_setup import no_retries, replay_transport

        replayed = transport is not None or replay.dir is not None
        if transport is not None:
            client = _async_client(transport)
        elif replay.dir is not None:
            client = _async_client(replay_transport(replay))
        else:
            client = live_client()
        return HttpRuntime(
            client=client,
            clock=clock,
            env=_replay_env(env, host.sources()) if transport is not None else env,
            overrides=no_retries(settings.sources, source_ids) if replayed else settings.sources,
            cache=None if transport is not None else response_cache(),
            cache_lifetimes=_lifetimes(settings.cache),
            coordination=None if transport is not None else coordination(),
            kept_records=min(settings.cache.l1_entries, KEPT_RECORDS),
        )

    def search() -> SearchComponents:
        from anime_mcp.entrypoints.search_setup import search_components

        return search_components(settings.search, host, settings.plugins, search_processes)

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
        cache_health=cache_health,
        coordination=coordination,
        open_enrichment=given.enrichment,
        load_image_embedder=(
            (lambda: given.image_embedder)
            if given.image_embedder is not None
            else (lambda: _load_image_embedder(settings, host))
        ),
        image_input=given.image_input or GuardedImageInput(),
    )


def search_processes(settings: Settings, early: dict[str, SearchLink] | None) -> SearchProcesses | None:
    """Where ``anime-mcp mcp`` gets its search process: ``early`` (started by the launch) when it loads what
    the settings choose, else a new one; None (``[serve] search_process = false``, or no ``select`` on
    pipes here): searches run in the server's own process."""
    if not settings.serve.search_process or not search_link.supported():
        for link in (early or {}).values():
            link.discard()
        search_link.forget_recipe(settings.home / search_link.RECIPE_FILE)  # no head start next time
        return None
    return SearchProcesses(early, settings.home / search_link.RECIPE_FILE)


def build_cache(settings: CacheSettings, host: PluginHost, clock: Clock) -> Cache:
    """The response cache from the registered cache providers: L1 = ``memory``, then L2 = ``redis`` when
    ``redis_url`` is set. Without a ``memory`` provider (the ``caches`` plugin disabled) a plain bounded
    memory cache stands in, so live sources are never uncached by accident."""
    from anime_mcp.adapters.layered_cache import LayeredCache
    from anime_mcp.adapters.memory_cache import MemoryCache

    providers = {provider.name: provider for provider in host.caches()}
    memory = providers.get("memory")
    layers: list[Cache] = [
        memory.create(settings, clock)
        if memory is not None
        else MemoryCache(clock, max_entries=settings.l1_entries, max_bytes=settings.l1_bytes)
    ]
    if settings.redis_url:
        redis = providers.get("redis")
        if redis is None:
            raise ConfigError(
                "[cache] redis_url (ANIME_MCP_REDIS_URL) is set but no loaded plugin provides the 'redis' "
                f"cache; available: {', '.join(sorted(providers)) or 'none'}"
            )
        layers.append(redis.create(settings, clock))
    # L1 refills from L2 keep L2's remaining lifetime; the default covers layers that cannot say.
    return LayeredCache(layers, fill_ttl=settings.ttl_schedule)


def _async_client(transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    from anime_mcp.adapters.http import make_async_client

    return make_async_client(transport)


def _recording_client(client: httpx.AsyncClient, folder: Path, secrets: frozenset[str]) -> httpx.AsyncClient:
    """``client`` with every exchange also written to ``folder`` (``secrets`` blanked)."""
    from anime_mcp.adapters.http.replay import RecordingTransport

    inner = client._transport  # the client's own transport (pool, TLS); only the folder is added
    return _async_client(RecordingTransport(inner, folder, secrets))


def _replay_env(env: Mapping[str, str], sources: list[Source]) -> dict[str, str]:
    from anime_mcp.adapters.http.replay import replay_env

    return replay_env(env, sources)


def _replay_namespace(replay: ReplaySettings) -> str:
    from anime_mcp.entrypoints.replay_setup import replay_namespace

    return replay_namespace(replay)


def _redis_coordination(settings: CacheSettings) -> Coordination | None:
    if not settings.redis_url:
        return None
    from anime_mcp.adapters.redis_coordination import RedisCoordination

    return RedisCoordination(settings.redis_url, prefix=settings.namespace)


def _lifetimes(settings: CacheSettings) -> CacheLifetimes:
    from anime_mcp.adapters.http.client import CacheLifetimes

    return CacheLifetimes(
        metadata=settings.ttl_metadata,
        streaming=settings.ttl_streaming,
        schedule=settings.ttl_schedule,
        not_found=settings.ttl_not_found,
        stale_grace=settings.stale_grace,
    )


def _load_image_embedder(settings: Settings, host: PluginHost) -> ImageEmbedder | None:
    from anime_mcp.entrypoints.search_setup import load_image_embedder

    return load_image_embedder(settings.search, host)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None
