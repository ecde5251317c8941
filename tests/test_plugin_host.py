"""The plugin host in process: entry points built here, never whatever happens to be installed."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import json
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from anime_mcp.ports.catalogue import CatalogueReader
from anime_mcp.ports.hookspecs import hookimpl
from anime_mcp.ports.plugin_host import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    LOAD_ENV,
    REGISTER_HOOKS,
    PluginHost,
    PluginSelection,
)

KEYS = {"name", "version", "distribution", "entry_point", "hooks", "registered", "status"}


class FakeReader:
    """The smallest object that satisfies the CatalogueReader port."""

    def __init__(self, name: str = "fake-reader") -> None:
        self.name = name

    def can_read(self, path: Path) -> bool:
        return False

    def read(self, path: Path, *, strict: bool, progress: Any = None) -> Any:
        raise NotImplementedError


@pytest.fixture(autouse=True)
def _no_selection_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LOAD_ENV, raising=False)
    monkeypatch.delenv(DISABLE_ENV, raising=False)


ModuleFactory = Callable[..., str]


@pytest.fixture
def module(monkeypatch: pytest.MonkeyPatch) -> ModuleFactory:
    """Build an importable in-memory module from keyword attributes; returns its (unique) name."""

    def make(**attributes: object) -> str:
        name = f"anime_mcp_test_plugin_{uuid.uuid4().hex[:12]}"
        mod = ModuleType(name)
        for key, value in attributes.items():
            setattr(mod, key, value)
        monkeypatch.setitem(sys.modules, name, mod)
        return name

    return make


@pytest.fixture
def module_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], str]]:
    """Write a real module file (for plugins that fail while importing); returns its name."""
    directory = tmp_path / "plugin_modules"
    directory.mkdir()
    monkeypatch.syspath_prepend(str(directory))
    names: list[str] = []

    def make(source: str) -> str:
        name = f"anime_mcp_test_file_plugin_{uuid.uuid4().hex[:12]}"
        (directory / f"{name}.py").write_text(source, encoding="utf-8")
        importlib.invalidate_caches()
        names.append(name)
        return name

    yield make
    for name in names:
        sys.modules.pop(name, None)


def ep(name: str, value: str) -> md.EntryPoint:
    return md.EntryPoint(name=name, value=value, group=ENTRY_POINT_GROUP)


def reader_plugin(*readers: object, calls: list[str] | None = None) -> dict[str, object]:
    @hookimpl
    def register_catalogue_readers(register: Callable[[object], None]) -> None:
        if calls is not None:
            calls.append("register_catalogue_readers")
        for reader in readers:
            register(reader)

    return {"register_catalogue_readers": register_catalogue_readers}


def load(*entry_points: md.EntryPoint, selection: PluginSelection | None = None) -> PluginHost:
    host = PluginHost()
    host.load_entry_points(selection or PluginSelection(), entry_points=list(entry_points))
    return host


def by_name(host: PluginHost) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in host.list_plugins()}


# --- a good plugin --------------------------------------------------------------------------------------


def test_good_plugin_is_ok_with_its_hooks_and_registrations(module: ModuleFactory) -> None:
    reader = FakeReader("hello-reader")
    mod = module(**reader_plugin(reader))
    host = load(ep("hello", mod))

    assert host.list_plugins() == [
        {
            "name": "hello",
            "version": None,
            "distribution": None,
            "entry_point": f"hello = {mod}",
            "hooks": ["register_catalogue_readers"],
            "registered": {"catalogue_readers": ["hello-reader"]},
            "status": "ok",
        }
    ]
    assert host.catalogue_readers() == [reader]
    assert isinstance(host.catalogue_readers()[0], CatalogueReader)
    assert all(host.registered(hook) == [] for hook in REGISTER_HOOKS if hook != "register_catalogue_readers")


def test_listing_has_exactly_the_documented_keys_and_is_json(module: ModuleFactory) -> None:
    host = load(ep("a", module(**reader_plugin(FakeReader()))), ep("b", "no_such_module_for_anime_mcp_tests"))
    listing = host.list_plugins()
    assert [p["name"] for p in listing] == ["a", "b"]
    for plugin in listing:
        assert set(plugin) == KEYS
    assert json.loads(json.dumps(listing)) == listing


def test_version_and_distribution_come_from_the_installed_distribution(
    tmp_path: Path, module: ModuleFactory
) -> None:
    mod = module(**reader_plugin(FakeReader("dist-reader")))
    info = tmp_path / "site" / "anime_mcp_hello-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: anime-mcp-hello\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nhello = {mod}\n")
    (dist,) = md.distributions(path=[str(tmp_path / "site")])
    entry_points = list(dist.entry_points.select(group=ENTRY_POINT_GROUP))

    host = load(*entry_points)

    (plugin,) = host.list_plugins()
    assert plugin["distribution"] == "anime-mcp-hello"
    assert plugin["version"] == "1.2.3"
    assert plugin["entry_point"] == f"hello = {mod}"
    assert plugin["status"] == "ok"
    assert plugin["registered"] == {"catalogue_readers": ["dist-reader"]}


def test_module_attribute_entry_points_and_several_readers(module: ModuleFactory) -> None:
    class Plugin:
        @hookimpl
        def register_catalogue_readers(self, register: Callable[[object], None]) -> None:
            register(FakeReader("one"))
            register(FakeReader("two"))

    mod = module(plugin=Plugin())
    host = load(ep("object_plugin", f"{mod}:plugin"))
    assert by_name(host)["object_plugin"]["registered"] == {"catalogue_readers": ["one", "two"]}
    assert [r.name for r in host.catalogue_readers()] == ["one", "two"]


def test_register_module_in_process(module: ModuleFactory) -> None:
    reader = FakeReader("in-process")
    host = PluginHost()
    host.register_module("inproc", sys.modules[module(**reader_plugin(reader))])
    assert host.catalogue_readers() == [reader]
    (plugin,) = host.list_plugins()
    assert plugin["status"] == "ok"
    assert plugin["entry_point"] == "inproc (registered in process)"


def test_hooks_run_once_however_often_registrations_are_asked_for(module: ModuleFactory) -> None:
    calls: list[str] = []
    host = load(ep("once", module(**reader_plugin(FakeReader(), calls=calls))))
    host.catalogue_readers()
    host.catalogue_readers()
    host.list_plugins()
    assert calls == ["register_catalogue_readers"]


# --- plugins that fail to import ------------------------------------------------------------------------


def test_a_plugin_that_fails_to_import_is_listed_and_the_others_still_work(
    module: ModuleFactory, module_file: Callable[[str], str]
) -> None:
    good = FakeReader("good-reader")
    broken = module_file('raise RuntimeError("boom: missing dependency")\n')
    exits = module_file("import sys\nsys.exit(3)\n")
    host = load(
        ep("broken", broken),
        ep("exits", exits),
        ep("good", module(**reader_plugin(good))),
        ep("missing", "anime_mcp_no_such_module_anywhere"),
        ep("no_attribute", f"{module(**reader_plugin(FakeReader()))}:nothing_here"),
    )
    plugins = by_name(host)

    assert plugins["broken"]["status"] == "failed to load: RuntimeError: boom: missing dependency"
    assert plugins["broken"]["hooks"] == []
    assert plugins["broken"]["registered"] == {}
    assert plugins["exits"]["status"].startswith("failed to load: SystemExit")
    assert plugins["missing"]["status"].startswith("failed to load: ModuleNotFoundError")
    assert "anime_mcp_no_such_module_anywhere" in plugins["missing"]["status"]
    assert plugins["no_attribute"]["status"].startswith("failed to load: AttributeError")
    assert plugins["good"]["status"] == "ok"
    assert plugins["good"]["registered"] == {"catalogue_readers": ["good-reader"]}
    assert host.catalogue_readers() == [good]


def test_keyboard_interrupt_while_importing_a_plugin_is_not_swallowed(
    module_file: Callable[[str], str],
) -> None:
    with pytest.raises(KeyboardInterrupt):
        load(ep("ctrl_c", module_file("raise KeyboardInterrupt\n")))


# --- plugins whose hooks fail ---------------------------------------------------------------------------


def test_a_register_hook_that_raises_is_listed_and_registers_nothing(module: ModuleFactory) -> None:
    @hookimpl
    def register_catalogue_readers(register: Callable[[object], None]) -> None:
        register(FakeReader("half-done"))
        raise ValueError("cannot find my model files")

    good = FakeReader("good-reader")
    host = load(
        ep("raising", module(register_catalogue_readers=register_catalogue_readers)),
        ep("good", module(**reader_plugin(good))),
    )
    plugins = by_name(host)

    assert plugins["raising"]["status"] == (
        "register_catalogue_readers failed: ValueError: cannot find my model files"
    )
    assert plugins["raising"]["registered"] == {}
    assert plugins["raising"]["hooks"] == ["register_catalogue_readers"]
    assert plugins["good"]["status"] == "ok"
    assert host.catalogue_readers() == [good]


def test_a_failing_later_hook_withdraws_what_earlier_hooks_registered(module: ModuleFactory) -> None:
    @hookimpl
    def register_sources(register: Callable[[object], None]) -> None:
        raise RuntimeError("no API key")

    mod = module(**reader_plugin(FakeReader("withdrawn")), register_sources=register_sources)
    host = load(ep("partial", mod))
    (plugin,) = host.list_plugins()
    assert plugin["status"] == "register_sources failed: RuntimeError: no API key"
    assert plugin["registered"] == {}
    assert plugin["hooks"] == ["register_catalogue_readers", "register_sources"]
    assert host.catalogue_readers() == []
    assert host.sources() == []


@pytest.mark.parametrize("bad", ["not a reader", 42, object()], ids=["str", "int", "object"])
def test_registering_an_object_that_does_not_implement_the_port_is_reported(
    module: ModuleFactory, bad: object
) -> None:
    good = FakeReader("good-reader")
    host = load(
        ep("wrong_type", module(**reader_plugin(FakeReader("would-be-fine"), bad))),
        ep("good", module(**reader_plugin(good))),
    )
    plugins = by_name(host)
    status = plugins["wrong_type"]["status"]
    assert status.startswith("register_catalogue_readers failed: TypeError:")
    assert repr(bad) in status
    assert "does not implement the CatalogueReader port" in status
    assert plugins["wrong_type"]["registered"] == {}
    assert plugins["good"]["status"] == "ok"
    assert host.catalogue_readers() == [good]


def test_a_reader_missing_a_method_is_not_a_catalogue_reader(module: ModuleFactory) -> None:
    class NoRead:
        name = "no-read"

        def can_read(self, path: Path) -> bool:
            return True

    host = load(ep("incomplete", module(**reader_plugin(NoRead()))))
    (plugin,) = host.list_plugins()
    assert "does not implement the CatalogueReader port" in plugin["status"]
    assert host.catalogue_readers() == []


# --- plugins that do not fit the hook specifications ----------------------------------------------------


def test_an_unknown_hook_makes_the_plugin_invalid_and_the_others_still_work(module: ModuleFactory) -> None:
    calls: list[str] = []

    @hookimpl
    def register_nonsense(register: Callable[[object], None]) -> None:
        calls.append("register_nonsense")

    good = FakeReader("good-reader")
    host = load(
        ep(
            "nonsense",
            module(
                register_nonsense=register_nonsense, **reader_plugin(FakeReader("from-nonsense"), calls=calls)
            ),
        ),
        ep("good", module(**reader_plugin(good))),
    )
    plugins = by_name(host)

    assert plugins["nonsense"]["status"].startswith("invalid plugin:")
    assert "register_nonsense" in plugins["nonsense"]["status"]
    assert plugins["nonsense"]["registered"] == {}
    assert plugins["good"]["status"] == "ok"
    assert host.catalogue_readers() == [good]
    assert calls == []


def test_a_hook_with_an_unknown_argument_makes_the_plugin_invalid(module: ModuleFactory) -> None:
    calls: list[str] = []

    @hookimpl
    def register_caches(register: Callable[[object], None]) -> None:
        calls.append("register_caches")

    @hookimpl
    def register_catalogue_readers(register: Callable[[object], None], colour: str) -> None:
        calls.append("register_catalogue_readers")

    good = FakeReader("good-reader")
    host = load(
        ep(
            "bad_signature",
            module(register_caches=register_caches, register_catalogue_readers=register_catalogue_readers),
        ),
        ep("good", module(**reader_plugin(good))),
    )
    plugins = by_name(host)
    assert plugins["bad_signature"]["status"].startswith("invalid plugin: PluginValidationError")
    assert "colour" in plugins["bad_signature"]["status"]
    assert plugins["good"]["status"] == "ok"
    assert host.catalogue_readers() == [good]
    assert host.caches() == []
    assert calls == []


def test_a_plugin_without_any_hooks_is_ok_and_registers_nothing(module: ModuleFactory) -> None:
    host = load(ep("empty", module(something_else=1)))
    (plugin,) = host.list_plugins()
    assert plugin["status"] == "ok"
    assert plugin["hooks"] == []
    assert plugin["registered"] == {}


# --- choosing which plugins load ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "allow", "deny"),
    [
        ({}, None, frozenset()),
        ({LOAD_ENV: ""}, frozenset(), frozenset()),
        ({LOAD_ENV: "a,b"}, frozenset({"a", "b"}), frozenset()),
        ({LOAD_ENV: " a , b ,, "}, frozenset({"a", "b"}), frozenset()),
        ({DISABLE_ENV: "c"}, None, frozenset({"c"})),
        ({DISABLE_ENV: ""}, None, frozenset()),
        ({LOAD_ENV: "a", DISABLE_ENV: "a,c"}, frozenset({"a"}), frozenset({"a", "c"})),
    ],
    ids=["unset-loads-all", "empty-loads-none", "list", "spaces", "disable", "empty-disable", "both"],
)
def test_selection_from_environment(
    environ: dict[str, str], allow: frozenset[str] | None, deny: frozenset[str]
) -> None:
    selection = PluginSelection.from_env(environ)
    assert selection.allow == allow
    assert selection.deny == deny


def test_selection_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(LOAD_ENV, "x")
    monkeypatch.setenv(DISABLE_ENV, "y")
    assert PluginSelection.from_env() == PluginSelection(allow=frozenset({"x"}), deny=frozenset({"y"}))


def test_refusals() -> None:
    assert PluginSelection().refusal("any") is None
    assert PluginSelection(allow=frozenset()).refusal("any") == f"disabled: not listed in {LOAD_ENV}"
    assert PluginSelection(allow=frozenset({"a"})).refusal("a") is None
    denied = PluginSelection(allow=frozenset({"a"}), deny=frozenset({"a"}))
    assert denied.refusal("a") == f"disabled: listed in {DISABLE_ENV}"


def test_disabled_plugins_are_listed_and_never_imported(
    module: ModuleFactory, module_file: Callable[[str], str]
) -> None:
    # Importing either of these would fail, so an "ok"/"failed" status proves they were imported.
    tripwire = 'raise AssertionError("a disabled plugin was imported")\n'
    wanted = FakeReader("wanted")
    host = load(
        ep("wanted", module(**reader_plugin(wanted))),
        ep("not_listed", module_file(tripwire)),
        ep("denied", module_file(tripwire)),
        selection=PluginSelection(allow=frozenset({"wanted", "denied"}), deny=frozenset({"denied"})),
    )
    plugins = by_name(host)
    assert plugins["wanted"]["status"] == "ok"
    assert plugins["not_listed"]["status"] == f"disabled: not listed in {LOAD_ENV}"
    assert plugins["denied"]["status"] == f"disabled: listed in {DISABLE_ENV}"
    for name in ("not_listed", "denied"):
        assert plugins[name]["hooks"] == []
        assert plugins[name]["registered"] == {}
    assert host.catalogue_readers() == [wanted]


def test_an_empty_load_list_loads_nothing(module: ModuleFactory) -> None:
    host = load(
        ep("a", module(**reader_plugin(FakeReader("a")))),
        ep("b", module(**reader_plugin(FakeReader("b")))),
        selection=PluginSelection.from_env({LOAD_ENV: ""}),
    )
    assert [p["status"] for p in host.list_plugins()] == [f"disabled: not listed in {LOAD_ENV}"] * 2
    assert host.catalogue_readers() == []


def test_without_a_selection_the_environment_decides(
    module: ModuleFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(DISABLE_ENV, "b")
    host = PluginHost()
    a = FakeReader("a")
    host.load_entry_points(
        entry_points=[ep("a", module(**reader_plugin(a))), ep("b", module(**reader_plugin(FakeReader("b"))))]
    )
    plugins = by_name(host)
    assert plugins["a"]["status"] == "ok"
    assert plugins["b"]["status"] == f"disabled: listed in {DISABLE_ENV}"
    assert host.catalogue_readers() == [a]


def test_a_plugin_registered_later_does_not_run_the_earlier_hooks_again(module: ModuleFactory) -> None:
    calls: list[str] = []
    first, later = FakeReader("first"), FakeReader("later")
    host = load(ep("first", module(**reader_plugin(first, calls=calls))))
    assert host.catalogue_readers() == [first]

    host.register_module("later", sys.modules[module(**reader_plugin(later, calls=calls))])

    assert host.catalogue_readers() == [first, later]
    assert host.catalogue_readers()[0] is first
    assert calls == ["register_catalogue_readers", "register_catalogue_readers"]
    assert {p["name"]: p["registered"] for p in host.list_plugins()} == {
        "first": {"catalogue_readers": ["first"]},
        "later": {"catalogue_readers": ["later"]},
    }
