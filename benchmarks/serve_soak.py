"""Soak: ``wrk`` with 100 connections for 60 s against ``anime-mcp serve`` on loopback. Reports the errors
(socket errors and non-2xx answers), p50/p99 per 10-s slice (is latency stable over time?) and the server's
RSS at the start, after each slice and at the end (does memory grow without bound?).

    .venv/bin/python benchmarks/serve_soak.py --home DIR [--connections 100] [--seconds 60] [--slice 10]

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue; set ANIME_MCP_MODEL as for any command.
Needs ``wrk`` on PATH (Debian: ``apt-get install wrk``). Each slice is one ``wrk`` run of ``--slice``
seconds, back to back on the same server (the connections are reopened between slices). The requests are
``POST /api/query`` with the judged queries of benchmarks/search_queries.json, cycled. Not a test: the
figures go into docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
QUERIES = Path(__file__).with_name("search_queries.json")
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def start_server(home: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [ANIME_MCP, "serve", "--host", "127.0.0.1", "--port", "0"],
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "ANIME_MCP_HOME": home, "ANIME_MCP_LOG_LEVEL": "warning"},
    )
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"serving on (http://\S+) ", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining
            return process, found.group(1)
    raise RuntimeError("anime-mcp serve did not start")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def lua_script(folder: Path) -> Path:
    """A wrk script that cycles through the judged queries as ``POST /api/query`` bodies."""
    queries = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    bodies = [json.dumps({"query": q["query"], "limit": 10}, ensure_ascii=False) for q in queries]
    lines = ", ".join("[==[" + body + "]==]" for body in bodies)
    script = folder / "soak.lua"
    script.write_text(
        f"local bodies = {{{lines}}}\n"
        "local i = 0\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/api/query", nil, bodies[i])\n'
        "end\n",
        encoding="utf-8",
    )
    return script


def milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip()).groups()  # type: ignore[union-attr]
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict[str, Any]:
    def percentile(p: str) -> float:
        found = re.search(rf"^\s+{p}%\s+(\S+)", output, re.MULTILINE)
        return milliseconds(found.group(1)) if found else float("nan")

    requests = re.search(r"(\d+) requests in", output)
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    return {
        "requests": int(requests.group(1)) if requests else 0,
        "requests_per_s": float(rate.group(1)) if rate else 0.0,
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "socket_errors": sum(int(n) for n in socket.groups()) if socket else 0,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", required=True, help="an ingested, indexed ANIME_MCP_HOME")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--slice", type=int, default=10, help="seconds per reported slice")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not on PATH (Debian: apt-get install wrk)")
    server, url = start_server(args.home)
    try:
        for _ in range(3):  # warm: the model and the index are loaded, the first answers computed
            httpx.post(f"{url}/api/query", json={"query": "death note"}, timeout=60).raise_for_status()
        report: dict[str, Any] = {
            "connections": args.connections,
            "seconds": args.seconds,
            "rss_start_mib": round(rss_mib(server.pid), 1),
            "slices": [],
        }
        with tempfile.TemporaryDirectory() as folder:
            script = lua_script(Path(folder))
            for number in range(args.seconds // args.slice):
                started = time.perf_counter()
                run = subprocess.run(
                    [
                        "wrk",
                        f"-t{args.threads}",
                        f"-c{args.connections}",
                        f"-d{args.slice}s",
                        "--timeout",
                        "30s",
                        "--latency",
                        "-s",
                        str(script),
                        url,
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = parse_wrk(run.stdout)
                figures["from_s"] = number * args.slice
                figures["wall_s"] = round(time.perf_counter() - started, 1)
                figures["rss_mib"] = round(rss_mib(server.pid), 1)
                report["slices"].append(figures)
                print(json.dumps(figures), file=sys.stderr)
        slices = report["slices"]
        report["rss_end_mib"] = slices[-1]["rss_mib"]
        report["errors"] = sum(s["socket_errors"] + s["non_2xx"] for s in slices)
        report["requests"] = sum(s["requests"] for s in slices)
        print(json.dumps(report, indent=2))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
