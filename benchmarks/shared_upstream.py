"""Shared upstream: N identical concurrent requests spread over two ``anime-mcp serve`` processes that share
one Redis should reach the upstream exactly once (issue #10); without Redis each process asks once.

    .venv/bin/python benchmarks/shared_upstream.py [--requests 100] [--latency 0.2]

Self-contained: a temporary home holding Death Note's (and Monster's) catalogue entry, Kitsu's real Death
Note answer from ../shared/fixtures (``anime-mcp sources recording add``) replayed with
``ANIME_MCP_REPLAY_LATENCY`` as the upstream, a throwaway ``redis-server``, and ``ANIME_MCP_REPLAY_LOG``
counting the requests the upstream received from both processes. The requests are ``get_anime_details
mal:1535 sources=kitsu`` over REST, half to each process, all sent at once: first cold (nothing cached
anywhere), then again (warm), then cold against two processes without Redis for comparison.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import anyio
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from replayed_deployment import catalogue_home, outcomes, record, redis_server, serve, upstream
from stats import markdown_table, summary_ms

BODY = {"anime_id": "mal:1535", "fields": ["synopsis", "score"], "sources": ["kitsu"]}


async def burst(urls: list[str], count: int) -> tuple[list[float], int]:
    """``count`` identical requests at once, round-robin over ``urls``: latencies and failures."""
    latencies: list[float] = []
    failures = 0
    start = anyio.Event()

    async def one(http: httpx.AsyncClient, url: str) -> None:
        nonlocal failures
        await start.wait()
        started = time.perf_counter()
        response = await http.post(f"{url}/api/tools/get_anime_details", json=BODY)
        latencies.append(time.perf_counter() - started)
        failures += response.status_code != 200 or outcomes(response.json()) != {"kitsu": "contributed"}

    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(timeout=60, limits=limits) as http, anyio.create_task_group() as tg:
        for i in range(count):
            tg.start_soon(one, http, urls[i % len(urls)])
        await anyio.sleep(0.2)  # every task waiting: release them together
        start.set()
    return latencies, failures


async def warm_up(urls: list[str]) -> None:
    """Imports, worker threads, the catalogue and the Redis connections of each process: Monster's Kitsu
    request has no recording, so it goes the whole way (cache, claim, budget) and is answered by nothing,
    twice per process (the breaker opens at five failures)."""
    async with httpx.AsyncClient(timeout=60) as http:
        for url in urls:
            for _ in range(2):
                other = {**BODY, "anime_id": "Monster"}
                (await http.post(f"{url}/api/tools/get_anime_details", json=other)).raise_for_status()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each replayed answer takes")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="anime-mcp-shared-") as temp:
        root = Path(temp)
        home = catalogue_home(root, ["Death Note", "Monster"])
        folder = root / "recordings"
        record(home, folder, [("kitsu", "fetch kitsu:1376", "kitsu/anime/anime_1376_death-note.json")])
        replay = {"ANIME_MCP_REPLAY": str(folder), "ANIME_MCP_REPLAY_LATENCY": str(args.latency)}
        for label, shared in (("two processes, one Redis", True), ("two processes, no Redis", False)):
            log = root / f"upstream-{shared}.jsonl"
            with redis_server(root) as redis_url:
                env = {**replay, "ANIME_MCP_REPLAY_LOG": str(log)}
                if shared:
                    env["ANIME_MCP_REDIS_URL"] = redis_url
                with serve(home, **env) as a, serve(home, **env) as b:
                    anyio.run(warm_up, [a, b])
                    phases = ("cold", "warm") if shared else ("cold",)
                    for phase in phases:
                        before = len(upstream(log))
                        latencies, failures = anyio.run(burst, [a, b], args.requests)
                        sent = len(upstream(log)) - before
                        stats = summary_ms(latencies)
                        rows.append((f"{label}, {phase}", sent, failures, *list(stats.values())[1:]))
    headers = ["run", "upstream requests", "failed", "median ms", "p95 ms", "max ms"]
    print(markdown_table(headers, rows))
    print(
        f"\n{args.requests} identical concurrent get_anime_details requests, half to each process; replayed "
        f"Kitsu answers after {args.latency * 1000:.0f} ms. Target: exactly one upstream request with Redis."
    )


if __name__ == "__main__":
    main()
