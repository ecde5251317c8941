"""End to end: third-party plugin distributions installed next to the real wheel, in a fresh virtualenv.

Nothing is downloaded: the project and two throwaway plugin distributions are built with
``pip install --no-deps --no-build-isolation --no-index``; the dependencies (attrs, pluggy, click, ...) and
the build backend come from the test interpreter's site-packages through a ``.pth`` file. A ``.pth`` path
line only appends that directory to ``sys.path`` (the ``.pth`` files inside it are not run), so the
project's editable finder in the development environment stays inactive and the temporary environment
imports ``anime_mcp`` from the wheel it installed, which the first test checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import textwrap
import tomllib
import venv
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.slow

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CODE_FOLDERS = ("core", "ports", "adapters", "plugins", "entrypoints")
TOP_LEVEL_SKIPPED = {
    ".git",
    ".venv",
    "build",
    "dist",
    "tests",
    "benchmarks",
    "docs",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".import_linter_cache",
}
SKIPPED_ANYWHERE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def _ignored(directory: str, names: list[str]) -> set[str]:
    skipped = set(SKIPPED_ANYWHERE(directory, names))
    if Path(directory) == PROJECT_ROOT:
        skipped |= TOP_LEVEL_SKIPPED.intersection(names)
    return skipped


HELLO_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "anime-mcp-hello"
version = "0.3.1"
description = "A throwaway third-party anime-mcp plugin used by the test-suite."
requires-python = ">=3.11"
dependencies = ["anime-mcp"]

[project.entry-points.anime_mcp]
hello = "anime_mcp_hello"

[tool.setuptools]
py-modules = ["anime_mcp_hello"]
"""

HELLO_MODULE = '''\
"""A third-party plugin: one catalogue reader for ``.hello`` files."""

from pathlib import Path

from anime_mcp.ports import hookimpl


class HelloReader:
    name = "hello-reader"

    def can_read(self, path):
        return Path(path).suffix == ".hello"

    def read(self, path, *, strict, progress=None):
        raise NotImplementedError("hello files hold no anime")


@hookimpl
def register_catalogue_readers(register):
    register(HelloReader())
'''

BROKEN_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "anime-mcp-broken"
version = "0.0.1"
requires-python = ">=3.11"

[project.entry-points.anime_mcp]
broken = "anime_mcp_broken"

[tool.setuptools]
py-modules = ["anime_mcp_broken"]
"""

BROKEN_MODULE = 'raise RuntimeError("boom: missing dependency")\n'

ANIMEFLIX_PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "anime-mcp-animeflix"
version = "1.0.0"
requires-python = ">=3.11"
dependencies = ["anime-mcp"]

[project.entry-points.anime_mcp]
animeflix = "anime_mcp_animeflix"

[tool.setuptools]
py-modules = ["anime_mcp_animeflix"]
"""

ANIMEFLIX_MODULE = '''\
"""A third-party source for a platform anime-mcp does not know: it declares the platform itself."""

from anime_mcp.core.errors import NotFound
from anime_mcp.core.platforms import PlatformSpec
from anime_mcp.ports import hookimpl
from anime_mcp.ports.source import SourceInfo

ANIMEFLIX = PlatformSpec(
    "animeflix",
    "AnimeFlix",
    r"[1-9][0-9]{0,9}",
    "https://animeflix.example/anime/{}",
    hosts=("animeflix.example",),
    url_paths=("/anime/{id}",),
    aliases=("aflix",),
)


class AnimeflixSource:
    info = SourceInfo(
        id="animeflix", platform="animeflix", kind="api", fields={"title"}, name="AnimeFlix",
        platform_spec=ANIMEFLIX,
    )

    def bind(self, runtime):
        return self

    async def fetch(self, pid, fields=frozenset()):
        raise NotFound(f"asked for {pid}, offline test platform", source="animeflix")

    async def search(self, title, *, limit=10):
        return []

    async def ping(self):
        return None

    def parse(self, document, *, kind="anime", format=None):
        raise NotImplementedError


@hookimpl
def register_sources(register):
    register(AnimeflixSource())
'''


