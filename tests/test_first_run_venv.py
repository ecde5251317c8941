"""First run anywhere: the wheel and the sdist build from a copy of the tree, hold no ../shared file, install
into fresh virtual environments, and the wheel's ``anime-mcp quickstart`` runs offline (the model from
../shared, a small catalogue slice) to a working ``search``.

The pip installs download nothing: the build backend and the dependencies come from the test interpreter's
site-packages (the ``.pth`` approach of tests/test_plugins_venv.py, which says why that keeps the wheel's own
code in use). The pipx install is the user's real one: pipx resolves the wheel's dependencies from the package
index the machine's pip is configured with (PyPI, a mirror or its cache), as it does for a user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
from hub_support import closed_port_url, write_catalogue_slice
from shared_data import MINILM, SHARED, require_shared
from test_plugins_venv import PROJECT_ROOT, Venv, _ignored

pytestmark = pytest.mark.slow

BACKEND = "from setuptools import build_meta as b; import sys; print(b.build_{kind}(sys.argv[1]))"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("first-run")
    project = base / "project"
    shutil.copytree(PROJECT_ROOT, project, ignore=_ignored)
    dist = base / "dist"
    found = {}
    for kind in ("wheel", "sdist"):
        done = subprocess.run(
            [sys.executable, "-c", BACKEND.format(kind=kind), str(dist)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        found[kind] = dist / done.stdout.strip().splitlines()[-1]
    return found


def fresh_venv(root: Path, home: Path) -> Venv:
    venv.EnvBuilder(with_pip=False, clear=True).create(root)
    home.mkdir(parents=True, exist_ok=True)
    env = Venv(root, home, PROJECT_ROOT)
    (env.site_packages / "_anime_mcp_test_dependencies.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8"
    )
    return env


def pip_install(env: Venv, target: Path) -> None:
    flags = (
        "--no-deps",
        "--no-build-isolation",
        "--no-index",
        "--no-cache-dir",
        "--disable-pip-version-check",
    )
    done = env.run([env.python, "-m", "pip", "install", *flags, target])
    assert done.returncode == 0, done.stdout + done.stderr


def no_shared_files(names: list[str]) -> None:
    shared_names = {
        p.name for p in SHARED.rglob("*") if p.is_file() and p.name not in ("README.md", "config.json")
    }
    assert not [n for n in names if Path(n).name in shared_names or "shared/" in n], (
        "a ../shared file is packaged"
    )
    assert not [n for n in names if n.endswith((".onnx", ".zst", ".jsonl"))]


def test_the_wheel_and_sdist_hold_the_references_and_nothing_from_shared(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as archive:
        wheel = archive.namelist()
    with tarfile.open(built["sdist"]) as archive:
        sdist = archive.getnames()
    no_shared_files(wheel)
    no_shared_files(sdist)
    assert "anime_mcp/adapters/model_references.json" in wheel
    assert any(n.endswith("/adapters/model_references.json") for n in sdist)
    assert not [n for n in wheel if n.startswith("tests/")]


def test_the_sdist_installs_and_runs(built: dict[str, Path], tmp_path: Path) -> None:
    env = fresh_venv(tmp_path / "venv", tmp_path / "home")
    pip_install(env, built["sdist"])
    version = env.anime_mcp("--version")
    assert version.returncode == 0 and version.stdout.strip() == "anime-mcp, version 0.1.0"
    code = "from anime_mcp.adapters.model_check import load_references as r; print(len(r()['sentences']))"
    assert env.run_python(code).stdout.strip() == "4"


def test_the_wheel_installs_and_quickstart_runs_offline_to_a_working_search(
    built: dict[str, Path], tmp_path: Path
) -> None:
    require_shared(MINILM)
    env = fresh_venv(tmp_path / "venv", tmp_path / "home")
    pip_install(env, built["wheel"])
    version = env.anime_mcp("--version")
    assert version.returncode == 0 and version.stdout.strip() == "anime-mcp, version 0.1.0", version.stderr
    where = env.run_python("import anime_mcp.adapters as a; print(a.__file__)").stdout.strip()
    assert Path(where).is_relative_to(env.site_packages)  # the wheel's code, not the checkout's

    catalogue = write_catalogue_slice(tmp_path / "slice.jsonl.zst", 199, titles=("Death Note",))
    offline = {"ANIME_MCP_HF_ENDPOINT": closed_port_url()}  # a download attempt would fail loudly
    args = ("quickstart", "--catalogue", str(catalogue), "--model-from", str(MINILM), "--int8")
    done = env.anime_mcp(*args, **offline)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "200 entries embedded" in done.stdout
    assert str(env.cli) in done.stdout  # the printed MCP command is this environment's anime-mcp

    found = env.anime_mcp("search", "death note", "--limit", "3", "--json", **offline)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["title"] == "Death Note"


def test_pipx_installs_the_wheel_into_its_own_venv_and_the_command_answers(
    built: dict[str, Path], tmp_path: Path
) -> None:
    require_shared(MINILM)
    pipx_home, bin_dir = tmp_path / "pipx", tmp_path / "bin"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANIME_MCP_", "PIPX_")) and k != "VIRTUAL_ENV"
    }
    env.update(PIPX_HOME=str(pipx_home), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(tmp_path / "man"))
    constraints = PROJECT_ROOT / ".ci" / "constraints.txt"  # never a CUDA torch, even by accident
    command = [sys.executable, "-m", "pipx", "install", "--python", sys.executable]
    command += ["--pip-args", f"-c {constraints}", str(built["wheel"])]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (bin_dir / "anime-mcp").exists(), "pipx put no anime-mcp on its bin folder"

    (tmp_path / "home").mkdir()
    installed = Venv(pipx_home / "venvs" / "anime-mcp", tmp_path / "home", PROJECT_ROOT)
    assert installed.site_packages.is_relative_to(pipx_home)  # pipx's own venv, not the test's
    version = installed.run([bin_dir / "anime-mcp", "--version"])
    assert version.returncode == 0 and version.stdout.strip() == "anime-mcp, version 0.1.0", version.stderr

    catalogue = write_catalogue_slice(tmp_path / "slice.jsonl.zst", 49, titles=("Death Note",))
    offline = {"ANIME_MCP_HF_ENDPOINT": closed_port_url()}
    args = ("quickstart", "--catalogue", str(catalogue), "--model-from", str(MINILM), "--int8")
    started = installed.run([bin_dir / "anime-mcp", *args], **offline)
    assert started.returncode == 0, started.stdout + started.stderr
    found = installed.run(
        [bin_dir / "anime-mcp", "search", "death note", "--limit", "3", "--json"], **offline
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["title"] == "Death Note"
