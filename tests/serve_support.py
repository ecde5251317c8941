"""Helpers for the server tests: one catalogue slice ingested and indexed (real all-MiniLM-L6-v2 model) into a
temporary ANIME_MCP_HOME once per test session, the environment to run ``anime-mcp`` in, and starting
``anime-mcp serve`` on a free loopback port."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from attrs import define
from search_support import MINILM, catalogue_lines, pick_lines, write_slice
from shared_data import require_shared

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
TITLES = [
    "Death Note",
    "Death Note: Rewrite",
    "Death Parade",
    "Cowboy Bebop",
    "Tonari no Totoro",
    "Steins;Gate",
    "Monster",
    "Kuroko no Basket",
    "Haikyuu!!",
]
_homes: dict[str, Path] = {}


def environment(home: Path, **extra: str) -> dict[str, str]:
    """The process environment without the caller's ANIME_MCP_* settings, pointed at ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env.update(ANIME_MCP_HOME=str(home), ANIME_MCP_MODEL=str(MINILM), **extra)
    return env


def ingested_home(factory: pytest.TempPathFactory) -> Path:
    """A home with ~100 real catalogue entries (Death Note and friends among them), stored and indexed."""
    key = str(factory.getbasetemp())
    if key not in _homes:
        require_shared(MINILM)
        metadata, lines = catalogue_lines()
        root = factory.mktemp("serve")
        catalogue = write_slice(root / "slice.jsonl", metadata, pick_lines(lines, every=400, titles=TITLES))
        home = root / "home"
        result = subprocess.run(
            [ANIME_MCP, "ingest", "--source", str(catalogue), "--json"],
            capture_output=True,
            text=True,
            env=environment(home),
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["index"]["points"] > 50
        _homes[key] = home
    return _homes[key]


HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}


def mcp_process(home: Path, **env: str) -> subprocess.Popen[str]:
    """``anime-mcp -vv mcp`` on ``home``, its three streams piped as text (``initialize`` with ``HELLO``)."""
    return subprocess.Popen(
        [ANIME_MCP, "-vv", "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(home, **env),
    )


@define
class Server:
    url: str
    log: list[str]  # stderr lines, read as they come (JSON log lines when ANIME_MCP_LOG_FORMAT=json)


@contextmanager
def served(home: Path, *args: str, **env: str) -> Iterator[Server]:
    """``anime-mcp serve --host 127.0.0.1 --port 0 [ARGS]``, stopped afterwards (with any workers)."""
    process = subprocess.Popen(
        [ANIME_MCP, "serve", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(home, **env),
    )
    assert process.stderr is not None
    lines: list[str] = []
    started = threading.Event()

    def drain() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if "serving on" in line:
                started.set()
        started.set()

    threading.Thread(target=drain, daemon=True).start()
    try:
        started.wait(timeout=60)
        found = [
            m.group(1) for line in lines if (m := re.search(r"serving on (http://127\.0\.0\.1:\d+)", line))
        ]
        assert found, f"anime-mcp serve did not start: {''.join(lines)}"
        yield Server(found[0], lines)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
