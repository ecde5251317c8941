"""The set-up of the workloads that replay real recordings as the upstream of whole ``anime-mcp`` processes:
a home holding a few catalogue entries (no index), a recordings folder made with ``anime-mcp sources
recording add`` from ``../shared/fixtures``, ``anime-mcp serve`` processes, and an older checkout's code
run with this environment. Every child runs without the caller's ``ANIME_MCP_*`` settings: these workloads
measure their own small deployment, never the configuration's home."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench.workloads.serve_processes import Served

# The command line of this checkout's CLI in this interpreter (no console script needed on PATH).
CLI = (sys.executable, "-m", "anime_mcp.entrypoints.cli")
CATALOGUE = Path("data") / "anime-offline-database.jsonl.zst"  # under ../shared
FIXTURES = Path("fixtures")


class DeploymentError(AnimeMcpError):
    """A child ``anime-mcp`` of the deployment failed (its output is in the message)."""


def missing_shared(shared: Path | None, *needed: Path) -> str | None:
    """Why the workload cannot run (``../shared`` or a file in it missing), or None."""
    if shared is None:
        return (
            "../shared missing: these workloads replay its recordings "
            "(bench --shared DIR or ANIME_MCP_SHARED)"
        )
    absent = [str(shared / path) for path in needed if not (shared / path).exists()]
    return f"../shared incomplete: {', '.join(absent)} not found" if absent else None


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    return {**env, "ANIME_MCP_HOME": str(home), "ANIME_MCP_WARM_UP": "0", **extra}


def run_cli(home: Path, *args: str, **env: str) -> None:
    done = subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=clean_env(home, **env), check=False
    )
    if done.returncode != 0:
        raise DeploymentError(f"anime-mcp {' '.join(args)} failed: {done.stdout}{done.stderr}")


def catalogue_home(root: Path, release: Path, titles: Iterable[str]) -> Path:
    """A home with the entries of ``release`` (a .jsonl.zst catalogue) of these exact titles, stored
    without a search index."""
    import zstandard

    wanted = [f'"title":"{title}"' for title in titles]
    with release.open("rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8").read()
    lines = text.splitlines()
    picked = [lines[0], *(line for line in lines[1:] if any(w in line for w in wanted))]
    slice_file = root / "slice.jsonl"
    slice_file.write_text("\n".join(picked) + "\n", encoding="utf-8")
    home = root / "home"
    run_cli(home, "ingest", "--source", str(slice_file), "--no-index")
    return home


def record(
    home: Path, folder: Path, fixtures: Path, recordings: Iterable[tuple[str, str, str]], **env: str
) -> None:
    """``(source, call, fixture path under fixtures)`` each recorded into ``folder``."""
    for source, call, fixture in recordings:
        run_cli(
            home,
            "sources",
            "recording",
            "add",
            "--into",
            str(folder),
            source,
            call,
            str(fixtures / fixture),
            **env,
        )


@contextmanager
def serve(home: Path, **env: str) -> Iterator[str]:
    """``anime-mcp serve`` on a free loopback port; yields its URL."""
    served = Served(clean_env(home, **env))
    try:
        yield served.url
    finally:
        served.stop()


def upstream(log: Path) -> list[dict[str, Any]]:
    """The lines of an ``ANIME_MCP_REPLAY_LOG`` file: one per request the replayed upstream received."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def outcomes(answer: Mapping[str, Any]) -> dict[str, str]:
    """Each source's outcome in a ``get_anime_details`` answer (``contributed``, ``failed (reason)``)."""
    return {
        o["source"]: o["status"] + (f" ({o['reason']})" if o.get("reason") else "")
        for o in answer["degradation"]["outcomes"]
    }
