"""REST load: ``POST /api/query`` latency (p50, p95, p99) and throughput with N concurrent clients on
loopback, against a real ``anime-mcp serve`` process (uvicorn, one worker process).

    .venv/bin/python benchmarks/serve_rest_load.py --home DIR [--clients 32] [--seconds 20]

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue; set ANIME_MCP_MODEL as for any command.
The queries are the judged queries of benchmarks/search_queries.json (titles in several scripts, typos,
descriptions, some with filters), cycled; each client sends one request at a time on its own connection.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
QUERIES = Path(__file__).with_name("search_queries.json")
FILTER_KEYS = {
    "type": "types",
    "season": "seasons",
    "status": "statuses",
    "tag": "tags",
    "studio": "studios",
    "platform": "platforms",
    "exclude_tag": "exclude_tags",
}


def bodies() -> list[dict[str, Any]]:
    """Each judged query as an /api/query body (its CLI filters translated to the API's filter object)."""
    found = []
    for item in json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]:
        filters: dict[str, Any] = {}
        for option, value in (item.get("filters") or {}).items():
            key = option.lstrip("-").replace("-", "_")
            values = value if isinstance(value, list) else str(value).split(",")
            if key in FILTER_KEYS:
                filters[FILTER_KEYS[key]] = [
                    v.upper() if key in {"type", "season", "status"} else v for v in values
                ]
            elif key == "year" and "-" in str(value):
                low, _, high = str(value).partition("-")
                filters |= {k: int(v) for k, v in (("year_min", low), ("year_max", high)) if v}
            elif key == "min_score":
                filters["min_score"] = float(value)
        query: Any = {"text": item["query"], "filters": filters} if filters else item["query"]
        found.append({"query": query, "limit": 10})
    return found


def start_server(home: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [ANIME_MCP, "serve", "--host", "127.0.0.1", "--port", "0"],
        text=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "ANIME_MCP_HOME": home},
    )
    assert process.stderr is not None
    for line in process.stderr:
        found = re.search(r"serving on (http://\S+) ", line)
        if found:
            threading.Thread(target=process.stderr.read, daemon=True).start()  # keep draining
            return process, found.group(1)
    raise RuntimeError("anime-mcp serve did not start")


async def load(
    url: str, queries: list[dict[str, Any]], clients: int, seconds: float
) -> tuple[list[float], int]:
    latencies: list[float] = []
    failures = 0
    deadline = time.perf_counter() + seconds

    async def client(number: int) -> None:
        nonlocal failures
        async with httpx.AsyncClient(base_url=url, timeout=60) as http:
            position = number
            while time.perf_counter() < deadline:
                body = queries[position % len(queries)]
                position += clients
                started = time.perf_counter()
                response = await http.post("/api/query", json=body)
                latencies.append(time.perf_counter() - started)
                failures += response.status_code != 200

    async with anyio.create_task_group() as group:
        for number in range(clients):
            group.start_soon(client, number)
    return latencies, failures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", required=True)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    queries = bodies()
    process, url = start_server(args.home)
    try:
        anyio.run(load, url, queries, 4, 3.0)  # warm the caches and the connection pool
        latencies, failures = anyio.run(load, url, queries, args.clients, args.seconds)
    finally:
        process.terminate()
        process.wait(timeout=15)
    latencies.sort()

    def percentile(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    print(
        f"{len(queries)} distinct queries, {args.clients} concurrent clients, {args.seconds:.0f} s: "
        f"{len(latencies)} requests, {failures} failed, {len(latencies) / args.seconds:.1f} requests/s"
    )
    print(
        f"latency ms: p50 {percentile(0.50):.1f}, p95 {percentile(0.95):.1f}, p99 {percentile(0.99):.1f}, "
        f"mean {statistics.mean(latencies) * 1000:.1f}"
    )


if __name__ == "__main__":
    main()
