"""The typed plugin host: the only code (besides hookspecs) that touches pluggy.

Entry points of the ``anime_mcp`` group are loaded one at a time inside try/except, so a plugin that fails
to import, registers nothing valid or raises in a hook is recorded with its error and never stops the rest.

``ANIME_MCP_TRACE_PLUGINS=1`` writes one line to stderr (never stdout: it is the MCP stdio channel) per
entry point loaded, per hook call (plugin, duration, result or error) and per object registered.
"""

from __future__ import annotations

import enum
import importlib.metadata as md
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, Literal, cast

import pluggy
from attrs import define, field, frozen

from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platforms, PlatformSpec
from anime_mcp.ports import hookspecs
from anime_mcp.ports.cache import CacheProvider
from anime_mcp.ports.catalogue import CatalogueReader
from anime_mcp.ports.embedder import EmbedderProvider
from anime_mcp.ports.enrichment_store import BulkSource
from anime_mcp.ports.image_embedder import ImageEmbedderProvider
from anime_mcp.ports.planning import Planner
from anime_mcp.ports.source import Source
from anime_mcp.ports.vector_index import VectorIndexProvider
from anime_mcp.ports.workload import Workload

ENTRY_POINT_GROUP = hookspecs.PROJECT
LOAD_ENV = "ANIME_MCP_LOAD_PLUGINS"
DISABLE_ENV = "ANIME_MCP_DISABLE_PLUGINS"
TRACE_ENV = "ANIME_MCP_TRACE_PLUGINS"

Trace = Callable[[str], None]

# Each register hook and the port its registered objects must implement.
REGISTER_HOOKS: dict[str, type] = {
    "register_catalogue_readers": CatalogueReader,
    "register_sources": Source,
    "register_embedders": EmbedderProvider,
    "register_image_embedders": ImageEmbedderProvider,
    "register_vector_indexes": VectorIndexProvider,
    "register_caches": CacheProvider,
    "register_platforms": PlatformSpec,
    "register_planners": Planner,
    "register_bulk_sources": BulkSource,
    "register_workloads": Workload,
}


class PluginStatus(enum.StrEnum):
    """How a plugin fared; ``PluginRecord.detail`` says why, for every status but OK."""

    OK = "ok"
    DISABLED = "disabled"  # not loaded on purpose: allow-list or block-list
    FAILED = "failed"  # importing it or one of its hooks raised
    INVALID = "invalid"  # loaded, but does not fit: unknown hook, bad signature, conflicting platform

    @property
    def broken(self) -> bool:
        """Failed or invalid: worth a warning (a disabled plugin is not)."""
        return self in (PluginStatus.FAILED, PluginStatus.INVALID)


@define
class PluginRecord:
    """What we know about one plugin, whether it loaded or not."""

    name: str
    entry_point: str
    distribution: str | None
    version: str | None
    status: PluginStatus = PluginStatus.OK
    detail: str | None = None  # why it is disabled, failed or invalid
    hooks: list[str] = field(factory=list)
    registered: dict[str, list[str]] = field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "distribution": self.distribution,
            "entry_point": self.entry_point,
            "hooks": sorted(self.hooks),
            "registered": {k: v for k, v in sorted(self.registered.items()) if v},
            "status": self.status.value,
            "detail": self.detail,
        }


@frozen
class PluginSelection:
    """Which entry points to load: ``allow`` None means all; an empty allow-list loads none."""

    allow: frozenset[str] | None = None
    deny: frozenset[str] = frozenset()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> PluginSelection:
        env = os.environ if environ is None else environ

        def names(value: str) -> frozenset[str]:
            return frozenset(n.strip() for n in value.split(",") if n.strip())

        allow = names(env[LOAD_ENV]) if LOAD_ENV in env else None
        return cls(allow=allow, deny=names(env.get(DISABLE_ENV, "")))

    def refusal(self, name: str) -> str | None:
        """Why the plugin ``name`` is disabled, or None when it may load."""
        if name in self.deny:
            return f"listed in {DISABLE_ENV}"
        if self.allow is not None and name not in self.allow:
            return f"not listed in {LOAD_ENV}"
        return None


def stderr_trace(line: str) -> None:
    """Write one trace line to the current stderr (looked up at each call: tests swap it)."""
    sys.stderr.write(f"anime-mcp plugins: {line}\n")
    sys.stderr.flush()


def trace_from_env(environ: Mapping[str, str] | None = None) -> Trace | None:
    env = os.environ if environ is None else environ
    value = env.get(TRACE_ENV, "").strip().lower()
    return stderr_trace if value and value not in ("0", "false", "no", "off") else None


def _describe(obj: object) -> str:
    if isinstance(obj, PlatformSpec):
        return obj.id.value
    for attr in ("name", "id"):
        value = getattr(obj, attr, None)
        if isinstance(value, str):
            return value
    info = getattr(obj, "info", None)
    if info is not None and isinstance(getattr(info, "id", None), str):
        return str(info.id)
    return type(obj).__name__


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.2f}ms"


