"""The typed plugin host: the only code (besides hookspecs) that touches pluggy.

Entry points of the ``anime_mcp`` group are loaded one at a time inside try/except, so a plugin that fails
to import, registers nothing valid or raises in a hook is recorded with its error and never stops the rest.
"""

from __future__ import annotations

import importlib.metadata as md
import os
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any, cast

import pluggy
from attrs import define, field, frozen

from anime_mcp.ports import hookspecs
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.catalogue import CatalogueReader
from anime_mcp.ports.embedder import EmbedderProvider
from anime_mcp.ports.source import Source
from anime_mcp.ports.vector_index import VectorIndexProvider

ENTRY_POINT_GROUP = hookspecs.PROJECT
LOAD_ENV = "ANIME_MCP_LOAD_PLUGINS"
DISABLE_ENV = "ANIME_MCP_DISABLE_PLUGINS"

# Each register hook and the port its registered objects must implement.
REGISTER_HOOKS: dict[str, type] = {
    "register_catalogue_readers": CatalogueReader,
    "register_sources": Source,
    "register_embedders": EmbedderProvider,
    "register_vector_indexes": VectorIndexProvider,
    "register_caches": Cache,
}


@define
class PluginRecord:
    """What we know about one plugin, whether it loaded or not."""

    name: str
    entry_point: str
    distribution: str | None
    version: str | None
    status: str = "ok"  # "ok", "disabled: ...", or the load/registration error
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
            "status": self.status,
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
        if name in self.deny:
            return f"disabled: listed in {DISABLE_ENV}"
        if self.allow is not None and name not in self.allow:
            return f"disabled: not listed in {LOAD_ENV}"
        return None


def _describe(obj: object) -> str:
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


class PluginHost:
    """Loads plugins and collects what their ``register_*`` hooks hand over."""

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT)
        self._pm.add_hookspecs(hookspecs)
        self._records: dict[str, PluginRecord] = {}
        self._registered: dict[str, list[tuple[str, object]]] = {hook: [] for hook in REGISTER_HOOKS}
        self._collected = False
        self._called: set[str] = set()  # plugins whose register hooks have run (they run once each)
        if os.environ.get("ANIME_MCP_TRACE_PLUGINS"):
            self._pm.trace.root.setwriter(lambda message: print(message, end=""))
            self._pm.enable_tracing()

    # --- loading ---------------------------------------------------------------------------------
    def load_entry_points(
        self,
        selection: PluginSelection | None = None,
        entry_points: Iterable[md.EntryPoint] | None = None,
    ) -> None:
        selection = selection or PluginSelection.from_env()
        eps = md.entry_points(group=ENTRY_POINT_GROUP) if entry_points is None else entry_points
        for ep in sorted(eps, key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            record = PluginRecord(
                name=ep.name,
                entry_point=f"{ep.name} = {ep.value}",
                distribution=dist.name if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            self._records[ep.name] = record
            refusal = selection.refusal(ep.name)
            if refusal is not None:
                record.status = refusal
                continue
            try:
                plugin = ep.load()
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt):
                    raise
                record.status = f"failed to load: {_error_text(exc)}"
                continue
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
            record.status = f"invalid plugin: {_error_text(exc)}"
            return
        record.hooks = [caller.name for caller in self._pm.get_hookcallers(plugin) or []]
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
                    self._records[name].status = f"invalid plugin: {exc}"

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
        self._collected = True

    def _call_impl(self, hook: str, impl: Any) -> None:
        name = impl.plugin_name
        record = self._records.get(name)
        if record is not None and record.status != "ok":
            return
        found: list[tuple[str, object]] = []
        arguments: dict[str, Callable[[Any], None]] = {"register": lambda obj: found.append((name, obj))}
        port = REGISTER_HOOKS[hook]
        try:
            impl.function(**{arg: arguments[arg] for arg in impl.argnames})
            for _, obj in found:
                if not isinstance(obj, port):
                    raise TypeError(f"{obj!r} does not implement the {port.__name__} port")
        except Exception as exc:  # noqa: BLE001 - one faulty plugin must not break the others
            if record is not None:
                record.status = f"{hook} failed: {_error_text(exc)}"
                for registered in self._registered.values():
                    registered[:] = [item for item in registered if item[0] != name]
                for key in record.registered:
                    record.registered[key] = []
            return
        self._registered[hook].extend(found)
        if record is not None:
            record.registered[hook.removeprefix("register_")] = [_describe(obj) for _, obj in found]

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

    def vector_indexes(self) -> list[VectorIndexProvider]:
        return cast(list[VectorIndexProvider], self.registered("register_vector_indexes"))

    def caches(self) -> list[Cache]:
        return cast(list[Cache], self.registered("register_caches"))

    def list_plugins(self) -> list[dict[str, Any]]:
        """One description per plugin, the same for the CLI, REST and MCP."""
        self._collect()
        return [record.as_dict() for _, record in sorted(self._records.items())]
