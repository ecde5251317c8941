"""Shared set-up of the benchmarks that replay real recordings as the upstream: a home holding a few catalogue
entries (no index), a recordings folder made with ``anime-mcp sources recording add`` from
``../shared/fixtures``, ``anime-mcp serve`` processes and a throwaway ``redis-server``."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import zstandard

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ANIME_MCP_SHARED") or ROOT.parent / "shared").resolve()
FIXTURES = SHARED / "fixtures"
CATALOGUE = SHARED / "data" / "anime-offline-database.jsonl.zst"
ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    return {**env, "ANIME_MCP_HOME": str(home), "ANIME_MCP_WARM_UP": "0", **extra}


def run(home: Path, *args: str, **env: str) -> None:
    command = [ANIME_MCP, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=clean_env(home, **env), check=False)
    if done.returncode != 0:
        raise RuntimeError(f"anime-mcp {' '.join(args)} failed: {done.stdout}{done.stderr}")


def catalogue_home(root: Path, titles: Iterable[str]) -> Path:
    """A home with the catalogue entries of these exact titles, stored without a search index."""
    wanted = [f'"title":"{title}"' for title in titles]
    with CATALOGUE.open("rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8").read()
    lines = text.splitlines()
    picked = [lines[0], *(line for line in lines[1:] if any(w in line for w in wanted))]
    slice_file = root / "slice.jsonl"
    slice_file.write_text("\n".join(picked) + "\n", encoding="utf-8")
    home = root / "home"
    run(home, "ingest", "--source", str(slice_file), "--no-index")
    return home


def record(home: Path, folder: Path, recordings: Iterable[tuple[str, str, str]], **env: str) -> None:
    """``(source, call, fixture path under ../shared/fixtures)`` each recorded into ``folder``."""
    for source, call, fixture in recordings:
        run(
            home,
            "sources",
            "recording",
            "add",
            "--into",
            str(folder),
            source,
            call,
            str(FIXTURES / fixture),
            **env,
        )


@contextmanager
def serve(home: Path, **env: str) -> Iterator[str]:
    """``anime-mcp serve`` on a free loopback port; yields its URL."""
    process = subprocess.Popen(
        [ANIME_MCP, "serve", "--host", "127.0.0.1", "--port", "0"],
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=clean_env(home, **env),
    )
    assert process.stderr is not None
    try:
        for line in process.stderr:
            found = re.search(r"serving on (http://\S+) ", line)
            if found:
                threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining
                yield found.group(1)
                return
        raise RuntimeError("anime-mcp serve did not start")
    finally:
        process.terminate()
        process.wait(timeout=15)


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """Debian's ``redis-server`` on 127.0.0.1 and a free port, no persistence; yields its URL."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.kill()
        process.wait(timeout=10)


def upstream(log: Path) -> list[dict[str, Any]]:
    """The lines of an ``ANIME_MCP_REPLAY_LOG`` file: one per request the replayed upstream received."""
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def outcomes(answer: Mapping[str, Any]) -> dict[str, str]:
    return {
        o["source"]: o["status"] + (f" ({o['reason']})" if o.get("reason") else "")
        for o in answer["degradation"]["outcomes"]
    }
