"""Cold start of ``anime-mcp mcp``: from spawning the process to the answer of ``tools/list``, over stdio,
with plain JSON-RPC lines (no client library in the measurement). Also the first ``search_anime`` answer after
that (the model and index load in the background while ``tools/list`` is answered).

    .venv/bin/python benchmarks/serve_mcp_start.py --home DIR [--runs 10] [--baseline TREE]

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue (``anime-mcp ingest``); set ANIME_MCP_MODEL
as for any command.

``--baseline TREE`` measures another version side by side, run for run alternately, so both see the same
neighbours: TREE holds an ``anime_mcp`` package of that version, put first on ``PYTHONPATH``, e.g.::

    mkdir -p /tmp/base/anime_mcp && touch /tmp/base/anime_mcp/__init__.py
    git archive COMMIT core ports adapters plugins entrypoints | tar -x -C /tmp/base/anime_mcp

Beside the wall-clock times it prints the server's CPU time (user + system, all its threads, from
``/proc/PID/stat``) at both moments: on a busy machine the wall clock measures the neighbours, while the CPU
time spent before an answer bounds from below what a quiet machine takes to give it.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import cpu_seconds

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))


def send(stdin: IO[str], message: dict[str, Any]) -> None:
    stdin.write(json.dumps(message) + "\n")
    stdin.flush()


def receive(stdout: IO[str], request_id: int) -> dict[str, Any]:
    while True:
        line = stdout.readline()
        if not line:
            raise RuntimeError("the server closed its stdout")
        message: dict[str, Any] = json.loads(line)
        if message.get("id") == request_id:
            return message


def server_cpu(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (every thread), or NaN where /proc is missing."""
    try:
        return cpu_seconds(pid)
    except OSError:
        return float("nan")


def one_run(home: str, pythonpath: str | None = None) -> tuple[float, float, float, float]:
    env = {**os.environ, "ANIME_MCP_HOME": home}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    started = time.perf_counter()
    process = subprocess.Popen(
        [ANIME_MCP, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        send(
            process.stdin,
            {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "benchmark", "version": "1"},
                },
            },
        )
        receive(process.stdout, 1)
        send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = receive(process.stdout, 2)
        listed = time.perf_counter() - started
        listed_cpu = server_cpu(process.pid)
        assert tools["result"]["tools"], tools
        send(
            process.stdin,
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "search_anime", "arguments": {"query": "death note"}},
            },
        )
        answer = receive(process.stdout, 3)
        searched = time.perf_counter() - started
        searched_cpu = server_cpu(process.pid)
        assert answer["result"]["structuredContent"]["results"][0]["ids"]["mal"] == "1535", answer
        return listed, searched, listed_cpu, searched_cpu
    finally:
        process.stdin.close()
        process.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", required=True)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument(
        "--baseline", help="a folder holding another version's anime_mcp package, measured alternately"
    )
    args = parser.parse_args()
    versions: dict[str, str | None] = {"this tree": None}
    if args.baseline:
        versions = {"baseline": str(Path(args.baseline).absolute()), **versions}
    for pythonpath in versions.values():
        one_run(args.home, pythonpath)  # page cache warm, as for a client that starts the server again
    print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    runs: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in versions}
    for _ in range(args.runs):
        for name, pythonpath in versions.items():
            runs[name].append(one_run(args.home, pythonpath))
    print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for name, found_runs in runs.items():
        if len(versions) > 1:
            print(f"{name}:")
        report(found_runs)


def report(runs: list[tuple[float, float, float, float]]) -> None:
    for label, found in (
        ("spawn -> tools/list answer", [r[0] for r in runs]),
        ("spawn -> first search_anime answer", [r[1] for r in runs]),
        ("server CPU at the tools/list answer", [r[2] for r in runs]),
        ("server CPU at the first search_anime answer", [r[3] for r in runs]),
    ):
        values = sorted(found)
        print(
            f"{label}: median {statistics.median(values):.3f} s, min {values[0]:.3f} s, "
            f"max {values[-1]:.3f} s ({len(values)} runs)"
        )


if __name__ == "__main__":
    main()
