"""A repeated enrichment served from L1, over MCP stdio, end to end: ``get_anime_details mal:1535`` called
once (the sources answer from replayed recordings, and their answers land in the L1 response cache), then N
more times; beside it, in the same server and interleaved, ``get_anime_by_id mal:1535`` (a catalogue lookup,
no enrichment) as the transport's baseline. The difference of the medians is what an enrichment served from
L1 costs over the transport (the target: at most 1 ms).

    .venv/bin/python benchmarks/enrich_repeat_stdio.py [--repeats 200] [--fields synopsis,score,episodes]

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
from stats import percentile

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
    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [ANIME_MCP, "mcp"],
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


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--fields", default="synopsis,score,episodes")
    args = parser.parse_args()
    fields = [f for f in args.fields.split(",") if f]
    with tempfile.TemporaryDirectory(prefix="anime-mcp-bench-") as temp:
        home, replay = prepare(Path(temp))
        server = Server(environment(home, replay))
        try:
            server.request(
                "initialize",
                {
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "benchmark", "version": "1"},
                },
            )
            server.notify("notifications/initialized")
            details = {"anime_id": "mal:1535", "fields": fields}
            baseline = {"anime_id": "mal:1535", "detail": "brief"}
            first, answer = server.call("get_anime_details", details)
            outcomes = {o["source"]: o for o in answer["degradation"]["outcomes"]}
            assert outcomes["kitsu"]["status"] == "contributed", outcomes
            server.call("get_anime_by_id", baseline)
            enriched: list[float] = []
            lookups: list[float] = []
            cached = 0
            for _ in range(args.repeats):
                seconds, answer = server.call("get_anime_details", details)
                enriched.append(seconds)
                kitsu = next(o for o in answer["degradation"]["outcomes"] if o["source"] == "kitsu")
                cached += bool(kitsu["from_cache"])
                lookups.append(server.call("get_anime_by_id", baseline)[0])
        finally:
            server.close()
    print(f"first get_anime_details (replayed sources, cache cold): {first * 1000:.3f} ms")
    print(line("get_anime_details mal:1535, repeated", enriched))
    print(line("get_anime_by_id mal:1535 (baseline)", lookups))
    difference = percentile(enriched, 50) - percentile(lookups, 50)
    print(f"enrichment on an L1 hit, over the transport: p50 difference {difference * 1000:.3f} ms")
    print(f"repeats whose Kitsu answer said from_cache: {cached} of {args.repeats}")


if __name__ == "__main__":
    main()
