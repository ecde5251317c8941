"""REST load with ``wrk`` (compiled: the client does not eat the server's CPU): ``POST /api/query`` cycling
the judged questions (serve_rest_load.py's bodies), 2 threads, 32 connections, 15 s per run; requests/s and
latency percentiles per run and the median per server, with the servers' resident memory.

    .venv/bin/python benchmarks/serve_wrk.py --home DIR [--workers 1] [--rounds 3]
    # side by side with an older commit, runs interleaved (base, new, base, new, ...):
    git worktree add /tmp/base-4d5136f 4d5136f
    .venv/bin/python benchmarks/serve_wrk.py --home DIR --base /tmp/base-4d5136f

Each run also prints the server's CPU per request (user + system time of the server process and its workers,
read from /proc around the run, divided by the requests wrk completed). ``--search-baseline`` measures, in
this process on the same home, the CPU of a hybrid search (query embedding + engine) for each question's text
(three passes, the query-vector cache warm as in the server) and prints the ratio of the two: the server's
overhead around the search (issue 15: at most 1.5 x). Measure it with ``--env ANIME_MCP_ANSWER_CACHE=0``,
else most requests are answered from the answer cache and never search.

``--base`` runs that checkout's ``anime-mcp serve`` with this venv (its sources on PYTHONPATH as the import
package, the way .ci/run builds build/lint), on the same home, catalogue and questions. Set ANIME_MCP_MODEL
as for any command. ``--env KEY=VALUE`` goes to the new server only (e.g. ANIME_MCP_ANSWER_CACHE=0 to
measure without the answer cache). ``--settle N`` measures memory as well: each server's RSS N seconds after
it started (warm-up and background work done) and after its first question, before any load.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

from serve_rest_load import bodies
from stats import cpu_seconds, with_children

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("wrk") / "cycle_bodies.lua"


def import_tree(checkout: Path) -> Path:
    """A folder holding ``anime_mcp`` as symlinks to the checkout's top-level packages (package-dir map)."""
    mapping = tomllib.loads((checkout / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    tree = Path(tempfile.mkdtemp(prefix="anime-mcp-tree-"))
    package = tree / "anime_mcp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, folder in mapping.items():
        short = name.removeprefix("anime_mcp.")
        if name != "anime_mcp" and "." not in short:
            (package / short).symlink_to(checkout / folder)
    return tree


def start(
    home: str, *, tree: Path | None, workers: int, env: dict[str, str]
) -> tuple[subprocess.Popen[str], str]:
    command = [
        sys.executable,
        "-m",
        "anime_mcp.entrypoints.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    if workers > 1:
        command += ["--workers", str(workers)]
    environ = {**os.environ, "ANIME_MCP_HOME": home, **env}
    if tree is not None:
        environ["PYTHONPATH"] = str(tree)
    process = subprocess.Popen(
        command, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environ
    )
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"serving on (http://\S+) ", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, found.group(1)
    raise RuntimeError(f"{' '.join(command)} did not start")


def rss_mb(pid: int) -> float:
    """Resident memory of the process and its children (serve --workers), in MB."""
    total = 0
    for each in with_children(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def server_cpu(pid: int) -> float:
    """User + system CPU of the process and its children (serve --workers), in seconds."""
    return sum(cpu_seconds(each) for each in with_children(pid))


def search_baseline(home: str, questions: list[dict[str, Any]], passes: int = 3) -> float:
    """CPU seconds of one hybrid search (query embedding + engine) per question, in this process."""
    from anime_mcp.entrypoints.bootstrap import bootstrap
    from anime_mcp.entrypoints.runtime import Runtime

    os.environ["ANIME_MCP_HOME"] = home
    service = Runtime(bootstrap()).search()
    texts = [q["query"] if isinstance(q["query"], str) else q["query"]["text"] for q in questions]
    for text in texts:  # first calls: model and engine start-up, query vectors cached as in the server
        service.search(text, limit=10)
    started = time.process_time()
    for _ in range(passes):
        for text in texts:
            service.search(text, limit=10)
    return (time.process_time() - started) / (passes * len(texts))


def wrk(url: str, body_file: str, seconds: int, connections: int) -> dict[str, float]:
    result = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), url],
        capture_output=True,
        text=True,
        env={**os.environ, "BODIES": body_file},
        check=True,
    )
    rate = re.search(
        r"wrk: (\d+) requests in ([\d.]+) s, ([\d.]+) requests/s, (\d+) errors \(non-2xx (\d+)", result.stdout
    )
    latency = re.search(r"p50 ([\d.]+), p90 ([\d.]+), p99 ([\d.]+), max ([\d.]+)", result.stdout)
    assert rate and latency, result.stdout + result.stderr
    return {
        "requests": int(rate.group(1)),
        "rps": float(rate.group(3)),
        "errors": int(rate.group(4)) + int(rate.group(5)),
        "p50": float(latency.group(1)),
        "p90": float(latency.group(2)),
        "p99": float(latency.group(3)),
    }


def ask(url: str, question: dict[str, Any]) -> None:
    request = urllib.request.Request(
        url + "/api/query", data=json.dumps(question).encode(), headers={"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        response.read()


def memory_before_load(
    servers: dict[str, tuple[subprocess.Popen[str], str]], settle: float, question: dict[str, Any]
) -> None:
    time.sleep(settle)
    for name, (process, _) in servers.items():
        print(f"{name}: RSS {rss_mb(process.pid):.0f} MB {settle:g} s after start", flush=True)
    for name, (process, url) in servers.items():
        ask(url, question)
        time.sleep(2)
        print(f"{name}: RSS {rss_mb(process.pid):.0f} MB after the first question", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", required=True)
    parser.add_argument("--base", type=Path, help="an older checkout to run side by side (git worktree)")
    parser.add_argument("--workers", type=int, default=1, help="serve --workers of the new server")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the new server")
    parser.add_argument(
        "--search-baseline",
        action="store_true",
        help="print the CPU of a hybrid search per question, in process, and the server's ratio to it",
    )
    parser.add_argument(
        "--settle", type=float, help="print RSS this many seconds after start, and after the first question"
    )
    args = parser.parse_args()
    questions = bodies()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        handle.write("".join(json.dumps(b, ensure_ascii=False) + "\n" for b in questions))
    extra = dict(pair.split("=", 1) for pair in args.env)
    servers = {}
    if args.base is not None:
        servers["base"] = start(args.home, tree=import_tree(args.base.resolve()), workers=1, env={})
    servers["new"] = start(args.home, tree=None, workers=args.workers, env=extra)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in servers}
    try:
        if args.settle is not None:
            memory_before_load(servers, args.settle, questions[0])
        for _process, url in servers.values():  # warm: first requests, caches, connection set-up
            ask(url, questions[0])  # the first question builds the planner's vocabulary: wait for it
            wrk(url, handle.name, 3, args.connections)
        print(
            f"{len(questions)} questions, wrk 2 threads, {args.connections} connections, "
            f"{args.seconds} s per run"
        )
        for round_ in range(args.rounds):
            for name, (process, url) in servers.items():
                before = server_cpu(process.pid)
                run = wrk(url, handle.name, args.seconds, args.connections)
                run["cpu_ms"] = (server_cpu(process.pid) - before) * 1000 / max(run["requests"], 1)
                runs[name].append(run)
                print(
                    f"round {round_ + 1} {name}: {run['rps']:.1f} requests/s, p50 {run['p50']:.1f} ms, "
                    f"p90 {run['p90']:.1f} ms, p99 {run['p99']:.1f} ms, {run['errors']} errors, "
                    f"server CPU {run['cpu_ms']:.2f} ms per request, "
                    f"RSS {rss_mb(process.pid):.0f} MB",
                    flush=True,
                )
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait(timeout=30)
    for name, found in runs.items():
        print(
            f"{name} median: {statistics.median(r['rps'] for r in found):.1f} requests/s, "
            f"p50 {statistics.median(r['p50'] for r in found):.1f} ms, "
            f"p99 {statistics.median(r['p99'] for r in found):.1f} ms, "
            f"server CPU {statistics.median(r['cpu_ms'] for r in found):.2f} ms per request"
        )
    if "base" in runs:
        ratio = statistics.median(r["rps"] for r in runs["new"]) / statistics.median(
            r["rps"] for r in runs["base"]
        )
        print(f"new / base throughput: {ratio:.2f}x")
    if args.search_baseline:
        search_ms = search_baseline(args.home, questions) * 1000
        served_ms = statistics.median(r["cpu_ms"] for r in runs["new"])
        print(
            f"hybrid search in process (embedding + engine): {search_ms:.2f} ms CPU per question; "
            f"server CPU per request / search: {served_ms / search_ms:.2f}x"
        )


if __name__ == "__main__":
    main()
