"""The plugin host in process: entry points built here, never whatever happens to be installed."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import json
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from anime_mcp.core.platforms import BUILTIN_PLATFORMS, PlatformId, PlatformSpec
from anime_mcp.core.references import IdReference, parse_reference
from anime_mcp.ports.catalogue import CatalogueReader
from anime_mcp.ports.hookspecs import hookimpl
from anime_mcp.ports.plugin_host import (
    DISABLE_ENV,
    ENTRY_POINT_GROUP,
    LOAD_ENV,
    REGISTER_HOOKS,
    TRACE_ENV,
    PluginHost,
    PluginSelection,
    stderr_trace,
    trace_from_env,
)
from anime_mcp.ports.providers import EMBEDDER, VECTOR_INDEX, ProviderNotFound, choose_provider
from anime_mcp.ports.source import SourceInfo

KEYS = {"name", "version", "distribution", "entry_point", "hooks", "registered", "status", "detail"}


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
            "detail": None,
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

    assert plugins["broken"]["status"] == "failed"
    assert plugins["broken"]["detail"] == "failed to load: RuntimeError: boom: missing dependency"
    assert plugins["broken"]["hooks"] == []
    assert plugins["broken"]["registered"] == {}
    assert plugins["exits"]["detail"].startswith("failed to load: SystemExit")
    assert plugins["missing"]["detail"].startswith("failed to load: ModuleNotFoundError")
    assert "anime_mcp_no_such_module_anywhere" in plugins["missing"]["detail"]
    assert plugins["no_attribute"]["detail"].startswith("failed to load: AttributeError")
    assert {plugins[n]["status"] for n in ("exits", "missing", "no_attribute")} == {"failed"}
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

    assert plugins["raising"]["status"] == "failed"
    assert plugins["raising"]["detail"] == (
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
    assert (plugin["status"], plugin["detail"]) == (
        "failed",
        "register_sources failed: RuntimeError: no API key",
    )
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
    assert plugins["wrong_type"]["status"] == "failed"
    status = plugins["wrong_type"]["detail"]
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
    assert plugin["status"] == "failed"
    assert "does not implement the CatalogueReader port" in plugin["detail"]
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

    assert plugins["nonsense"]["status"] == "invalid"
    assert "register_nonsense" in plugins["nonsense"]["detail"]
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
    assert plugins["bad_signature"]["status"] == "invalid"
    assert plugins["bad_signature"]["detail"].startswith("PluginValidationError")
    assert "colour" in plugins["bad_signature"]["detail"]
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
    assert PluginSelection(allow=frozenset()).refusal("any") == f"not listed in {LOAD_ENV}"
    assert PluginSelection(allow=frozenset({"a"})).refusal("a") is None
    denied = PluginSelection(allow=frozenset({"a"}), deny=frozenset({"a"}))
    assert denied.refusal("a") == f"listed in {DISABLE_ENV}"


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
    assert (plugins["not_listed"]["status"], plugins["not_listed"]["detail"]) == (
        "disabled",
        f"not listed in {LOAD_ENV}",
    )
    assert (plugins["denied"]["status"], plugins["denied"]["detail"]) == (
        "disabled",
        f"listed in {DISABLE_ENV}",
    )
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
    assert [(p["status"], p["detail"]) for p in host.list_plugins()] == [
        ("disabled", f"not listed in {LOAD_ENV}")
    ] * 2
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
    assert (plugins["b"]["status"], plugins["b"]["detail"]) == ("disabled", f"listed in {DISABLE_ENV}")
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


# --- tracing (ANIME_MCP_TRACE_PLUGINS) --------------------------------------------------------------------


def test_tracing_reports_loads_registrations_and_every_hook_call(module: ModuleFactory) -> None:
    @hookimpl
    def register_sources(register: Callable[[object], None]) -> None:
        raise RuntimeError("no API key")

    lines: list[str] = []
    host = PluginHost(trace=lines.append)
    host.load_entry_points(
        PluginSelection(deny=frozenset({"off"})),
        entry_points=[
            ep("good", module(**reader_plugin(FakeReader("traced-reader")))),
            ep("bad", module(register_sources=register_sources)),
            ep("off", "never_imported"),
        ],
    )
    host.list_plugins()
    text = "\n".join(lines)

    assert "disabled plugin=off: listed in ANIME_MCP_DISABLE_PLUGINS" in text
    assert "load plugin=good" in text
    assert "register plugin=good hooks=register_catalogue_readers" in text
    assert "call hook=register_catalogue_readers plugin=good" in text
    assert re.search(
        r"return hook=register_catalogue_readers plugin=good [0-9.]+ms result=ok registered=1", text
    )
    assert (
        "registered plugin=good hook=register_catalogue_readers kind=CatalogueReader "
        "object='traced-reader' type=FakeReader"
    ) in text
    assert re.search(
        r"return hook=register_sources plugin=bad [0-9.]+ms error='RuntimeError: no API key'", text
    )
    assert "failed plugin=bad: register_sources failed: RuntimeError: no API key" in text


@pytest.mark.parametrize(
    ("value", "on"), [("1", True), ("yes", True), ("", False), ("0", False), ("false", False), (None, False)]
)
def test_tracing_is_switched_by_the_environment_and_writes_to_stderr(
    value: str | None, on: bool, capsys: pytest.CaptureFixture[str], module: ModuleFactory
) -> None:
    environ = {} if value is None else {TRACE_ENV: value}
    assert (trace_from_env(environ) is stderr_trace) is on
    with pytest.MonkeyPatch.context() as patch:
        if value is None:
            patch.delenv(TRACE_ENV, raising=False)
        else:
            patch.setenv(TRACE_ENV, value)
        load(ep("good", module(**reader_plugin(FakeReader())))).list_plugins()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert ("anime-mcp plugins: call hook=register_catalogue_readers plugin=good" in captured.err) is on


# --- platforms declared by plugins --------------------------------------------------------------------------

FLIX = PlatformSpec(
    "animeflix",
    "AnimeFlix",
    r"[1-9][0-9]{0,9}",
    "https://animeflix.example/anime/{}",
    hosts=("animeflix.example",),
    url_paths=("/anime/{id}",),
)


class FakeSource:
    """The smallest object that satisfies the Source port."""

    def __init__(
        self, platform: str = "animeflix", spec: PlatformSpec | None = FLIX, sid: str = "flix"
    ) -> None:
        self.info = SourceInfo(id=sid, platform=platform, kind="api", fields={"title"}, platform_spec=spec)

    def bind(self, runtime: Any) -> FakeSource:
        return self

    async def fetch(self, pid: PlatformId, fields: Any = frozenset()) -> Any:
        raise NotImplementedError

    async def search(self, title: str, *, limit: int = 10) -> list[Any]:
        return []

    async def ping(self) -> None:
        return None

    def parse(self, document: bytes, *, kind: str = "anime", format: str | None = None) -> Any:
        raise NotImplementedError


def source_plugin(*sources: object) -> dict[str, object]:
    @hookimpl
    def register_sources(register: Callable[[object], None]) -> None:
        for source in sources:
            register(source)

    return {"register_sources": register_sources}


def test_a_source_declares_a_new_platform_and_references_to_it_resolve(module: ModuleFactory) -> None:
    host = load(ep("flix", module(**source_plugin(FakeSource()))))

    assert by_name(host)["flix"]["status"] == "ok"
    platforms = host.platforms()
    assert platforms["animeflix"] is FLIX
    assert set(BUILTIN_PLATFORMS.ids()) < set(platforms.ids())
    expected = IdReference(PlatformId("animeflix", "42"))
    assert parse_reference("animeflix:42", platforms) == expected
    assert parse_reference("https://animeflix.example/anime/42", platforms) == expected
    assert [s.info.id for s in host.sources()] == ["flix"]


def test_the_register_platforms_hook_declares_platforms_too(module: ModuleFactory) -> None:
    @hookimpl
    def register_platforms(register: Callable[[object], None]) -> None:
        register(FLIX)

    host = load(ep("flixplat", module(register_platforms=register_platforms)))
    assert by_name(host)["flixplat"]["registered"] == {"platforms": ["animeflix"]}
    assert host.platforms().by_host("animeflix.example") is FLIX
    assert host.registered("register_platforms") == [FLIX]


def test_without_plugins_the_platforms_are_the_built_in_ones() -> None:
    assert PluginHost().platforms() is BUILTIN_PLATFORMS


def test_a_platform_that_clashes_with_a_built_in_one_makes_its_plugin_invalid(module: ModuleFactory) -> None:
    thief = PlatformSpec("flix", "Flix", r"\d+", "https://flix.example/{}", hosts=("myanimelist.net",))
    host = load(
        ep("thief", module(**source_plugin(FakeSource("flix", thief)))),
        ep("flix", module(**source_plugin(FakeSource()))),
    )
    plugins = by_name(host)
    assert plugins["thief"]["status"] == "invalid"
    assert "host myanimelist.net of flix already belongs to mal" in plugins["thief"]["detail"]
    assert plugins["thief"]["registered"] == {}
    assert plugins["flix"]["status"] == "ok"
    assert "flix" not in host.platforms()
    assert [s.info.id for s in host.sources()] == ["flix"]


def test_two_plugins_declaring_one_platform_differently_are_both_refused(module: ModuleFactory) -> None:
    other = PlatformSpec("animeflix", "Other", r"\d+", "https://other.example/{}")
    host = load(
        ep("a", module(**source_plugin(FakeSource()))),
        ep("b", module(**source_plugin(FakeSource(spec=other, sid="other")))),
    )
    plugins = by_name(host)
    assert (plugins["a"]["status"], plugins["b"]["status"]) == ("invalid", "invalid")
    assert "platform conflict with plugin b" in plugins["a"]["detail"]
    assert host.platforms() is BUILTIN_PLATFORMS
    assert host.sources() == []


def test_two_plugins_declaring_one_platform_identically_share_it(module: ModuleFactory) -> None:
    host = load(
        ep("a", module(**source_plugin(FakeSource()))),
        ep("b", module(**source_plugin(FakeSource(sid="flix2")))),
    )
    assert {p["status"] for p in host.list_plugins()} == {"ok"}
    assert host.platforms().ids().count("animeflix") == 1


def test_a_source_for_a_platform_nobody_describes_is_invalid(module: ModuleFactory) -> None:
    host = load(ep("vague", module(**source_plugin(FakeSource("nowhere", None, "vague")))))
    (plugin,) = host.list_plugins()
    assert plugin["status"] == "invalid"
    assert "platform 'nowhere', which no plugin describes" in plugin["detail"]
    assert host.sources() == []


def test_a_source_info_spec_must_describe_its_own_platform() -> None:
    with pytest.raises(ValueError, match="platform_spec describes animeflix, not mal"):
        SourceInfo(id="x", platform="mal", kind="api", fields={"title"}, platform_spec=FLIX)


# --- choosing providers through the host -------------------------------------------------------------------


class FakeEmbedderProvider:
    def __init__(self, name: str) -> None:
        self.name = name

    def can_load(self, model_dir: Path) -> bool:
        return True

    def describe(self, model_dir: Path) -> Any:
        raise NotImplementedError

    def load(self, model_dir: Path, *, threads: int | None = None) -> Any:
        raise NotImplementedError


def test_the_host_chooses_embedders_by_name_never_by_registration_order(module: ModuleFactory) -> None:
    @hookimpl
    def register_embedders(register: Callable[[object], None]) -> None:
        register(FakeEmbedderProvider("aaa-first"))
        register(FakeEmbedderProvider("onnx-text"))

    host = load(ep("emb", module(register_embedders=register_embedders)))
    choice = choose_provider(host.embedders(), kind=EMBEDDER)
    assert (choice.provider.name, choice.others) == ("onnx-text", ("aaa-first",))
    assert choose_provider(host.embedders(), kind=EMBEDDER, name="aaa-first").provider.name == "aaa-first"
    with pytest.raises(ProviderNotFound, match="available: aaa-first, onnx-text"):
        choose_provider(host.embedders(), kind=EMBEDDER, name="zzz")
    with pytest.raises(ProviderNotFound, match="no vector index provider can serve this"):
        choose_provider(host.vector_indexes(), kind=VECTOR_INDEX)


def test_trace_false_never_traces(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], module: ModuleFactory
) -> None:
    monkeypatch.setenv(TRACE_ENV, "1")
    host = PluginHost(trace=False)
    host.load_entry_points(
        PluginSelection(), entry_points=[ep("good", module(**reader_plugin(FakeReader())))]
    )
    host.list_plugins()
    assert capsys.readouterr().err == ""
