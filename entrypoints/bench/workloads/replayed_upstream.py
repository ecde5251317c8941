"""Shared upstream (``shared-upstream``): N identical concurrent requests spread over two ``anime-mcp serve``
processes that share one Redis should reach the upstream exactly once (issue #10); without Redis each
process asks once.

Its own deployment in the workdir: a home holding Death Note's (and Monster's) catalogue entry, Kitsu's real
Death Note answer from ../shared/fixtures (``anime-mcp sources recording add``) replayed with
``ANIME_MCP_REPLAY_LATENCY`` as the upstream, a throwaway ``redis-server``, and ``ANIME_MCP_REPLAY_LOG``
counting the requests the upstream received from both processes. The requests are ``get_anime_details
mal:1535 sources=kitsu`` over REST, half to each process, all sent at once: first cold (nothing cached
anywhere), then again (warm), then cold against two processes without Redis for comparison.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path
from typing import Any, ClassVar

from attrs import frozen

from anime_mcp.entrypoints.bench.workloads import replayed_deployment as deployment
from anime_mcp.entrypoints.bench.workloads.measure import summary_ms
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

BODY = {"anime_id": "mal:1535", "fields": ["synopsis", "score"], "sources": ["kitsu"]}
RECORDING = ("kitsu", "fetch kitsu:1376", "kitsu/anime/anime_1376_death-note.json")
# (label, key in extra, shared Redis, phases)
RUNS = (
    ("two processes, one Redis", "redis", True, ("cold", "warm")),
    ("two processes, no Redis", "no_redis", False, ("cold",)),
)


async def burst(urls: list[str], count: int) -> tuple[list[float], int]:
    """``count`` identical requests at once, round-robin over ``urls``: latencies and failures."""
    import anyio
    import httpx

    latencies: list[float] = []
    failures = 0
    start = anyio.Event()

    async def one(http: httpx.AsyncClient, url: str) -> None:
        nonlocal failures
        await start.wait()
        started = time.perf_counter()
        response = await http.post(f"{url}/api/tools/get_anime_details", json=BODY)
        latencies.append(time.perf_counter() - started)
        ok = response.status_code == 200 and deployment.outcomes(response.json()) == {"kitsu": "contributed"}
        failures += not ok

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
    import httpx

    async with httpx.AsyncClient(timeout=60) as http:
        for url in urls:
            for _ in range(2):
                other = {**BODY, "anime_id": "Monster"}
                (await http.post(f"{url}/api/tools/get_anime_details", json=other)).raise_for_status()


@frozen
class SharedUpstream:
    name: str = "shared-upstream"
    description: str = (
        "identical concurrent requests over two serve processes: upstream requests with one Redis (target 1) "
        "and without"
    )
    varies: frozenset[str] = frozenset()  # its own deployment: no configuration changes it
    judged: bool = False
    self_contained: ClassVar[bool] = True  # builds its own home: needs no configured home or model
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "requests": "100: identical concurrent requests per burst, half to each process",
        "latency": "0.2: seconds each replayed answer takes",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        requests = context.param("requests", 100)
        latency = context.param("latency", 0.2)
        fixture = deployment.FIXTURES / RECORDING[2]
        missing = deployment.missing_shared(context.shared_dir, deployment.CATALOGUE, fixture)
        if missing is not None or context.shared_dir is None:
            return WorkloadResult(skipped=missing)
        if shutil.which("redis-server") is None:
            return WorkloadResult(skipped="redis-server not on PATH (apt-get install redis-server)")
        import anyio

        from anime_mcp.entrypoints.bench.redis_process import redis_server

        shared = context.shared_dir
        context.workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="shared-upstream-", dir=context.workdir))
        context.progress("a home with Death Note and Monster, Kitsu recorded from ../shared/fixtures")
        home = deployment.catalogue_home(root, shared / deployment.CATALOGUE, ["Death Note", "Monster"])
        folder = root / "recordings"
        deployment.record(home, folder, shared / deployment.FIXTURES, [RECORDING])
        replay = {"ANIME_MCP_REPLAY": str(folder), "ANIME_MCP_REPLAY_LATENCY": str(latency)}
        runs: dict[str, dict[str, Any]] = {}  # "two processes, one Redis, cold" -> its figures
        bursts: dict[str, list[float]] = {}  # "redis_cold" -> its latencies
        for label, key, shared_redis, phases in RUNS:
            log = root / f"upstream-{key}.jsonl"
            env = {**replay, "ANIME_MCP_REPLAY_LOG": str(log)}
            with ExitStack() as stack:
                if shared_redis:
                    env["ANIME_MCP_REDIS_URL"] = stack.enter_context(redis_server(root / "redis"))
                urls = [stack.enter_context(deployment.serve(home, **env)) for _ in range(2)]
                anyio.run(warm_up, urls)
                for phase in phases:
                    context.progress(f"{label}, {phase}: {requests} requests at once")
                    before = len(deployment.upstream(log))
                    latencies, failures = anyio.run(burst, urls, requests)
                    stats = summary_ms(latencies)
                    runs[f"{label}, {phase}"] = {
                        "key": f"{key}_{phase}",
                        "upstream_requests": len(deployment.upstream(log)) - before,
                        "failed": failures,
                        **{k: (round(v, 3) if isinstance(v, float) else v) for k, v in stats.items()},
                    }
                    bursts[f"{key}_{phase}"] = latencies
        return result(runs, bursts, requests, latency)


def result(
    runs: Mapping[str, dict[str, Any]], bursts: Mapping[str, list[float]], requests: int, latency: float
) -> WorkloadResult:
    extra: dict[str, Any] = {f"upstream_{run['key']}": run["upstream_requests"] for run in runs.values()}
    extra["failed"] = sum(run["failed"] for run in runs.values())
    return WorkloadResult(
        samples=tuple(bursts["redis_cold"]),  # the coalesced burst: what the shared claim costs a caller
        extra={**extra, "target_upstream_redis_cold": 1},
        details={"requests": requests, "latency_s": latency, "runs": dict(runs)},
    )
