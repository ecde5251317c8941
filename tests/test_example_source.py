"""The template third-party source (docs/examples/anime-mcp-example-source) installs into a fresh virtual
environment, is listed by ``anime-mcp plugins`` and ``anime-mcp sources``, and passes the kit there.

Offline: the temporary environment sees this development environment's packages (anime-mcp, pytest,
setuptools, ...) through a ``.pth`` file that calls ``site.addsitedir`` (so the editable anime-mcp install
is active too), and the template is installed with ``--no-deps --no-build-isolation --no-index``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TEMPLATE = Path(__file__).resolve().parents[1] / "docs" / "examples" / "anime-mcp-example-source"
CLI = "from anime_mcp.entrypoints.cli import main; main()"


@pytest.fixture(scope="module")
def example_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example-venv")
    env_dir = root / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(purelib, "_anime_mcp_dev.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    source = root / "anime-mcp-example-source"
    shutil.copytree(TEMPLATE, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build"))
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            str(source),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=_env(root),
    )
    return env_dir


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANIME_MCP_", "PYTHON"))}
    env.update(ANIME_MCP_HOME=str(home / "home"), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def _run(env_dir: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [env_dir / "bin" / "python", *args],
        capture_output=True,
        text=True,
        env=_env(env_dir.parent),
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_the_template_is_listed_as_a_plugin(example_env: Path) -> None:
    result = _run(example_env, "-c", CLI, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)}
    example = plugins["example"]
    assert example["status"] == "ok"
    assert example["distribution"] == "anime-mcp-example-source" and example["version"] == "0.1.0"
    assert example["registered"] == {"sources": ["example"]}


def test_the_template_is_listed_as_a_source(example_env: Path) -> None:
    result = _run(example_env, "-c", CLI, "sources", "--json")
    assert result.returncode == 0, result.stderr
    example = next(s for s in json.loads(result.stdout) if s["id"] == "example")
    assert example["platform"] == "animecountdown" and example["ready"] is False  # no token set


def test_the_template_passes_the_kit_in_its_environment(example_env: Path, tmp_path: Path) -> None:
    tests = tmp_path / "tests"
    shutil.copytree(TEMPLATE / "tests", tests, ignore=shutil.ignore_patterns("__pycache__"))
    result = _run(example_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout and "failed" not in result.stdout
    # the kit's pytest plugin was loaded through its pytest11 entry point
    fixtures = _run(
        example_env, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--fixtures", str(tests), cwd=tmp_path
    )
    assert "replay_runtime" in fixtures.stdout


def test_the_installed_module_is_the_template(example_env: Path) -> None:
    result = _run(example_env, "-c", "import anime_mcp_example_source as m; print(m.__file__)")
    assert result.returncode == 0, result.stderr
    assert str(example_env) in result.stdout  # installed in the temporary environment, not imported in place
    assert sys.prefix not in result.stdout
