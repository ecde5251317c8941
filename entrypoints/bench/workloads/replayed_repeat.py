"""A repeated enrichment served from L1, over MCP stdio, end to end (``enrich-repeat-stdio``):
``get_anime_details mal:1535`` called once (the sources answer from replayed recordings, and their answers
land in the L1 response cache), then N more times; beside it, in the same server and interleaved,
``get_anime_by_id mal:1535`` (a catalogue lookup, no enrichment) as the transport's baseline. The difference
of the medians is what an enrichment served from L1 costs over the transport (the target: at most 1 ms).

It also measures the server's own CPU time per call (blocks of each tool, read from /proc), which other load
on the machine disturbs far less than the wall-clock percentiles; ``base`` runs an older checkout's code
beside this one, interleaved, on the same home.

Its own deployment in the workdir: the Death Note catalogue entry of ../shared/data/examples ingested, and a
replay folder with Kitsu's and AniDB's real Death Note answers from ../shared/fixtures (added with
``anime-mcp sources recording add``). Plain JSON-RPC lines, no client library in the measurement.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from attrs import frozen

from anime_mcp.entrypoints.bench.workloads import replayed_deployment as deployment
from anime_mcp.entrypoints.bench.workloads.measure import cpu_seconds, percentile
from anime_mcp.entrypoints.bench.workloads.serve_processes import import_tree
from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

EXAMPLE = Path("data") / "examples" / "death-note.aod.json"  # under ../shared
RECORDINGS = (
    ("kitsu", "fetch kitsu:1376", "kitsu/anime/anime_1376_death-note.json"),
    ("anidb", "fetch anidb:4563", "anidb/anime/anime_4563_death-note.xml"),
)
PLUGINS = "aod_catalogue,caches,kitsu,anidb"
TARGET_MS = 1.0  # an enrichment served from L1 costs at most 1 ms over the transport
THIS = "this checkout"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 3) + 0.0  # never -0.0


def _summary(samples: list[float]) -> dict[str, Any]:
    return {
        "n": len(samples),
        "p50_ms": _ms(percentile(samples, 50)),
        "p95_ms": _ms(percentile(samples, 95)),
        "min_ms": _ms(min(samples)),
    }


@frozen
class EnrichRepeatStdio:
    name: str = "enrich-repeat-stdio"
    description: str = (
        "get_anime_details from L1 vs get_anime_by_id over MCP stdio: p50 difference (target 1 ms)"
    )
    varies: frozenset[str] = frozenset()  # its own deployment: no configuration changes it
    judged: bool = False
    self_contained: ClassVar[bool] = True  # builds its own home: needs no configured home or model
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "repeats": "200: calls of each tool, interleaved (and as many per tool for the CPU blocks)",
        "fields": "synopsis,score,episodes: the fields get_anime_details asks for",
        "base": "(none): an older checkout (git worktree) measured beside this one",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        repeats = context.param("repeats", 200)
        fields = [f for f in context.param("fields", "synopsis,score,episodes").split(",") if f]
        base = context.param("base", "")
        fixtures = [deployment.FIXTURES / file for _, _, file in RECORDINGS]
        missing = deployment.missing_shared(context.shared_dir, EXAMPLE, *fixtures)
        if missing is not None or context.shared_dir is None:
            return WorkloadResult(skipped=missing)
        shared = context.shared_dir
        context.workdir.mkdir(parents=True, exist_ok=True)
        root = Path(tempfile.mkdtemp(prefix="enrich-repeat-stdio-", dir=context.workdir))
        context.progress("a home with Death Note, Kitsu and AniDB recorded from ../shared/fixtures")
        home, replay = root / "home", root / "recordings"
        env = {"ANIME_MCP_LOAD_PLUGINS": PLUGINS, "ANIME_MCP_LOG_LEVEL": "warning"}
        deployment.run_cli(home, "ingest", "--source", str(shared / EXAMPLE), "--no-index", **env)
        deployment.record(home, replay, shared / deployment.FIXTURES, RECORDINGS, **env)
        trees: dict[str, Path | None] = {THIS: None}
        if base:
            checkout = Path(base).expanduser().resolve()
            trees[f"base {base}"] = import_tree(checkout, root)
        from anime_mcp.entrypoints.bench.workloads.replayed_stdio import StdioServer

        child_env = deployment.clean_env(home, ANIME_MCP_REPLAY=str(replay), **env)
        servers = {label: StdioServer(child_env, tree) for label, tree in trees.items()}
        try:
            measured = measure(context, servers, repeats, fields)
        finally:
            for server in servers.values():
                server.close()
        return result(measured, repeats, fields)


def measure(
    context: WorkloadContext, servers: Mapping[str, Any], repeats: int, fields: list[str]
) -> dict[str, dict[str, Any]]:
    """Interleaved repeats on every server, then each server's CPU per call in blocks of each tool."""
    details = {"anime_id": "mal:1535", "fields": fields}
    baseline = {"anime_id": "mal:1535", "detail": "brief"}
    figures: dict[str, dict[str, Any]] = {}
    samples: dict[str, dict[str, list[float]]] = {n: {"details": [], "lookup": []} for n in servers}
    cached = dict.fromkeys(servers, 0)
    for name, server in servers.items():
        server.initialize()
        first, answer = server.call("get_anime_details", details)
        got = deployment.outcomes(answer)
        if got.get("kitsu") != "contributed":
            raise deployment.DeploymentError(f"{name}: the replayed Kitsu did not contribute: {got}")
        server.call("get_anime_by_id", baseline)
        figures[name] = {"first_details_ms": _ms(first)}  # replayed sources, cache cold
    context.progress(f"{repeats} interleaved calls of each tool")
    for _ in range(repeats):
        for name, server in servers.items():
            seconds, answer = server.call("get_anime_details", details)
            samples[name]["details"].append(seconds)
            kitsu = next(o for o in answer["degradation"]["outcomes"] if o["source"] == "kitsu")
            cached[name] += bool(kitsu["from_cache"])
            samples[name]["lookup"].append(server.call("get_anime_by_id", baseline)[0])
    # The server's own CPU per call, in blocks of each (less sensitive than wall time to other load on the
    # machine: what the server spends, not how long it waited for a core)
    context.progress("the servers' CPU per call, in blocks")
    cpu: dict[str, dict[str, float]] = {n: {} for n in servers}
    for kind, tool, arguments in (
        ("details", "get_anime_details", details),
        ("lookup", "get_anime_by_id", baseline),
    ):
        for name, server in servers.items():
            before = cpu_seconds(server.pid)
            for _ in range(repeats):
                server.call(tool, arguments)
            cpu[name][kind] = (cpu_seconds(server.pid) - before) / repeats
    for name in servers:
        enriched, lookups = samples[name]["details"], samples[name]["lookup"]
        figures[name].update(
            samples=enriched,
            details=_summary(enriched),
            lookup=_summary(lookups),
            p50_difference_ms=_ms(percentile(enriched, 50) - percentile(lookups, 50)),
            from_cache=cached[name],
            cpu_details_ms=_ms(cpu[name]["details"]),
            cpu_lookup_ms=_ms(cpu[name]["lookup"]),
            cpu_difference_ms=_ms(cpu[name]["details"] - cpu[name]["lookup"]),
        )
    return figures


def result(measured: Mapping[str, dict[str, Any]], repeats: int, fields: list[str]) -> WorkloadResult:
    ours = measured[THIS]
    extra: dict[str, Any] = {
        "l1_over_transport_ms": ours["p50_difference_ms"],
        "target_ms": TARGET_MS,
        "cpu_difference_ms": ours["cpu_difference_ms"],
        "from_cache": f"{ours['from_cache']}/{repeats}",
    }
    for name, figures in measured.items():
        if name != THIS:
            extra["base_l1_over_transport_ms"] = figures["p50_difference_ms"]
            extra["base_cpu_difference_ms"] = figures["cpu_difference_ms"]
    servers = {name: {k: v for k, v in f.items() if k != "samples"} for name, f in measured.items()}
    return WorkloadResult(
        samples=tuple(ours["samples"]),
        extra=extra,
        details={"repeats": repeats, "fields": fields, "target_ms": TARGET_MS, "servers": servers},
    )