class Venv:
    def __init__(self, root: Path, home: Path, project: Path) -> None:
        self.root = root
        self.home = home
        self.project = project
        self.python = root / "bin" / "python"
        self.cli = root / "bin" / "anime-mcp"
        self.site_packages = Path(
            self.run_python("import sysconfig; print(sysconfig.get_path('purelib'))").stdout.strip()
        )

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("ANIME_MCP_", "PYTHON", "PIP_")) and k not in ("VIRTUAL_ENV", "COLUMNS")
        }
        env.update(
            PYTHONNOUSERSITE="1",
            ANIME_MCP_HOME=str(self.home),
            COLUMNS="250",
            NO_COLOR="1",
            VIRTUAL_ENV=str(self.root),
            PATH=f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        )
        env.update(extra)
        return env

    def run(self, args: Sequence[str | Path], **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(a) for a in args],
            capture_output=True,
            text=True,
            timeout=120,
            env=self.env(**extra_env),
            cwd=self.home,
            check=False,
        )

    def run_python(self, code: str) -> subprocess.CompletedProcess[str]:
        result = self.run([self.python, "-c", code])
        assert result.returncode == 0, result.stderr
        return result

    def anime_mcp(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return self.run([self.cli, *args], **extra_env)


def _write_distribution(directory: Path, pyproject: str, module: str, source: str) -> Path:
    directory.mkdir(parents=True)
    (directory / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (directory / f"{module}.py").write_text(source, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    base = tmp_path_factory.mktemp("plugins-venv")
    # Build from a copy of the working tree, so the build leaves no build/ or egg-info in the checkout.
    project = base / "project"
    shutil.copytree(PROJECT_ROOT, project, ignore=_ignored)
    hello = _write_distribution(base / "hello", HELLO_PYPROJECT, "anime_mcp_hello", HELLO_MODULE)
    broken = _write_distribution(base / "broken", BROKEN_PYPROJECT, "anime_mcp_broken", BROKEN_MODULE)
    animeflix = _write_distribution(
        base / "animeflix", ANIMEFLIX_PYPROJECT, "anime_mcp_animeflix", ANIMEFLIX_MODULE
    )

    root = base / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(root)
    home = base / "home"
    home.mkdir()
    env = Venv(root, home, project)
    (env.site_packages / "_anime_mcp_test_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )

    install = env.run(
        [
            env.python,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--no-cache-dir",
            "--disable-pip-version-check",
            project,
            hello,
            broken,
            animeflix,
        ]
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return env


def _plugins_json(env: Venv, **extra_env: str) -> dict[str, dict[str, Any]]:
    result = env.anime_mcp("plugins", "--json", **extra_env)
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    names = [p["name"] for p in listing]
    assert len(names) == len(set(names)), names
    return {p["name"]: p for p in listing}


def test_the_venv_imports_the_project_from_its_own_wheel(env: Venv) -> None:
    code = textwrap.dedent("""\
        import importlib.metadata as md, json, sys
        import anime_mcp.core, anime_mcp.entrypoints.cli
        dist = md.distribution("anime-mcp")
        print(json.dumps({
            "core": anime_mcp.core.__file__,
            "cli": anime_mcp.entrypoints.cli.__file__,
            "dist": str(dist.locate_file("")),
            "direct_url": dist.read_text("direct_url.json"),
            "editable_finders": [m for m in sys.modules if "editable" in m],
            "prefix": sys.prefix,
        }))
    """)
    found = json.loads(env.run_python(code).stdout)
    assert Path(found["core"]).is_relative_to(env.site_packages)
    assert Path(found["cli"]).is_relative_to(env.site_packages)
    assert Path(found["dist"]) == env.site_packages
    assert '"editable": true' not in (found["direct_url"] or "")
    assert found["editable_finders"] == []
    assert Path(found["prefix"]) == env.root


def test_the_wheel_holds_every_module_of_the_source_tree(env: Venv) -> None:
    def modules(root: Path, folders: Sequence[str]) -> set[str]:
        return {str(p.relative_to(root)) for folder in folders for p in (root / folder).rglob("*.py")}

    # A folder may be published under another name ([tool.setuptools] package-dir: entrypoints/testing is
    # the public anime_mcp.testing): compare each source file with the place the mapping gives it.
    setuptools = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    published = {
        folder: package.removeprefix("anime_mcp.").replace(".", "/")
        for package, folder in setuptools["package-dir"].items()
    }
    renamed = {folder: place for folder, place in published.items() if folder != place}

    def in_the_wheel(relative: str) -> str:
        parent = str(Path(relative).parent)
        return str(Path(renamed.get(parent, parent)) / Path(relative).name)

    source_modules = modules(env.project, CODE_FOLDERS)
    # setuptools finds every package below the mapped folders (no hand-kept list), so a renamed folder is
    # also published under its own place (anime_mcp.entrypoints.testing beside anime_mcp.testing).
    in_source = {in_the_wheel(m) for m in source_modules} | source_modules
    in_wheel = modules(env.site_packages / "anime_mcp", (*CODE_FOLDERS, *sorted(set(renamed.values()))))
    missing = sorted({"anime_mcp." + str(Path(m).parent).replace("/", ".") for m in in_source - in_wheel})
    assert not missing, f"the wheel lacks packages: {missing}"
    assert in_wheel == in_source
    assert (env.site_packages / "anime_mcp" / "plugins" / "sources" / "mal" / "parse.py").is_file()
    assert (env.site_packages / "anime_mcp" / "core" / "services" / "catalogue.py").is_file()


def test_plugins_json_lists_third_party_broken_and_built_in_plugins(env: Venv) -> None:
    plugins = _plugins_json(env)

    assert plugins["hello"] == {
        "name": "hello",
        "version": "0.3.1",
        "distribution": "anime-mcp-hello",
        "entry_point": "hello = anime_mcp_hello",
        "hooks": ["register_catalogue_readers"],
        "registered": {"catalogue_readers": ["hello-reader"]},
        "status": "ok",
        "detail": None,
    }
    broken = plugins["broken"]
    assert broken["status"] == "failed"
    assert broken["detail"] == "failed to load: RuntimeError: boom: missing dependency"
    assert (broken["distribution"], broken["version"]) == ("anime-mcp-broken", "0.0.1")
    assert broken["entry_point"] == "broken = anime_mcp_broken"
    assert broken["hooks"] == []
    assert broken["registered"] == {}
    aod = plugins["aod_catalogue"]
    assert aod["status"] == "ok"
    assert aod["distribution"] == "anime-mcp"
    assert aod["entry_point"] == "aod_catalogue = anime_mcp.plugins.aod_catalogue"
    assert aod["registered"] == {"catalogue_readers": ["aod-jsonl", "aod-json"]}


def test_load_plugins_env_loads_only_the_listed_ones(env: Venv) -> None:
    plugins = _plugins_json(env, ANIME_MCP_LOAD_PLUGINS="hello")
    assert plugins["hello"]["status"] == "ok"
    for name in ("broken", "aod_catalogue", "animeflix"):
        assert (plugins[name]["status"], plugins[name]["detail"]) == (
            "disabled",
            "not listed in ANIME_MCP_LOAD_PLUGINS",
        )
    assert plugins["aod_catalogue"]["registered"] == {}


def test_disable_plugins_env(env: Venv) -> None:
    plugins = _plugins_json(env, ANIME_MCP_DISABLE_PLUGINS="broken,hello")
    for name in ("broken", "hello"):
        assert (plugins[name]["status"], plugins[name]["detail"]) == (
            "disabled",
            "listed in ANIME_MCP_DISABLE_PLUGINS",
        )
    assert plugins["aod_catalogue"]["status"] == "ok"


def test_plugins_table_shows_the_broken_plugin_and_exits_zero(env: Venv) -> None:
    result = env.anime_mcp("plugins")
    assert result.returncode == 0, result.stderr
    assert f"{len(_plugins_json(env))} plugin(s)" in result.stdout
    for text in ("hello", "0.3.1", "hello-reader", "broken", "boom: missing dependency", "aod_catalogue"):
        assert text in result.stdout


def test_the_application_uses_the_readers_a_plugin_registered(env: Venv) -> None:
    # Only the hello plugin is loaded, so its reader is the only one ingest may choose from.
    not_a_catalogue = env.home / "notes.txt"
    not_a_catalogue.write_text("no anime here\n", encoding="utf-8")
    result = env.anime_mcp("ingest", "--source", str(not_a_catalogue), ANIME_MCP_LOAD_PLUGINS="hello")
    assert result.returncode == 1
    assert "readers: hello-reader" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_source_plugin_declares_a_new_platform_and_its_references_resolve(env: Venv) -> None:
    plugins = _plugins_json(env)
    assert plugins["animeflix"]["status"] == "ok"
    assert plugins["animeflix"]["registered"] == {"sources": ["animeflix"]}

    listed = env.anime_mcp("sources", "--json")
    assert listed.returncode == 0, listed.stderr
    (flix,) = [s for s in json.loads(listed.stdout) if s["id"] == "animeflix"]
    assert (flix["platform"], flix["name"]) == ("animeflix", "AnimeFlix")

    code = textwrap.dedent("""\
        import json
        from anime_mcp.core.references import canonical_url, parse_reference
        from anime_mcp.ports.plugin_host import PluginHost
        host = PluginHost()
        host.load_entry_points()
        platforms = host.platforms()
        refs = ["https://animeflix.example/anime/42", "animeflix:42", "aflix:042", "animeflix-42"]
        pids = [parse_reference(ref, platforms).platform_id for ref in refs]
        print(json.dumps({
            "pids": [[pid.platform.value, pid.id] for pid in pids],
            "url": canonical_url(pids[0], platforms),
            "builtin": str(parse_reference("animeflix:42")),
        }))
    """)
    found = json.loads(env.run_python(code).stdout)
    assert found["pids"] == [["animeflix", "42"]] * 4
    assert found["url"] == "https://animeflix.example/anime/42"
    assert "TitleReference" in found["builtin"]  # without the host's registry the platform is unknown

    # The CLI parses references through the host's registry: the URL reaches the source as animeflix:42.
    for ref in ("https://animeflix.example/anime/42", "animeflix:42", "42"):
        fetched = env.anime_mcp("sources", "fetch", "animeflix", ref, "--json")
        assert fetched.returncode == 3, fetched.stdout + fetched.stderr
        error = json.loads(fetched.stdout)["error"]
        assert error["type"] == "NotFound"
        assert "asked for animeflix:42" in error["message"]
