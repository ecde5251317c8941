"""One configuration composed for a benchmark: the app of the composition root with one adapter changed,
its search index (reused when the home's was built with that model, else built and timed), and the narrow
calls a workload makes (``ports.workload.WorkloadContext``)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import attrs
from anyio.from_thread import BlockingPortal, start_blocking_portal

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.services.indexing import build_index, content_texts
from anime_mcp.core.services.search import SearchService
from anime_mcp.entrypoints.bench.configurations import CLIENT_LOCAL, EDGE, Configuration
from anime_mcp.entrypoints.bench.ingest_sample import ingest_into_fresh_home, write_sample
from anime_mcp.entrypoints.bootstrap import App, Overrides, bootstrap
from anime_mcp.entrypoints.replay_setup import replay_transport
from anime_mcp.entrypoints.search_setup import search_components
from anime_mcp.entrypoints.settings import ConfigError, ReplaySettings, Settings
from anime_mcp.entrypoints.source_settings import parse_source_overrides
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters, to_filters
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import Embedder, ModelInfo
from anime_mcp.ports.plugin_host import PluginHost
from anime_mcp.ports.source import SourceKind
from anime_mcp.ports.vector_index import IndexManifest

DETAIL_FIELDS = ["synopsis", "score", "episodes", "genres"]
# Replayed answers are the same every time: a platform's politeness limit would only measure itself.
REPLAY_POLICY: dict[str, Any] = {"rate_limits": [{"requests": 1000, "per_seconds": 1}]}


@attrs.frozen
class Environment:
    """What every configuration shares: settings, plugins, where work goes, the replay set-up."""

    settings: Settings
    plugins: PluginHost
    workdir: Path
    judged_dir: Path | None = None
    recordings: Path | None = None
    replay_latency: float = 0.0
    replay_faults: str = ""  # "503:0.1,timeout:0.05" (adapters/http/faults.py)
    redis_url: str | None = None
    rebuild: bool = False
    catalogue_release: Path | None = None  # the ingest workload's sample comes from this release file
    ingest_entries: int = 1000
    params: Mapping[str, str] = attrs.field(factory=dict)  # bench --param NAME=VALUE
    shared_dir: Path | None = None  # real data and recordings (bench --shared)
    say: Callable[[str], None] = lambda line: None  # the run's progress lines


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off", ""})


def read_param(params: Mapping[str, str], name: str, default: Any) -> Any:
    """``params[name]`` read as the type of ``default`` (bool, int, float, Path or str)."""
    if name not in params:
        return default
    raw = params[name].strip()
    try:
        if isinstance(default, bool):
            if raw.lower() not in TRUE | FALSE:
                raise ValueError(raw)
            return raw.lower() in TRUE
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw).expanduser()
    except ValueError:
        kind = type(default).__name__.replace("bool", "true/false").replace("PosixPath", "path")
        raise ConfigError(f"--param {name}={raw!r}: expected {kind}") from None
    return raw


def configured_settings(env: Environment, config: Configuration) -> Settings:
    """The environment's settings with this configuration's adapters."""
    settings = env.settings
    search = attrs.evolve(settings.search, model=str(config.model_dir), qdrant_url=None)
    plugins = settings.plugins
    if config.index == CLIENT_LOCAL:
        search = attrs.evolve(search, qdrant_url=":memory:")
        plugins = attrs.evolve(plugins, index="qdrant-server")
    elif config.index == EDGE:
        plugins = attrs.evolve(plugins, index="qdrant-edge")
        if env.rebuild or not _home_index_fits(env, config):
            search = attrs.evolve(search, home=env.workdir / config.slug)
    else:  # a server: its own collection, never the deployment's
        search = attrs.evolve(search, qdrant_url=config.index, qdrant_alias=f"anime-bench-{config.slug}")
        plugins = attrs.evolve(plugins, index="qdrant-server")
    cache = attrs.evolve(settings.cache, redis_url=env.redis_url if config.cache == "redis" else None)
    policy = {**REPLAY_POLICY, **({"cacheable": False} if config.cache == "none" else {})}
    source_ids = [source.info.id for source in env.plugins.sources()]
    sources = parse_source_overrides({sid: policy for sid in source_ids}, where="bench")
    replay = settings.replay
    if env.recordings is not None:
        replay = ReplaySettings(
            dir=env.recordings,
            latency=env.replay_latency,
            faults=env.replay_faults,
            fault_seed=settings.replay.fault_seed,  # ANIME_MCP_REPLAY_FAULT_SEED
        )
    return attrs.evolve(settings, search=search, plugins=plugins, cache=cache, sources=sources, replay=replay)


def _home_index_fits(env: Environment, config: Configuration) -> bool:
    """Whether the home's own index was built with this model (then it is searched, never rebuilt)."""
    settings = env.settings
    try:
        parts = search_components(
            attrs.evolve(settings.search, model=str(config.model_dir), qdrant_url=None),
            env.plugins,
            attrs.evolve(settings.plugins, index="qdrant-edge"),
        )
        manifest = parts.backend.manifest()
    except AnimeMcpError:
        return False
    return _fits(manifest, parts.model)