class PluginHost:
    """Loads plugins and collects what their ``register_*`` hooks hand over.

    ``trace`` receives one line per load, hook call and registration: None (the default) writes them to
    stderr when ``ANIME_MCP_TRACE_PLUGINS`` is set, False never traces.
    """

    def __init__(self, *, trace: Trace | Literal[False] | None = None) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._records: dict[str, PluginRecord] = {}
        self._registered: dict[str, list[tuple[str, object]]] = {hook: [] for hook in REGISTER_HOOKS}
        self._collected = False
        self._called: set[str] = set()  # plugins whose register hooks have run (they run once each)
        self._platforms = BUILTIN_PLATFORMS
        self._trace: Trace | None = trace_from_env() if trace is None else trace or None

    def _log(self, line: str) -> None:
        if self._trace is not None:
            self._trace(line)

    def _set_status(self, record: PluginRecord, status: PluginStatus, detail: str) -> None:
        record.status, record.detail = status, detail
        self._log(f"{status.value} plugin={record.name}: {detail}")

    # --- loading ---------------------------------------------------------------------------------
    def load_entry_points(
        self,
        selection: PluginSelection | None = None,
        entry_points: Iterable[md.EntryPoint] | None = None,
    ) -> None:
        selection = selection or PluginSelection.from_env()
        eps = md.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
        # A distribution's name and version, read once for all its entry points: each read parses its
        # METADATA file again (44 times for ours: a fortieth of a second at every start). The distribution
        # is kept beside them, so that its id is not reused.
        named: dict[int, tuple[object, str | None, str | None]] = {}
        for ep in sorted(eps, key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            if dist is not None and id(dist) not in named:
                named[id(dist)] = (dist, dist.name, dist.version)
            _, distribution, version = named[id(dist)] if dist is not None else (None, None, None)
            record = PluginRecord(
                name=ep.name,
                entry_point=f"{ep.name} = {ep.value}",
                distribution=distribution,
                version=version,
            )
            self._records[ep.name] = record
            refusal = selection.refusal(ep.name)
            if refusal is not None:
                self._set_status(record, PluginStatus.DISABLED, refusal)
                continue
            started = time.perf_counter()
            try:
                plugin = ep.load()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                self._set_status(record, PluginStatus.FAILED, f"failed to load: {_error_text(exc)}")
                continue
            self._log(f"load plugin={ep.name} entry_point={ep.value!r} {_ms(started)}")
            self._register(ep.name, plugin, record)
        self._validate()

    def register_module(self, name: str, plugin: ModuleType | object) -> None:
        """Register an in-process plugin (tests, embedding applications)."""
        record = PluginRecord(
            name=name, entry_point=f"{name} (registered in process)", distribution=None, version=None
        )
        self._records[name] = record
        self._register(name, plugin, record)
        self._validate()

    def _register(self, name: str, plugin: object, record: PluginRecord) -> None:
        try:
            self._pm.register(plugin, name=name)
        except Exception as exc:  # noqa: BLE001 - pluggy validation of hook signatures
            self._set_status(record, PluginStatus.INVALID, _error_text(exc))
            return
        record.hooks = [caller.name for caller in self._pm.get_hookcallers(plugin) or []]
        self._log(f"register plugin={name} hooks={','.join(sorted(record.hooks)) or '-'}")
        self._collected = False

    def _validate(self) -> None:
        """Unregister plugins that implement hooks we do not define, instead of failing everything."""
        while True:
            try:
                self._pm.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self._pm.get_name(exc.plugin)
                self._pm.unregister(exc.plugin)
                if name in self._records:
                    self._set_status(self._records[name], PluginStatus.INVALID, str(exc))

    # --- collecting registrations -----------------------------------------------------------------
    def _collect(self) -> None:
        if self._collected:
            return
        called: set[str] = set()
        for hook in REGISTER_HOOKS:
            # Call each implementation on its own, so one raising hook costs only its own plugin; a plugin
            # registered after an earlier collection adds to it without running the others' hooks again.
            for impl in getattr(self._pm.hook, hook).get_hookimpls():
                if impl.plugin_name not in self._called:
                    called.add(impl.plugin_name)
                    self._call_impl(hook, impl)
        self._called |= called
        self._platforms = self._build_platforms()
        self._collected = True

    def _call_impl(self, hook: str, impl: Any) -> None:
        name = impl.plugin_name
        record = self._records.get(name)
        if record is not None and record.status is not PluginStatus.OK:
            return
        found: list[tuple[str, object]] = []
        arguments: dict[str, Callable[[Any], None]] = {"register": lambda obj: found.append((name, obj))}
        port = REGISTER_HOOKS[hook]
        self._log(f"call hook={hook} plugin={name}")
        started = time.perf_counter()
        try:
            impl.function(**{arg: arguments[arg] for arg in impl.argnames})
            for _, obj in found:
                if not isinstance(obj, port):
                    raise TypeError(f"{obj!r} does not implement the {port.__name__} port")
        except Exception as exc:  # noqa: BLE001 - one faulty plugin must not break the others
            self._log(f"return hook={hook} plugin={name} {_ms(started)} error={_error_text(exc)!r}")
            if record is not None:
                self._withdraw(record, PluginStatus.FAILED, f"{hook} failed: {_error_text(exc)}")
            return
        self._log(f"return hook={hook} plugin={name} {_ms(started)} result=ok registered={len(found)}")
        for _, obj in found:
            self._log(
                f"registered plugin={name} hook={hook} kind={port.__name__} "
                f"object={_describe(obj)!r} type={type(obj).__name__}"
            )
        self._registered[hook].extend(found)
        if record is not None:
            record.registered[hook.removeprefix("register_")] = [_describe(obj) for _, obj in found]

    def _withdraw(self, record: PluginRecord, status: PluginStatus, detail: str) -> None:
        """Mark a plugin unusable and take back everything it registered."""
        self._set_status(record, status, detail)
        for registered in self._registered.values():
            registered[:] = [item for item in registered if item[0] != record.name]
        for key in record.registered:
            record.registered[key] = []

    def _declared_platforms(self) -> dict[str, list[PlatformSpec]]:
        declared: dict[str, list[PlatformSpec]] = {}
        for plugin, obj in self._registered["register_platforms"]:
            declared.setdefault(plugin, []).append(cast(PlatformSpec, obj))
        for plugin, source in self._registered["register_sources"]:
            spec = cast(Source, source).info.platform_spec
            if spec is not None:
                declared.setdefault(plugin, []).append(spec)
        return declared

    def _platform_problems(self, declared: dict[str, list[PlatformSpec]]) -> dict[str, str]:
        """Plugins whose platforms clash with a built-in one, another plugin's, or their own."""
        problems: dict[str, str] = {}
        for plugin, specs in sorted(declared.items()):
            try:
                BUILTIN_PLATFORMS.with_specs(specs)
            except ValueError as exc:
                problems[plugin] = f"platform conflict: {exc}"
        names = sorted(p for p in declared if p not in problems)
        for i, first in enumerate(names):
            for second in names[i + 1 :]:
                try:
                    Platforms(()).with_specs([*declared[first], *declared[second]])
                except ValueError as exc:
                    problems[first] = f"platform conflict with plugin {second}: {exc}"
                    problems[second] = f"platform conflict with plugin {first}: {exc}"
        return problems

    def _build_platforms(self) -> Platforms:
        """The built-in platforms plus those plugins declare; a plugin that conflicts is made invalid, as is
        one whose source names a platform nobody describes."""
        while True:
            declared = self._declared_platforms()
            problems = self._platform_problems(declared)
            if not problems:
                platforms = BUILTIN_PLATFORMS.with_specs(
                    spec for plugin in sorted(declared) for spec in declared[plugin]
                )
                for plugin, source in self._registered["register_sources"]:
                    info = cast(Source, source).info
                    if info.platform not in platforms:
                        problems[plugin] = (
                            f"source {info.id} is for platform {info.platform.value!r}, which no plugin "
                            "describes: give its SourceInfo a platform_spec"
                        )
            if not problems:
                return platforms
            for plugin, problem in sorted(problems.items()):
                record = self._records.get(plugin)
                if record is None:  # cannot happen: every registered plugin has a record
                    record = self._records[plugin] = PluginRecord(plugin, plugin, None, None)
                self._withdraw(record, PluginStatus.INVALID, problem)

    def registered(self, hook: str) -> list[object]:
        self._collect()
        return [obj for _, obj in self._registered[hook]]

    # --- typed accessors ---------------------------------------------------------------------------
    def catalogue_readers(self) -> list[CatalogueReader]:
        return cast(list[CatalogueReader], self.registered("register_catalogue_readers"))

    def sources(self) -> list[Source]:
        return cast(list[Source], self.registered("register_sources"))

    def embedders(self) -> list[EmbedderProvider]:
        return cast(list[EmbedderProvider], self.registered("register_embedders"))

    def image_embedders(self) -> list[ImageEmbedderProvider]:
        return cast(list[ImageEmbedderProvider], self.registered("register_image_embedders"))

    def vector_indexes(self) -> list[VectorIndexProvider]:
        return cast(list[VectorIndexProvider], self.registered("register_vector_indexes"))

    def caches(self) -> list[CacheProvider]:
        return cast(list[CacheProvider], self.registered("register_caches"))

    def planners(self) -> list[Planner]:
        return cast(list[Planner], self.registered("register_planners"))

    def bulk_sources(self) -> list[BulkSource]:
        return cast(list[BulkSource], self.registered("register_bulk_sources"))

    def workloads(self) -> list[Workload]:
        return cast(list[Workload], self.registered("register_workloads"))

    def platforms(self) -> Platforms:
        """The built-in platforms plus those declared by plugins (``register_platforms`` hooks and
        ``SourceInfo.platform_spec``): pass it to ``parse_reference`` and ``canonical_url``."""
        self._collect()
        return self._platforms

    def list_plugins(self) -> list[dict[str, Any]]:
        """One description per plugin, the same for the CLI, REST and MCP."""
        self._collect()
        return [record.as_dict() for _, record in sorted(self._records.items())]
