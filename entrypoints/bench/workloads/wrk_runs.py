"""``wrk`` runs against ``POST /api/query`` (compiled: the client does not eat the server's CPU), and what
they print read back as figures. Two scripts: ``wrk_cycle.lua`` (bodies from a file, its own summary lines:
serve-wrk) and a generated one with the bodies inline, read from wrk's ``--latency`` table (serve-soak)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CYCLE_LUA = Path(__file__).with_name("wrk_cycle.lua")
MISSING = "wrk is not on PATH (Debian: apt-get install wrk)"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk_missing() -> str | None:
    return MISSING if shutil.which("wrk") is None else None


def cycle(url: str, bodies: Path, seconds: int, connections: int, threads: int = 2) -> dict[str, float]:
    """One run of ``wrk_cycle.lua``: requests, requests/s, errors (socket and non-2xx), p50/p90/p99 ms."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    result = subprocess.run(
        [*command, "-s", str(CYCLE_LUA), url],
        capture_output=True,
        text=True,
        env={**os.environ, "BODIES": str(bodies)},
        check=True,
    )
    rate = re.search(
        r"wrk: (\d+) requests in ([\d.]+) s, ([\d.]+) requests/s, (\d+) errors \(non-2xx (\d+)", result.stdout
    )
    latency = re.search(r"p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), max ([\d.]+)", result.stdout)
    if not (rate and latency):
        raise RuntimeError(f"wrk printed no summary: {result.stdout}{result.stderr}")
    return {
        "requests": int(rate.group(1)),
        "requests_per_s": float(rate.group(3)),
        "errors": int(rate.group(4)) + int(rate.group(5)),
        "p50_ms": float(latency.group(1)),
        "p90_ms": float(latency.group(2)),
        "p99_ms": float(latency.group(3)),
        "max_ms": float(latency.group(4)),
    }


def write_bodies(bodies: Sequence[Any], path: Path) -> Path:
    """One JSON body per line, for ``wrk_cycle.lua``."""
    path.write_text("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in bodies), encoding="utf-8")
    return path


def inline_script(bodies: Sequence[Any], path: Path) -> Path:
    """A wrk script that cycles through ``bodies`` (inline) as ``POST /api/query`` bodies."""
    lines = ", ".join("[==[" + json.dumps(body, ensure_ascii=False) + "]==]" for body in bodies)
    path.write_text(
        f"local bodies = {{{lines}}}\n"
        "local i = 0\n"
        'wrk.headers["Content-Type"] = "application/json"\n'
        "request = function()\n"
        "  i = i % #bodies + 1\n"
        '  return wrk.format("POST", "/api/query", nil, bodies[i])\n'
        "end\n",
        encoding="utf-8",
    )
    return path


def latency_run(url: str, script: Path, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    """One ``wrk --latency`` run of ``script``: requests, requests/s, p50/p99 ms, socket errors, non-2xx."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    run = subprocess.run([*command, "-s", str(script), url], capture_output=True, text=True, check=True)
    return parse_latency(run.stdout)


def milliseconds(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if found is None:
        return float("nan")
    return float(found.group(1)) * _UNITS[found.group(2)]


def parse_latency(output: str) -> dict[str, Any]:
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
