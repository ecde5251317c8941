"""The serve group: real ``anime-mcp serve`` and ``anime-mcp mcp`` processes of the configuration under test
(its home, model and index: ``BenchContext.process_env``), measured from outside.

- ``serve-wrk``: ``POST /api/query`` under wrk, round by round, optionally beside an older checkout
  (interleaved), with the server's CPU per request and RSS, and its ratio to an in-process hybrid search;
- ``serve-soak``: wrk with many connections in back-to-back slices: is latency stable, does memory grow?
- ``serve-rest-load``: a Python client (httpx, N concurrent clients), one sample per request;
- ``serve-mcp-start``: spawn -> ``tools/list`` and spawn -> first ``search_anime``, over stdio.

Each is one timed pass (``passes = 1``, no warm-up pass: the rounds and their warm-up live inside), and the
questions are the judged ones (``search_queries.json``). Heavy imports stay inside ``run``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, cast

from attrs import frozen

from anime_mcp.entrypoints.bench.context import BenchContext
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.ports.workload import EMBEDDER, INDEX, Workload, WorkloadContext, WorkloadResult

GROUP = "serve"
QUESTIONS = "search_queries.json"
# A child process opens the home's own index or a server's: the embedder and the index backend change what
# it serves (process_env refuses a configuration it cannot give a child); cache and sources do not reach it.
VARIES = frozenset({EMBEDDER, INDEX})


def _ready(context: WorkloadContext, *, wrk: bool = False) -> tuple[dict[str, str], Path] | WorkloadResult:
    """(the child's environment, the judged questions) or why this workload cannot run."""
    from anime_mcp.entrypoints.bench.workloads.wrk_runs import wrk_missing

    if not isinstance(context, BenchContext):
        return WorkloadResult(skipped="needs anime-mcp bench's own context (it spawns anime-mcp processes)")
    if wrk and (missing := wrk_missing()):
        return WorkloadResult(skipped=missing)
    judged = context.judged_set(QUESTIONS)
    if judged is None:
        return WorkloadResult(
            skipped=f"{QUESTIONS} not found (bench --judged DIR: benchmarks/ of a checkout)"
        )
    try:
        return context.process_env(), judged
    except ConfigError as exc:
        return WorkloadResult(skipped=str(exc))


def _failed(exc: Exception) -> WorkloadResult:
    return WorkloadResult(skipped=f"failed: {exc}")


def _median(runs: Sequence[Mapping[str, Any]], key: str) -> float:
    return round(statistics.median(float(r[key]) for r in runs), 3)


def parse_env(value: str) -> dict[str, str]:
    """``KEY=VALUE,KEY2=VALUE2`` (serve-wrk's ``--param env=...``; the old script's repeated ``--env``)."""
    found: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param env={value!r}: write KEY=VALUE[,KEY=VALUE...]")
        found[key.strip()] = raw
    return found


@frozen
class ServeWrk:
    name: str = "serve-wrk"
    description: str = (
        "POST /api/query under wrk (2 threads) against anime-mcp serve, cycling the judged questions: "
        "requests/s, p50/p90/p99, server CPU per request and RSS per round; beside an older checkout "
        "(base), interleaved; optionally the ratio to an in-process hybrid search (search_baseline)"
    )
    varies: frozenset[str] = VARIES
    judged: bool = False
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "base": "none: an older checkout (git worktree) served side by side, runs interleaved",
        "workers": "1: serve --workers of the new server",
        "rounds": "3: wrk runs per server (one sample per round: its p50)",
        "seconds": "15: seconds per run",
        "connections": "32: wrk connections",
        "env": "none: KEY=VALUE[,KEY=VALUE] for the new server only (e.g. ANIME_MCP_ANSWER_CACHE=0)",
        "search_baseline": "false: CPU of an in-process hybrid search per question, and the server's ratio",
        "settle": "0 (off): RSS this many seconds after start, and after the first question, before load",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        ready = _ready(context, wrk=True)
        if isinstance(ready, WorkloadResult):
            return ready
        env, judged = ready
        base = context.param("base", "")
        if base and not (Path(base).expanduser() / "pyproject.toml").is_file():
            raise ConfigError(f"--param base={base!r}: not a checkout (no pyproject.toml)")
        settings: dict[str, Any] = {
            "workers": context.param("workers", 1),
            "rounds": context.param("rounds", 3),
            "seconds": context.param("seconds", 15),
            "connections": context.param("connections", 32),
            "env": parse_env(context.param("env", "")),
            "settle": context.param("settle", 0.0),
        }
        for name in ("workers", "rounds", "seconds", "connections"):
            if settings[name] < 1:
                raise ConfigError(f"--param {name}={settings[name]}: at least 1")
        from anime_mcp.entrypoints.bench.workloads import serve_processes

        try:
            details = _wrk_rounds(context, env, judged, base, settings)
        except (serve_processes.ServerFailed, subprocess.CalledProcessError, RuntimeError) as exc:
            return _failed(exc)
        new = details["servers"]["new"]["runs"]
        extra: dict[str, Any] = {
            "requests_per_s": _median(new, "requests_per_s"),
            "p50_ms": _median(new, "p50_ms"),
            "p99_ms": _median(new, "p99_ms"),
            "cpu_ms_per_request": _median(new, "cpu_ms_per_request"),
            "rss_mib": new[-1]["rss_mib"],
            "errors": sum(r["errors"] for r in new),
        }
        if "base" in details["servers"]:
            ratio = extra["requests_per_s"] / _median(details["servers"]["base"]["runs"], "requests_per_s")
            extra["new_over_base"] = details["new_over_base"] = round(ratio, 2)
        if context.param("search_baseline", False):
            assert isinstance(context, BenchContext)
            questions = serve_processes.query_bodies(judged)
            search_ms = search_cpu(context, [serve_processes.body_text(b) for b in questions]) * 1000
            ratio = extra["cpu_ms_per_request"] / search_ms
            details["search_baseline"] = {"search_cpu_ms": round(search_ms, 3), "server_over_search": ratio}
            extra |= {"search_cpu_ms": round(search_ms, 2), "server_over_search": round(ratio, 2)}
        return WorkloadResult(samples=tuple(r["p50_ms"] / 1000 for r in new), extra=extra, details=details)


def _wrk_rounds(
    context: WorkloadContext, env: dict[str, str], judged: Path, base: str, settings: dict[str, Any]
) -> dict[str, Any]:
    from anime_mcp.entrypoints.bench.workloads.serve_processes import (
        Served,
        import_tree,
        query_bodies,
        rss_mib,
        tree_cpu,
    )
    from anime_mcp.entrypoints.bench.workloads.wrk_runs import cycle, write_bodies

    questions = query_bodies(judged)
    bodies = write_bodies(questions, Path(tempfile.mkdtemp(dir=context.workdir)) / "bodies.jsonl")
    connections, seconds = settings["connections"], settings["seconds"]
    servers: dict[str, Served] = {}
    runs: dict[str, list[dict[str, Any]]] = {}
    memory: dict[str, dict[str, float]] = {}
    try:
        if base:
            tree = import_tree(Path(base).expanduser().resolve(), into=context.workdir)
            servers["base"] = Served(env, tree=tree)
        servers["new"] = Served({**env, **settings["env"]}, workers=settings["workers"])
        runs = {name: [] for name in servers}
        if settings["settle"] > 0:
            memory = _memory_before_load(servers, settings["settle"], questions[0])
        for server in servers.values():  # warm: the first question builds the planner's vocabulary
            server.ask(questions[0])
            cycle(server.url, bodies, 3, connections)
        context.progress(
            f"{len(questions)} questions, wrk 2 threads, {connections} connections, {seconds} s per run"
        )
        for round_ in range(settings["rounds"]):
            for name, server in servers.items():
                before = tree_cpu(server.pid)
                run: dict[str, Any] = cycle(server.url, bodies, seconds, connections)
                cpu = tree_cpu(server.pid) - before
                run["cpu_ms_per_request"] = round(cpu * 1000 / max(run["requests"], 1), 3)
                run["rss_mib"] = round(rss_mib(server.pid), 1)
                runs[name].append({"round": round_ + 1, **run})
                context.progress(
                    f"round {round_ + 1} {name}: {run['requests_per_s']:.1f} requests/s, "
                    f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, {run['errors']} errors, "
                    f"server CPU {run['cpu_ms_per_request']:.2f} ms per request, RSS {run['rss_mib']:.0f} MiB"
                )
    finally:
        for server in servers.values():
            server.stop()
    medians = ("requests_per_s", "p50_ms", "p90_ms", "p99_ms", "cpu_ms_per_request")
    return {
        "questions": len(questions),
        "threads": 2,
        "connections": connections,
        "seconds": seconds,
        "rounds": settings["rounds"],
        "workers": settings["workers"],
        "env": settings["env"],
        "base": base or None,
        "servers": {
            name: {"runs": found, "median": {k: _median(found, k) for k in medians}}
            for name, found in runs.items()
        },
        **({"memory_before_load": {"settle_s": settings["settle"], **memory}} if memory else {}),
    }


def _memory_before_load(
    servers: Mapping[str, Any], settle: float, question: Any
) -> dict[str, dict[str, float]]:
    """Each server's RSS ``settle`` seconds after start, then 2 s after its first question."""
    from anime_mcp.entrypoints.bench.workloads.serve_processes import rss_mib

    time.sleep(settle)
    found = {name: {"rss_after_settle_mib": round(rss_mib(s.pid), 1)} for name, s in servers.items()}
    for name, server in servers.items():
        server.ask(question)
        time.sleep(2)
        found[name]["rss_after_first_question_mib"] = round(rss_mib(server.pid), 1)
    return found


def search_cpu(context: BenchContext, texts: Sequence[str], passes: int = 3) -> float:
    """CPU seconds of one hybrid search (query embedding + engine) per question, in this process, after a
    first pass (model and engine start-up; query vectors remembered, as in the server)."""
    from anime_mcp.entrypoints.runtime import Runtime

    service = Runtime(context.app).search()
    for text in texts:
        service.search(text, limit=10)
    started = time.process_time()
    for _ in range(passes):
        for text in texts:
            service.search(text, limit=10)
    return (time.process_time() - started) / (passes * len(texts))


@frozen
class ServeSoak:
    name: str = "serve-soak"
    description: str = (
        "wrk with many connections against anime-mcp serve in back-to-back slices, the judged queries "
        "cycled: errors, p50/p99 per slice (one sample per slice: its p50) and the server's RSS at the "
        "start and after each slice"
    )
    varies: frozenset[str] = VARIES
    judged: bool = False
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "connections": "100: wrk connections",
        "seconds": "60: seconds in all",
        "slice": "10: seconds per reported slice (one wrk run each)",
        "threads": "2: wrk threads",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        ready = _ready(context, wrk=True)
        if isinstance(ready, WorkloadResult):
            return ready
        env, judged = ready
        from anime_mcp.entrypoints.bench.workloads.serve_processes import ServerFailed

        try:
            report = _soak(context, {**env, "ANIME_MCP_LOG_LEVEL": "warning"}, judged)
        except (ServerFailed, subprocess.CalledProcessError) as exc:
            return _failed(exc)
        slices = report["slices"]
        extra = {
            "requests": report["requests"],
            "requests_per_s": round(report["requests"] / max(sum(s["seconds"] for s in slices), 1), 1),
            "errors": report["errors"],
            "p50_ms": _median(slices, "p50_ms"),
            "worst_p99_ms": max(s["p99_ms"] for s in slices),
            "cpu_ms_per_request": report["cpu_ms_per_request"],
            "rss_start_mib": report["rss_start_mib"],
            "rss_end_mib": report["rss_end_mib"],
        }
        return WorkloadResult(samples=tuple(s["p50_ms"] / 1000 for s in slices), extra=extra, details=report)


def _soak(context: WorkloadContext, env: dict[str, str], judged: Path) -> dict[str, Any]:
    import json

    from anime_mcp.entrypoints.bench.workloads.serve_processes import Served, rss_mib, tree_cpu
    from anime_mcp.entrypoints.bench.workloads.wrk_runs import inline_script, latency_run

    connections, seconds = context.param("connections", 100), context.param("seconds", 60)
    length, threads = context.param("slice", 10), context.param("threads", 2)
    if length < 1 or seconds < length:
        raise ConfigError(f"--param slice={length}: between 1 and seconds ({seconds})")
    queries = json.loads(judged.read_text(encoding="utf-8"))["queries"]
    bodies = [{"query": q["query"], "limit": 10} for q in queries]
    script = inline_script(bodies, Path(tempfile.mkdtemp(dir=context.workdir)) / "soak.lua")
    server = Served(env)
    try:
        for _ in range(3):  # warm: the model and the index are loaded, the first answers computed
            server.ask({"query": "death note"}, timeout=60)
        report: dict[str, Any] = {
            "connections": connections,
            "seconds": seconds,
            "slice": length,
            "threads": threads,
            "rss_start_mib": round(rss_mib(server.pid), 1),
            "slices": [],
        }
        cpu_before = tree_cpu(server.pid)
        for number in range(seconds // length):
            started = time.perf_counter()
            figures = latency_run(server.url, script, length, connections, threads)
            figures |= {
                "from_s": number * length,
                "seconds": length,
                "wall_s": round(time.perf_counter() - started, 1),
                "rss_mib": round(rss_mib(server.pid), 1),
            }
            report["slices"].append(figures)
            context.progress(
                f"slice {number + 1}: {figures['requests_per_s']:.1f} requests/s, "
                f"p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms, "
                f"RSS {figures['rss_mib']:.0f} MiB"
            )
        cpu = tree_cpu(server.pid) - cpu_before
    finally:
        server.stop()
    slices = report["slices"]
    report["rss_end_mib"] = slices[-1]["rss_mib"]
    report["errors"] = sum(s["socket_errors"] + s["non_2xx"] for s in slices)
    report["requests"] = sum(s["requests"] for s in slices)
    report["cpu_ms_per_request"] = round(cpu * 1000 / max(report["requests"], 1), 3)
    return report


@frozen
class ServeRestLoad:
    name: str = "serve-rest-load"
    description: str = (
        "POST /api/query from N concurrent Python clients (httpx, one request at a time each) against "
        "anime-mcp serve, the judged questions cycled: one sample per request, requests/s, failures"
    )
    varies: frozenset[str] = VARIES
    judged: bool = False
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "clients": "32: concurrent clients, each on its own connection",
        "seconds": "20: seconds of load (after 3 s of warm-up with 4 clients)",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        ready = _ready(context)
        if isinstance(ready, WorkloadResult):
            return ready
        env, judged = ready
        import anyio

        from anime_mcp.entrypoints.bench.workloads.measure import percentile
        from anime_mcp.entrypoints.bench.workloads.serve_processes import (
            Served,
            ServerFailed,
            query_bodies,
            rss_mib,
            tree_cpu,
        )

        clients, seconds = context.param("clients", 32), context.param("seconds", 20.0)
        queries = query_bodies(judged)
        try:
            server = Served(env)
        except ServerFailed as exc:
            return _failed(exc)
        try:
            anyio.run(_load, server.url, queries, 4, 3.0)  # warm the caches and the connection pool
            before = tree_cpu(server.pid)
            latencies, failures = anyio.run(_load, server.url, queries, clients, seconds)
            cpu = tree_cpu(server.pid) - before
            rss = round(rss_mib(server.pid), 1)
        finally:
            server.stop()
        context.progress(f"{len(latencies)} requests, {failures} failed")
        figures = {f"p{q}_ms": round(percentile(latencies, q) * 1000, 3) for q in (50, 95, 99)}
        mean_ms = round(statistics.mean(latencies) * 1000, 3) if latencies else None
        extra = {
            "requests": len(latencies),
            "failed": failures,
            "requests_per_s": round(len(latencies) / seconds, 1),
            "mean_ms": mean_ms,
            "cpu_ms_per_request": round(cpu * 1000 / max(len(latencies), 1), 3),
            "rss_mib": rss,
        }
        details = {"queries": len(queries), "clients": clients, "seconds": seconds, **figures, **extra}
        return WorkloadResult(samples=tuple(latencies), extra=extra, details=details)


async def _load(
    url: str, queries: list[dict[str, Any]], clients: int, seconds: float
) -> tuple[list[float], int]:
    import anyio
    import httpx

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


MCP_MOMENTS = {
    "tools_list_s": "spawn -> tools/list answer",
    "first_search_s": "spawn -> first search_anime answer",
    "cpu_at_tools_list_s": "server CPU at the tools/list answer",
    "cpu_at_first_search_s": "server CPU at the first search_anime answer",
}


@frozen
class ServeMcpStart:
    name: str = "serve-mcp-start"
    description: str = (
        "cold start of anime-mcp mcp over stdio (plain JSON-RPC lines): spawn -> tools/list answer "
        "(one sample per run) and spawn -> first search_anime answer, with the server's CPU at both; "
        "beside another version's package (baseline), run for run alternately"
    )
    varies: frozenset[str] = VARIES
    judged: bool = False
    warm_up: ClassVar[bool] = False
    passes: ClassVar[int] = 1
    parameters: ClassVar[Mapping[str, str]] = {
        "runs": "10: measured starts per version (after one unmeasured start each)",
        "baseline": "none: a folder holding another version's anime_mcp package, first on PYTHONPATH",
        "recipe": "kept: each start finds the search-process recipe the one before kept in the home (every "
        "start after the first); none: it is removed before each start of this tree (a first start)",
    }

    def run(self, context: WorkloadContext) -> WorkloadResult:
        if not isinstance(context, BenchContext):
            return WorkloadResult(skipped="needs anime-mcp bench's own context (it spawns anime-mcp mcp)")
        try:
            env = context.process_env()
        except ConfigError as exc:
            return WorkloadResult(skipped=str(exc))
        from anime_mcp.entrypoints.bench.workloads.serve_processes import ServerFailed, mcp_start

        baseline = context.param("baseline", "")
        if baseline and not (Path(baseline).expanduser() / "anime_mcp").is_dir():
            raise ConfigError(f"--param baseline={baseline!r}: no anime_mcp package in that folder")
        versions: dict[str, str | None] = {"this tree": None}
        if baseline:
            versions = {"baseline": str(Path(baseline).expanduser().absolute()), **versions}
        if context.param("runs", 10) < 1:
            raise ConfigError(f"--param runs={context.param('runs', 10)}: at least 1")
        recipe = context.param("recipe", "kept")
        if recipe not in ("kept", "none"):
            raise ConfigError(f"--param recipe={recipe!r}: kept or none")
        kept_recipe = Path(env["ANIME_MCP_HOME"]) / _recipe_file()
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
        compiled = {name: compile_bytecode(tree) for name, tree in versions.items()}
        try:
            for tree in versions.values():
                mcp_start(env, tree)  # page cache warm, as for a client that starts the server again
            load_before = os.getloadavg()
            for number in range(context.param("runs", 10)):
                for name, tree in versions.items():
                    if recipe == "none" and tree is None:
                        kept_recipe.unlink(missing_ok=True)
                    runs[name].append(mcp_start(env, tree))
                context.progress(
                    f"run {number + 1}: tools/list {runs['this tree'][-1]['tools_list_s']:.3f} s"
                )
            load_after = os.getloadavg()
        except ServerFailed as exc:
            return _failed(exc)
        details: dict[str, Any] = {
            "recipe": recipe,
            "bytecode_compiled": compiled,
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in load_after],
            "versions": {name: {"runs": found, "summary": _summary(found)} for name, found in runs.items()},
        }
        ours = runs["this tree"]
        extra: dict[str, Any] = {key: _median(ours, key) for key in MCP_MOMENTS}
        if baseline:
            extra |= {f"baseline_{key}": _median(runs["baseline"], key) for key in MCP_MOMENTS}
        return WorkloadResult(samples=tuple(r["tools_list_s"] for r in ours), extra=extra, details=details)


def _recipe_file() -> str:
    """The name of the search processes' recipe in the home (adapters/search_link.py, by module name: the
    driving layer does not import adapters)."""
    import importlib

    name: str = importlib.import_module("anime_mcp.adapters.search_link").RECIPE_FILE
    return name


def compile_bytecode(tree: str | None) -> int:
    """Bring the package's bytecode up to date, as pip does when it installs a wheel, and say how many
    modules were stale. Without it a start compiles every stale module from source (a quarter of a second
    here): ``PYTHONDONTWRITEBYTECODE``, set in some shells and containers, keeps a source checkout's
    ``__pycache__`` stale for ever, and a user's installed package never is."""
    import compileall
    import io
    from contextlib import redirect_stdout

    if tree is None:
        import importlib.util

        folders = []
        for part in ("core", "ports", "adapters", "plugins", "entrypoints"):
            spec = importlib.util.find_spec(f"anime_mcp.{part}")  # where this install keeps it
            if spec is not None:
                folders += [Path(folder) for folder in spec.submodule_search_locations or ()]
    else:  # import_tree's symlinks, which compileall does not follow
        folders = [part.resolve() for part in (Path(tree) / "anime_mcp").iterdir() if part.is_dir()]
    listed = io.StringIO()
    with redirect_stdout(listed):  # compileall names each module it compiles
        for folder in folders:
            compileall.compile_dir(folder, quiet=0, workers=1)
    return sum(1 for line in listed.getvalue().splitlines() if line.startswith("Compiling"))


def _summary(runs: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per moment (MCP_MOMENTS): median, min and max seconds over the runs."""
    found = {}
    for key, label in MCP_MOMENTS.items():
        values = sorted(r[key] for r in runs)
        found[key] = {
            "what": label,
            "median_s": round(statistics.median(values), 3),
            "min_s": round(values[0], 3),
            "max_s": round(values[-1], 3),
            "runs": len(values),
        }
    return found


def workloads() -> list[Workload]:
    # frozen attrs classes: read-only attributes, which the protocol's plain annotations do not admit
    return cast("list[Workload]", [ServeWrk(), ServeSoak(), ServeRestLoad(), ServeMcpStart()])
