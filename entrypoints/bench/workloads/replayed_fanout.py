"""Enrichment fan-out (``enrich-fanout``): four sources replayed with injected latency each; the merged
``get_anime_details`` answer should arrive in about the time of the slowest source, not the sum (issue #10:
at most 1.3 x).

Its own deployment in the workdir: a home holding Cowboy Bebop's catalogue entry, and recordings from
../shared/fixtures added with ``anime-mcp sources recording add``: Cowboy Bebop's real answers from Kitsu,
AniList and MyAnimeList (through Jikan); AniDB has no Cowboy Bebop document there, so its request (aid 23)
is answered with the recorded Seikai no Monshou document (aid 1), a stand-in that is parsed and merged like
any answer (the timing is what this measures, not the merged content). One ``anime-mcp serve`` replays them
with ``ANIME_MCP_REPLAY_LATENCY``. The four sources are made uncacheable (``[sources.<id>] cacheable =
false``), so every round really waits for them, and get a generous rate limit, so that AniDB's one request
per 2 s does not turn a fan-out measurement into a politeness one. Each round times every source alone,
then all four together, over REST.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from attrs import frozen

from anime_mcp.entrypoints.bench.workloads import replayed_deployment as deployment
from anime_mcp.entrypoints.bench.workloads.measure import summary_ms
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

JIKAN = {"ANIME_MCP_JIKAN_URL": "https://api.jikan.moe/v4"}  # MAL through Jikan: no client id needed
SOURCES = {
    "kitsu": ("fetch kitsu:1", "kitsu/anime/anime_1_cowboy-bebop.json"),
    "anilist": ("fetch anilist:1", "anilist/anime/media_1_cowboy-bebop.json"),
    "mal": ("fetch mal:1", "jikan/anime/anime-full_1_cowboy-bebop_2025.json"),
    "anidb": ("fetch anidb:23", "anidb/anime/anime_1_seikai-no-monshou.xml"),  # the stand-in
}
POLICY = "cacheable = false\nrate_limits = [{requests = 1000, per_seconds = 1}]\n"
FIELDS = ["synopsis", "score", "episodes", "genres"]
TARGET = 1.3  # issue #10: together at most 1.3 x the slowest source alone
WARM_UP_ROUNDS = 3  # connections, imports, the catalogue


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3) + 0.0  # never -0.0


def _rounded(summary: Mapping[str, float]) -> dict[str, float]:
    return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in summary.items()}


def timed(http: Any, sources: list[str]) -> float:
    """Seconds of one ``get_anime_details`` asking ``sources``; every one of them must contribute."""
    started = time.perf_counter()
    response = http.post(
        "/api/tools/get_anime_details",
        json={"anime_id": "mal:1", "fields": FIELDS, "sources": sources},
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    got = deployment.outcomes(response.json())
    if set(got.values()) != {"contributed"} or sorted(got) != sorted(sources):
        raise deployment.DeploymentError(f"not every source contributed: {got}")
    return elapsed


@frozen
class EnrichFanout:
    name: str = "enrich-fanout"
    description: str = (
        "four replayed sources alone and together over REST: together / slowest alone (target 1.3 x)"
    )
    varies: frozenset[str] = frozenset()  # its own deployment: no configuration changes it
    judged: bool = False
    self_contained: ClassVar[bool] = True  # builds its own home: needs no configured home or model
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "latency": "0.2: seconds each replayed answer takes",
        "rounds": "20: rounds, each timing every source alone then all four together",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        latency = context.param("latency", 0.2)
        rounds = context.param("rounds", 20)
        fixtures = [deployment.FIXTURES / file for _, file in SOURCES.values()]
        missing = deployment.missing_shared(context.shared_dir, deployment.CATALOGUE, *fixtures)
        if missing is not None or context.shared_dir is None:
            return WorkloadResult(skipped=missing)
        import httpx

        shared = context.shared_dir
        context.workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="enrich-fanout-", dir=context.workdir))
        context.progress("a home with Cowboy Bebop, four sources recorded from ../shared/fixtures")
        home = deployment.catalogue_home(root, shared / deployment.CATALOGUE, ["Cowboy Bebop"])
        folder = root / "recordings"
        recordings = [(source, call, file) for source, (call, file) in SOURCES.items()]
        deployment.record(home, folder, shared / deployment.FIXTURES, recordings, **JIKAN)
        (home / "config.toml").write_text("".join(f"[sources.{s}]\n{POLICY}\n" for s in SOURCES))
        env = {"ANIME_MCP_REPLAY": str(folder), "ANIME_MCP_REPLAY_LATENCY": str(latency), **JIKAN}
        names = list(SOURCES)
        alone: dict[str, list[float]] = {name: [] for name in names}
        together: list[float] = []
        with deployment.serve(home, **env) as url, httpx.Client(base_url=url, timeout=60) as http:
            for _ in range(WARM_UP_ROUNDS):
                timed(http, names)
            for number in range(1, rounds + 1):
                context.progress(f"round {number} of {rounds}")
                for name in names:
                    alone[name].append(timed(http, [name]))
                together.append(timed(http, names))
        return result(alone, together, latency, rounds)


def result(
    alone: Mapping[str, list[float]], together: list[float], latency: float, rounds: int
) -> WorkloadResult:
    slowest = max(statistics.median(samples) for samples in alone.values())
    summed = sum(statistics.median(samples) for samples in alone.values())
    merged = statistics.median(together)
    return WorkloadResult(
        samples=tuple(together),
        extra={
            "together_x_slowest": round(merged / slowest, 2),
            "target_x": TARGET,
            "together_ms": _ms(merged),
            "slowest_alone_ms": _ms(slowest),
        },
        details={
            "latency_s": latency,
            "rounds": rounds,
            "alone": {name: _rounded(summary_ms(samples)) for name, samples in alone.items()},
            "together": _rounded(summary_ms(together)),
            "together_median_ms": _ms(merged),
            "slowest_alone_median_ms": _ms(slowest),
            "sum_of_alone_medians_ms": _ms(summed),
            "together_x_slowest": round(merged / slowest, 3),
            "together_x_sum": round(merged / summed, 3),
            "target_x_slowest": TARGET,
        },
    )
