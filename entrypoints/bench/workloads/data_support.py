"""What the data workloads share: the catalogue release they read, a fresh home composed with the bench's
plugins, and ``anime-mcp`` run as a user runs it (a child process, timed from spawn to exit).

Imported only inside a data workload's ``run`` (bootstrap and subprocess stay out of ``anime-mcp --help``).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from anime_mcp.entrypoints.bench.context import BenchContext
from anime_mcp.entrypoints.bootstrap import App, Overrides, bootstrap
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

RELEASE = Path("data") / "anime-offline-database.jsonl.zst"
RELEASE_MEANING = (
    "bench --catalogue FILE, else ANIME_MCP_CATALOGUE when a file, else "
    "SHARED/data/anime-offline-database.jsonl.zst"
)


class CommandFailed(RuntimeError):
    """An ``anime-mcp`` child exited with an error (the message ends with its stderr)."""


def composed(context: WorkloadContext) -> BenchContext | WorkloadResult:
    """The bench's own context (these workloads compose homes and spawn the app), or a skip saying why."""
    if isinstance(context, BenchContext):
        return context
    return WorkloadResult(skipped="a data workload runs under `anime-mcp bench` (it composes the app)")


def release(context: BenchContext, param: str = "catalogue") -> Path | None:
    """``--param catalogue=FILE``, else the bench's release (``bench --catalogue``, which the scripts'
    ``--catalogue`` becomes), else the full release in the shared folder; None when none is a file."""
    named = context.param(param, "")
    if named:
        return Path(named).expanduser()
    given = context.release
    if given is not None:
        return given
    shared = context.shared_dir / RELEASE if context.shared_dir is not None else None
    return shared if shared is not None and shared.is_file() else None


def no_release(param: str = "catalogue") -> WorkloadResult:
    return WorkloadResult(
        skipped=f"no catalogue release: give bench --catalogue FILE (or --param {param}=FILE), or the shared "
        "folder holding data/anime-offline-database.jsonl.zst (bench --shared DIR)"
    )


def fresh_app(context: BenchContext, home: Path, **search: Any) -> App:
    """This configuration's settings and plugins composed on another home, its index embedded there
    (``search``: other ``[search]`` settings, e.g. ``image_model``)."""
    settings = context.settings
    moved = attrs.evolve(
        settings,
        home=home,
        search=attrs.evolve(settings.search, home=home, qdrant_url=None, **search),
        plugins=attrs.evolve(settings.plugins, index="qdrant-edge"),
    )
    return bootstrap(moved, overrides=Overrides(plugins=context.app.plugins))


def anime_mcp_command() -> list[str]:
    """The console script beside this interpreter, or the CLI through the interpreter itself."""
    script = Path(sys.executable).with_name("anime-mcp")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from anime_mcp.entrypoints.cli import main; main()"]


def run_anime_mcp(env: Mapping[str, str], *args: str) -> tuple[float, str]:
    """(seconds from spawn to exit, stdout) of ``anime-mcp ARGS`` with the environment ``env``."""
    started = time.perf_counter()
    done = subprocess.run(
        [*anime_mcp_command(), *args], env=dict(env), capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise CommandFailed(f"anime-mcp {' '.join(args)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, done.stdout


def child_environment(**settings: str) -> dict[str, str]:
    """This process's environment with these ``ANIME_MCP_*`` settings (an empty value removes one)."""
    env = dict(os.environ)
    for key, value in settings.items():
        if value:
            env[key] = value
        else:
            env.pop(key, None)
    return env