def _fits(manifest: IndexManifest | None, model: ModelInfo) -> bool:
    return manifest is not None and (manifest.spec.model, manifest.spec.dimension) == (
        model.name,
        model.dimension,
    )


def without_query_memory(load: Callable[[], Embedder]) -> Callable[[], Embedder]:
    """The embedder with its memory of query vectors off: every timed query embeds its text. The ONNX
    embedder keeps 2,048 (``query_cache_size``), so the second and later passes over a judged set would be
    answered from memory and hide the very model an embedder comparison compares."""

    def loaded() -> Embedder:
        embedder = load()
        if hasattr(embedder, "query_cache_size"):
            embedder.query_cache_size = 0
        return embedder

    return loaded


class BenchContext:
    """A composed configuration (``WorkloadContext``); ``close`` releases its event loop and runtimes."""

    def __init__(self, env: Environment, config: Configuration, source_ids: Sequence[str]) -> None:
        self.config = config
        self.label = ""
        self._env = env
        self.source_ids = list(source_ids)  # none: every source that can add the fields
        self._settings = configured_settings(env, config)
        self._app: App | None = None  # composed when a workload first needs it (see ``app``)
        self.compose_seconds: float | None = None
        # (seconds built, or None; reused): the index is built when a workload first searches, so the
        # workloads that never search (ingest, enrichment) do not pay for it
        self.index: tuple[float | None, bool] | None = None
        self._search: SearchService | None = None
        self._stack = ExitStack()
        self._portal: BlockingPortal | None = None
        self._runtime: Any = None
        self._tools: Any = None
        self._targets: dict[str, frozenset[str]] | None = None  # reference -> sources recorded for it
        self.workdir = env.workdir
        self.shared_dir = env.shared_dir
        self.settings = self._settings

    # --- composing ---------------------------------------------------------------------------------
    @property
    def app(self) -> App:
        """The composition of this configuration, made on first use: a self-contained workload (one that
        builds its own home) runs without the home's catalogue or model ever being opened."""
        if self._app is None:
            started = time.perf_counter()
            self._app = bootstrap(self._settings, overrides=Overrides(plugins=self._env.plugins))
            self.compose_seconds = time.perf_counter() - started
        return self._app

    @property
    def composed(self) -> bool:
        return self._app is not None

    @property
    def catalogue(self) -> Catalogue:
        return self.app.catalogue

    def _index(self) -> tuple[float | None, bool]:
        parts = self.app.search_parts()
        # an index a kept --workdir holds from an earlier run is reused, unless --rebuild asks otherwise
        if not self._env.rebuild and _fits(parts.backend.manifest(), parts.model):
            return None, True
        started = time.perf_counter()
        build_index(
            self.app.catalogue,
            parts.embedder(),
            parts.encoder,
            parts.backend,
            contents=content_texts(self.app.enrichment_store()),
            story_encoder=parts.story_encoder,
            reindex=True,
        )
        return time.perf_counter() - started, False

    def ensure_index(self) -> None:
        if self.index is None:
            self.index = self._index()

    def service(self) -> SearchService:
        self.ensure_index()
        if self._search is None:
            parts = self.app.search_parts()
            self._search = SearchService(
                self.app.catalogue,
                parts.backend.open(),
                parts.encoder,
                # its own embedder: the app's (a Runtime's, a serve baseline's) keeps its query memory
                without_query_memory(
                    lambda: parts.embedder_provider.load(
                        parts.model_dir, threads=parts.settings.embed_threads
                    )
                ),
                parts.model,
                platforms=self.app.plugins.platforms(),
                story_encoder=parts.story_encoder,
            )
        return self._search

    @property
    def model(self) -> Any:
        return self.app.search_parts().model

    # --- WorkloadContext ----------------------------------------------------------------------------
    @property
    def release(self) -> Path | None:
        """The catalogue release file the run was given (``bench --catalogue``, or ANIME_MCP_CATALOGUE)."""
        return self._env.catalogue_release

    def progress(self, line: str) -> None:
        self._env.say(f"  {self.label}: {line}" if self.label else f"  {line}")

    def param(self, name: str, default: Any) -> Any:
        return read_param(self._env.params, name, default)

    def process_env(self) -> dict[str, str]:
        """The environment of an ``anime-mcp`` child process (``serve``, ``mcp``) of this configuration:
        this process's environment with the home, the model, the index backend and the cache's Redis. A
        child opens the home's own index (or a server's), so a configuration whose index lives only in this
        process (the qdrant-client local mode) or in the workdir (another model) is refused, saying why."""
        search = self._settings.search
        if self.config.index == CLIENT_LOCAL or search.home != self._settings.home:
            raise ConfigError(
                f"{self.config.model_dir.name} on {self.config.index}: a process workload runs on the home's "
                "own index or a Qdrant server (ingest the home with that model, or pick the home's model)"
            )
        env = dict(os.environ)
        wanted = {
            "ANIME_MCP_HOME": str(self._settings.home),
            "ANIME_MCP_MODEL": str(self.config.model_dir),
            "ANIME_MCP_INDEX": self._settings.plugins.index,
            "ANIME_MCP_QDRANT_URL": search.qdrant_url,
            "ANIME_MCP_QDRANT_ALIAS": search.qdrant_alias if search.qdrant_url else None,
            "ANIME_MCP_REDIS_URL": self._settings.cache.redis_url,
        }
        for key, value in wanted.items():
            if value:
                env[key] = value
            else:
                env.pop(key, None)
        return env

    def judged_set(self, name: str) -> Path | None:
        if self._env.judged_dir is None:
            return None
        path = self._env.judged_dir / name
        return path if path.is_file() else None

    def parse_filters(self, options: Mapping[str, Any]) -> SearchFilters:
        return to_filters(
            cli_filters(
                years=options.get("year"),
                types=options.get("type", ()),
                tags=options.get("tag", ()),
                studios=options.get("studio", ()),
                min_score=options.get("min_score"),
                platforms=options.get("platform", ()),
            )
        )

    def search(self, text: str, filters: SearchFilters, mode: SearchMode, limit: int) -> list[str]:
        found = self.service().search(text, filters, limit=limit, mode=mode)
        return [r.entry.anime_id for r in found]

    def similar(self, reference: str, limit: int) -> list[str]:
        entry = self.catalogue.by_anime_id(reference)
        if entry is not None and entry.sources:
            reference = str(entry.sources[0])
        return [r.entry.anime_id for r in self.service().similar(reference, limit=limit)[1]]

    def cold_start(self) -> float:
        self.ensure_index()
        started = time.perf_counter()
        app = bootstrap(self._settings, overrides=Overrides(plugins=self._env.plugins))
        parts = app.search_parts()
        service = SearchService(
            app.catalogue,
            parts.backend.open(),
            parts.encoder,
            parts.embedder,
            parts.model,
            story_encoder=parts.story_encoder,
        )
        service.search("cowboy bebop", limit=10)
        return time.perf_counter() - started

    def ingest_sample(self) -> Mapping[str, float] | None:
        release = self._env.catalogue_release
        if release is None:
            return None
        sample = self._env.workdir / f"sample-{self._env.ingest_entries}.jsonl"
        if not sample.is_file():  # written once, shared by every configuration
            write_sample(release, self._env.ingest_entries, sample)
        return ingest_into_fresh_home(self._settings, self._env.plugins, sample)

    def enrichment_targets(self) -> Sequence[str]:
        """The targets some of this configuration's sources have recordings for."""
        asked = set(self.source_ids)
        return [t for t, sources in self.recorded().items() if not asked or sources & asked]

    def recorded(self) -> dict[str, frozenset[str]]:
        """One reference per anime the recordings answer ``fetch`` calls about, with the sources of the
        platforms recorded for it: a target asks those alone, so a missing recording never counts as a
        failure (nor opens a breaker), and injected faults are the only failures."""
        if self._targets is None:
            self._targets = self._find_targets()
        return self._targets

    def _find_targets(self) -> dict[str, frozenset[str]]:
        if self._env.recordings is None:
            return {}
        transport = replay_transport(ReplaySettings(dir=self._env.recordings))
        by_platform: dict[tuple[str, bool], set[str]] = {}  # (platform, scraped) -> source ids
        for source in self.app.plugins.sources():
            key = (str(source.info.platform), source.info.kind == SourceKind.SCRAPE)
            by_platform.setdefault(key, set()).add(source.info.id)
        first: dict[str, str] = {}
        sources: dict[str, set[str]] = {}
        for recording in transport.recordings:
            scraped = recording.file.suffix.lower() in {".html", ".htm"}  # else an API answer
            for call in recording.calls:
                verb, _, rest = call.partition(" ")
                if verb != "fetch" or not rest:
                    continue
                reference = rest.split(" ", 1)[0]
                try:
                    found = lookup(self.catalogue, reference, self.app.plugins.platforms())
                except AnimeMcpError:
                    continue
                anime_id = found.entry.anime_id
                first.setdefault(anime_id, reference)
                platform = reference.split(":", 1)[0]
                sources.setdefault(anime_id, set()).update(by_platform.get((platform, scraped), ()))
        return {first[a]: frozenset(ids) for a, ids in sources.items() if ids}

    def enrich(self, reference: str) -> Mapping[str, str]:
        portal = self._start()
        answer = portal.call(self._details, reference)
        return {
            o["source"]: o["status"] + (f": {o['reason']}" if o.get("reason") else "")
            for o in answer["degradation"]["outcomes"]
        }

    async def _details(self, reference: str) -> dict[str, Any]:
        recorded = self.recorded().get(reference, frozenset())
        asked = sorted(recorded & set(self.source_ids) if self.source_ids else recorded)
        arguments: dict[str, Any] = {"anime_id": reference, "fields": DETAIL_FIELDS}
        if asked:
            arguments["sources"] = asked
        result = await self._tools.call(self._runtime, "get_anime_details", arguments, face="cli")
        output: dict[str, Any] = result.output
        return output

    def _start(self) -> BlockingPortal:
        """One event loop per configuration: the HTTP and Redis clients stay on the loop they were made on."""
        if self._portal is None:
            from anime_mcp.entrypoints.runtime import Runtime
            from anime_mcp.entrypoints.tools import build_tools

            self._portal = self._stack.enter_context(start_blocking_portal())
            self._runtime = Runtime(self.app)
            self._tools = build_tools(self._runtime)
        return self._portal

    def close(self) -> None:
        if self._portal is not None and self._runtime is not None:
            self._portal.call(self._runtime.aclose)
        self._stack.close()


def replayed_source_ids(context: BenchContext) -> list[str]:
    """The sources the recordings serve (read from the recordings, nothing asked)."""
    return sorted({s for sources in context.recorded().values() for s in sources})
