"""What the faces of one process share: the application, the search service (built once, reused by every
call), the worker threads that run the synchronous services, and counters for ``/stats``.

A catalogue or index replaced by another process (``anime-mcp ingest``, an admin job) is picked up within
``RECHECK_SECONDS``: a new snapshot (store + search service) is made while requests in flight finish on the
old one. The embedding model is loaded once and kept across snapshots.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread
import structlog
from attrs import define, field, frozen

from anime_mcp.core.degradation import SourceOutcome
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.resolution import Resolution
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.services.prewarm import MostAsked
from anime_mcp.core.services.search import SearchService
from anime_mcp.core.services.seasons import SeasonCatalogue
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.memory import release_frozen, trim_heap
from anime_mcp.entrypoints.observability import TracedEmbedder, TracedIndex
from anime_mcp.entrypoints.settings import ServeSettings
from anime_mcp.entrypoints.source_activity import SourceActivity
from anime_mcp.entrypoints.source_presenters import describe_source
from anime_mcp.ports.catalogue import CatalogueStore
from anime_mcp.ports.image_embedder import ImageEmbedder
from anime_mcp.ports.live_sources import ManagedSourceRuntime
from anime_mcp.ports.source import Source
from anime_mcp.ports.vector_index import IndexManifest

if TYPE_CHECKING:  # the tools package imports this module
    from anime_mcp.entrypoints.tools.answer_cache import AnswerCache

T = TypeVar("T")
RECHECK_SECONDS = 2.0
RESOLUTIONS_KEPT = 4096  # remembered lookups per snapshot (references people and tools repeat)
log = structlog.get_logger("anime_mcp.runtime")


@frozen
class Snapshot:
    """One consistent view: the catalogue store and the search service over the index of the same moment."""

    store: CatalogueStore
    store_version: object  # the app's catalogue_version() when the store was opened
    search: SearchService | None
    search_error: AnimeMcpError | None  # why there is no search service (no model, no index, ...)
    generation: str | None


@define
class ToolStats:
    calls: int = 0
    errors: int = 0
    seconds: float = 0.0


@define
class Metrics:
    started: float = field(factory=time.time)
    tools: dict[str, ToolStats] = field(factory=dict)
    _lock: threading.Lock = field(factory=threading.Lock, alias="_lock")

    def record(self, tool: str, seconds: float, *, failed: bool) -> None:
        with self._lock:
            stats = self.tools.setdefault(tool, ToolStats())
            stats.calls += 1
            stats.errors += int(failed)
            stats.seconds += seconds

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            tools = {
                name: {
                    "calls": s.calls,
                    "errors": s.errors,
                    "mean_ms": round(1000 * s.seconds / s.calls, 2) if s.calls else None,
                }
                for name, s in sorted(self.tools.items())
            }
        return {"uptime_seconds": round(time.time() - self.started, 1), "tools": tools}


class Runtime:
    def __init__(self, app: App) -> None:
        self.app = app
        self._http: ManagedSourceRuntime | None = None
        self._sources: dict[str, Source] | None = None
        self.metrics = Metrics()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._checked = 0.0
        self._limiter: anyio.CapacityLimiter | None = None
        self._catalogue_source: tuple[Snapshot, dict[str, Any]] | None = None
        self._resolutions: tuple[Snapshot, OrderedDict[str, Resolution]] | None = None
        self.activity = SourceActivity(self._now)
        self.seasons = SeasonCatalogue()  # the season index of the current catalogue (seasonal_anime)
        self.asked = MostAsked()  # the anime the enrichment tools answered, for pre-warming
        self._warmed = threading.Event()  # cleared while a warm-up runs: a search waits for it
        self._warmed.set()
        self._answers: dict[str, AnswerCache] = {}
        self._answers_lock = threading.Lock()  # not ``_lock``: a snapshot build holds that for seconds

    @property
    def settings(self) -> ServeSettings:
        return self.app.settings.serve

    def answers(self, tool: str) -> AnswerCache | None:
        """The cache of ``tool``'s offline answers (``[serve] answer_cache`` of them), or None when off."""
        from anime_mcp.entrypoints.tools.answer_cache import AnswerCache

        size = int(getattr(self.settings, "answer_cache", 0))
        if size <= 0:
            return None
        with self._answers_lock:
            if tool not in self._answers:
                self._answers[tool] = AnswerCache(size)
            return self._answers[tool]

    # --- running synchronous services off the event loop ------------------------------------------
    async def run_sync(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking service call in a worker thread (at most ``settings.workers`` at once)."""
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.settings.workers)
        return await anyio.to_thread.run_sync(partial(function, *args, **kwargs), limiter=self._limiter)

    # --- the current snapshot -----------------------------------------------------------------------
    def recent_snapshot(self) -> Snapshot | None:
        """The snapshot if it was checked within ``RECHECK_SECONDS`` (no I/O, no lock: safe on the event
        loop), else None (then ``snapshot`` in a worker thread)."""
        current = self._snapshot
        if current is not None and time.monotonic() - self._checked < RECHECK_SECONDS:
            return current
        return None

    async def current_snapshot(self) -> Snapshot:
        """The snapshot, from memory when recently checked, else checked in a worker thread."""
        recent = self.recent_snapshot()
        if recent is not None:
            return recent
        checked: Snapshot = await self.run_sync(self.snapshot)
        return checked

    async def resolve(self, reference: str) -> Resolution:
        """The catalogue's resolution of ``reference`` in the current snapshot. A store never changes under a
        snapshot, so an answer is remembered (up to ``RESOLUTIONS_KEPT``, per snapshot): a repeat costs no
        worker thread. Unknown references raise every time (nothing is remembered for them)."""
        snapshot = await self.current_snapshot()
        if self._resolutions is None or self._resolutions[0] is not snapshot:
            self._resolutions = (snapshot, OrderedDict())
        kept = self._resolutions[1]
        found = kept.get(reference)
        if found is None:
            found = await self.run_sync(lookup, snapshot.store, reference, self.app.plugins.platforms())
            kept[reference] = found
            if len(kept) > RESOLUTIONS_KEPT:
                kept.popitem(last=False)
        return found

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = time.monotonic()
            current = self._snapshot
            if current is not None and now - self._checked < RECHECK_SECONDS:
                return current
            self._checked = now
            if current is None or self._changed(current):
                replaced = current is not None
                current = self._snapshot = self._build(current)
                if replaced:
                    release_frozen()  # the old snapshot's cycles: collected at the next heap trim
            return current

    def refresh(self) -> Snapshot:
        """Look for a replaced catalogue or index now (after an ingest job)."""
        with self._lock:
            self._checked = 0.0
        return self.snapshot()

    def _changed(self, current: Snapshot) -> bool:
        if self.app.catalogue_version() != current.store_version:
            return True
        manifest = self._manifest()
        return (manifest.generation if manifest else None) != current.generation

    def _manifest(self) -> IndexManifest | None:
        try:
            return self.app.search_parts().backend.manifest()
        except AnimeMcpError:
            return None

    def _build(self, previous: Snapshot | None) -> Snapshot:
        version = self.app.catalogue_version()
        store = self.app.catalogue if previous is None else self.app.open_catalogue()
        search: SearchService | None = None
        error: AnimeMcpError | None = None
        generation = None
        try:
            parts = self.app.search_parts()
            index = parts.backend.open()
            generation = index.manifest.generation if index is not None else None
            traced = TracedIndex(index) if index is not None else None
            search = SearchService(
                store,
                traced,
                parts.encoder,
                lambda: TracedEmbedder(parts.embedder()),
                parts.model,
                platforms=self.app.plugins.platforms(),
                story_encoder=parts.story_encoder,
            )
        except AnimeMcpError as exc:  # no model, no index, another model: the tools say so when called
            error = exc
        log.info(
            "runtime.snapshot",
            store=self.app.catalogue_description,
            index_generation=generation,
            search=search is not None,
            reason=str(error) if error else None,
        )
        return Snapshot(
            store=store, store_version=version, search=search, search_error=error, generation=generation
        )

    def search(self) -> SearchService:
        """The search service, or the domain error that says why there is none (run ingest, ...). While a
        warm-up runs, waits for it: loading the model or paying the index's first query a second time beside
        it would only make both slower (the work holds the interpreter lock)."""
        self._warmed.wait()
        snapshot = self.snapshot()
        if snapshot.search is None:
            assert snapshot.search_error is not None
            raise snapshot.search_error
        return snapshot.search

    def catalogue_source(self) -> dict[str, Any]:
        """The catalogue as a source of answers (dataset, release, size), computed once per snapshot."""
        snapshot = self.snapshot()
        cached = self._catalogue_source
        if cached is not None and cached[0] is snapshot:
            return cached[1]
        info: dict[str, Any] = {"name": "catalogue", "kind": "offline", "dataset": "anime-offline-database"}
        try:
            stats = snapshot.store.stats()
        except AnimeMcpError:
            return info
        info.update(
            release=stats.metadata.last_update.isoformat() if stats.metadata else None, entries=stats.entries
        )
        self._catalogue_source = (snapshot, info)
        return info

    def image_embedder(self) -> ImageEmbedder | None:
        """The CLIP model of image search (loaded once, in the calling thread: call it from a worker), or
        None when no image model is configured; an unusable one raises ``EmbedderError`` saying why."""
        return self.app.image_embedder()

    def embedder_loaded(self) -> bool:
        parts = self.app.search_parts_loaded()
        return parts is not None and parts.embedder_loaded

    @property
    def http_runtime(self) -> ManagedSourceRuntime | None:
        """The live sources' runtime, once ``sources()`` has made it."""
        return self._http

    # --- live sources --------------------------------------------------------------------------------
    def sources(self) -> dict[str, Source]:
        """The registered sources bound to one HTTP runtime (one client, breakers, rate limits), made once."""
        if self._sources is None:
            self._http = self.app.source_runtime()
            self._sources = self.app.bound_sources(self._http)
        return self._sources

    def source_ready(self, source: Source) -> bool:
        """Whether ``source`` has the credentials it requires, in the environment the sources run with (as
        `anime-mcp sources` decides "ready")."""
        env = self._http.env if self._http is not None else self.app.source_env
        return not source.info.missing_credentials(env)

    def _now(self) -> dt.datetime:
        return self._http.clock.now() if self._http is not None else dt.datetime.now(dt.UTC)

    def note_outcomes(self, outcomes: Iterable[SourceOutcome]) -> None:
        """Remember what the sources of one answer did (health shows each one's last outcome and failure)."""
        self.activity.note(outcomes)

    def describe_sources(self) -> list[dict[str, Any]]:
        """Each installed source: what it declares (fields, capabilities, limits, credentials), its state."""
        states = self._http.states() if self._http is not None else {}
        env = self._http.env if self._http is not None else self.app.source_env
        registered = sorted(self.app.plugins.sources(), key=lambda s: s.info.id)
        return [
            describe_source(
                source,
                env,
                states.get(source.info.id),
                self.app.settings.sources.get(source.info.id),
                self.activity.of(source.info.id),
            )
            for source in registered
        ]

    def source_health(self) -> dict[str, Any] | None:
        """Each live source's readiness and state (credentials, breaker with its retry time, rate limit,
        requests and cache hits, last outcome and failure with times), or None when none is installed."""
        described_all = self.describe_sources()
        if not described_all:
            return None
        each = {}
        for described in described_all:
            status = (
                "unconfigured"
                if not described["ready"]
                else ("ok" if described["breaker"] == "closed" else f"breaker {described['breaker']}")
            )
            each[described["id"]] = {
                "status": status,
                "breaker": described["breaker"],
                "ready": described["ready"],
                **source_health_details(described),
            }
        degraded = any(s["status"].startswith("breaker") for s in each.values())
        return {"status": "degraded" if degraded else "ok", "sources": each}

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()

    def warm_up(self, *, seasons: bool = True, trim: bool = True) -> None:
        """Open the store and the index, load the embedding model, run one search (the engine reads parts of
        the index on its first query; not when they load in search processes, which query their index once
        themselves: here it would only delay a first question that comes at once) and (unless ``seasons`` is
        False) start building the season index now, so the first call is fast. ``trim`` False leaves the
        heap's trim to the season index's build (which trims after itself), so that a first question waiting
        for the warm-up does not wait for a collection as well."""
        started = time.perf_counter()
        self._warmed.clear()
        try:
            snapshot = self.snapshot()
            if seasons:
                self.index_seasons()
            if snapshot.search is not None and self.app.search_parts().in_process:
                try:
                    snapshot.search.search("warm up", limit=1)
                except AnimeMcpError as exc:
                    log.warning("runtime.warm_up.failed", error=str(exc))
        finally:
            self._warmed.set()
        if trim:
            trim_heap()  # the model's and the index's loading buffers
        log.info(
            "runtime.warm_up",
            seconds=round(time.perf_counter() - started, 3),
            search=snapshot.search is not None,
        )

    def index_seasons(self) -> None:
        """Build the season index of the current catalogue in a background thread. It reads the whole
        catalogue (seconds of CPU, holding the interpreter lock most of it): built beside the server, not on
        a user's first seasonal_anime call (a call meanwhile waits for it). ``anime-mcp mcp`` starts it after
        its first answer, so that answer does not share the interpreter with it."""
        threading.Thread(
            target=self._index_seasons, args=(self.snapshot().store,), name="anime-mcp-seasons", daemon=True
        ).start()

    def _index_seasons(self, store: CatalogueStore) -> None:
        self.seasons.index(store)
        trim_heap()  # reading the whole catalogue freed far more than the index keeps


def source_health_details(described: dict[str, Any]) -> dict[str, Any]:
    """The health page's view of one described source: credentials by name, then its state."""
    credentials = {
        c["env"]: "set" if c["set"] else ("missing" if c["required"] else "not set")
        for c in described["credentials"]
    }
    return {
        "credentials": credentials,
        **{
            key: described[key]
            for key in (
                "breaker_retry_in",
                "breaker_last_error",
                "rate_limit",
                "requests_sent",
                "cache_hits",
                "stale_served",
                "last_outcome",
                "last_error",
            )
        },
    }
