"""A repeated enrichment served from L1, over MCP stdio, end to end: ``get_anime_details mal:1535`` called
once (the sources answer from replayed recordings, and their answers land in the L1 response cache), then N
more times; beside it, in the same server and interleaved, ``get_anime_by_id mal:1535`` (a catalogue lookup,
no enrichment) as the transport's baseline. The difference of the medians is what an enrichment served from
L1 costs over the transport (the target: at most 1 ms).

    .venv/bin/python benchmarks/enrich_repeat_stdio.py [--repeats 200] [--fields synopsis,score,episodes]
                                                       [--base OLDER_CHECKOUT]

It also prints the server's own CPU time per call (blocks of each tool, read from /proc), which other load
on the machine disturbs far less than the wall-clock percentiles.

It builds its own home in a temporary folder: the Death Note catalogue entry of ../shared/data/examples
ingested, and a replay folder with Kitsu's and AniDB's real Death Note answers from ../shared/fixtures
(added with ``anime-mcp sources recording add``). Plain JSON-RPC lines, no client library in the measurement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from stats import cpu_seconds, percentile

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
SHARED = Path(os.environ.get("ANIME_MCP_SHARED") or Path(__file__).resolve().parents[2] / "shared")
EXAMPLE = SHARED / "data" / "examples" / "death-note.aod.json"
RECORDINGS = (
    ("kitsu", "fetch kitsu:1376", SHARED / "fixtures" / "kitsu" / "anime" / "anime_1376_death-note.json"),
    ("anidb", "fetch anidb:4563", SHARED / "fixtures" / "anidb" / "anime" / "anime_4563_death-note.xml"),
)
PLUGINS = "aod_catalogue,caches,kitsu,anidb"


def environment(home: Path, replay: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env.update(ANIME_MCP_HOME=str(home), ANIME_MCP_LOAD_PLUGINS=PLUGINS, ANIME_MCP_LOG_LEVEL="warning")
    if replay is not None:
        env["ANIME_MCP_REPLAY"] = str(replay)
    return env


def prepare(folder: Path) -> tuple[Path, Path]:
    home, replay = folder / "home", folder / "recordings"
    subprocess.run([ANIME_MCP, "ingest", "--source", str(EXAMPLE)], env=environment(home), check=True)
    for source, call, file in RECORDINGS:
        command = [ANIME_MCP, "sources", "recording", "add", "--into", str(replay), source, call, str(file)]
        subprocess.run(command, env=environment(home), check=True, stdout=subprocess.DEVNULL)
    return home, replay


class Server:
    def __init__(self, env: dict[str, str], tree: Path | None = None) -> None:
        command = [ANIME_MCP, "mcp"]
        if tree is not None:  # an older checkout's code with this venv (serve_wrk.import_tree)
            command = [sys.executable, "-m", "anime_mcp.entrypoints.cli", "mcp"]
            env = {**env, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.next_id = 0

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        self.next_id += 1
        stdin.write(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        stdin.write("\n")
        stdin.flush()
        return receive(stdout, self.next_id)

    def notify(self, method: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": method}) + "\n")
        self.process.stdin.flush()

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        answer = self.request("tools/call", {"name": tool, "arguments": arguments})
        seconds = time.perf_counter() - started
        result: dict[str, Any] = answer["result"]
        assert not result.get("isError"), result
        return seconds, result["structuredContent"]

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)


def receive(stdout: IO[str], request_id: int) -> dict[str, Any]:
    while True:
        line = stdout.readline()
        if not line:
            raise RuntimeError("the server closed its stdout")
        message: dict[str, Any] = json.loads(line)
        if message.get("id") == request_id:
            return message


def line(label: str, samples: list[float]) -> str:
    ms = [s * 1000 for s in samples]
    return (
        f"{label:<42} p50 {percentile(ms, 50):7.3f} ms   p95 {percentile(ms, 95):7.3f} ms   "
        f"min {min(ms):7.3f} ms   (n={len(ms)})"
    )


def measure(servers: dict[str, Server], repeats: int, fields: list[str]) -> None:
    """Interleaved repeats on every server, then each server's CPU per call in blocks; prints both."""
    details = {"anime_id": "mal:1535", "fields": fields}
    baseline = {"anime_id": "mal:1535", "detail": "brief"}
    samples: dict[str, dict[str, list[float]]] = {n: {"details": [], "lookup": []} for n in servers}
    cached = dict.fromkeys(servers, 0)
    for name, server in servers.items():
        server.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "benchmark", "version": "1"},
            },
        )
        server.notify("notifications/initialized")
        first, answer = server.call("get_anime_details", details)
        outcomes = {o["source"]: o for o in answer["degradation"]["outcomes"]}
        assert outcomes["kitsu"]["status"] == "contributed", outcomes
        server.call("get_anime_by_id", baseline)
        print(f"{name}: first get_anime_details (replayed sources, cache cold): {first * 1000:.3f} ms")
    for _ in range(repeats):
        for name, server in servers.items():
            seconds, answer = server.call("get_anime_details", details)
            samples[name]["details"].append(seconds)
            kitsu = next(o for o in answer["degradation"]["outcomes"] if o["source"] == "kitsu")
            cached[name] += bool(kitsu["from_cache"])
            samples[name]["lookup"].append(server.call("get_anime_by_id", baseline)[0])
    # The server's own CPU per call, in blocks of each (less sensitive than wall time to other load on the
    # machine: what the server spends, not how long it waited for a core)
    cpu: dict[str, dict[str, float]] = {n: {} for n in servers}
    for kind, tool, arguments in (
        ("details", "get_anime_details", details),
        ("lookup", "get_anime_by_id", baseline),
    ):
        for name, server in servers.items():
            before = cpu_seconds(server.process.pid)
            for _ in range(repeats):
                server.call(tool, arguments)
            cpu[name][kind] = (cpu_seconds(server.process.pid) - before) / repeats
    for name in servers:
        enriched, lookups = samples[name]["details"], samples[name]["lookup"]
        print(f"\n== {name}")
        print(line("get_anime_details mal:1535, repeated", enriched))
        print(line("get_anime_by_id mal:1535 (baseline)", lookups))
        difference = percentile(enriched, 50) - percentile(lookups, 50)
        print(f"enrichment on an L1 hit, over the transport: p50 difference {difference * 1000:.3f} ms")
        print(f"repeats whose Kitsu answer said from_cache: {cached[name]} of {repeats}")
        used = cpu[name]
        print(
            f"server CPU per call: get_anime_details {used['details'] * 1000:.3f} ms, get_anime_by_id "
            f"{used['lookup'] * 1000:.3f} ms, difference {(used['details'] - used['lookup']) * 1000:.3f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--fields", default="synopsis,score,episodes")
    parser.add_argument(
        "--base", type=Path, default=None, help="an older checkout (git worktree) measured beside this one"
    )
    args = parser.parse_args()
    fields = [f for f in args.fields.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="anime-mcp-bench-") as temp:
        home, replay = prepare(Path(temp))
        servers = {"this checkout": Server(environment(home, replay))}
        if args.base is not None:
            from serve_wrk import import_tree

            servers[f"base {args.base}"] = Server(environment(home, replay), import_tree(args.base.resolve()))
        try:
            measure(servers, args.repeats, fields)
        finally:
            for server in servers.values():
                server.close()


if __name__ == "__main__":
    main()
