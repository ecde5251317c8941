"""One bench run from options to files: choose workloads, compose configurations, measure, write
``report.json``, the plots and ``report.html`` into the output folder."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from attrs import evolve, field, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench import plots
from anime_mcp.entrypoints.bench.configurations import ALL_SOURCES, Choices, Configuration, index_label
from anime_mcp.entrypoints.bench.context import BenchContext, Environment, replayed_source_ids
from anime_mcp.entrypoints.bench.html_report import write_html
from anime_mcp.entrypoints.bench.redis_process import redis_server
from anime_mcp.entrypoints.bench.report import header, report
from anime_mcp.entrypoints.bench.runner import Contexts, Progress, Row, run_workloads
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.ports.workload import CACHE, SOURCE, Workload

SEARCH_GROUP = ("title-lookup", "hybrid-search", "filtered-search", "similar", "narrative-search")
GROUPS = {"search": SEARCH_GROUP}


@frozen
class BenchOptions:
    choices: Choices
    out: Path
    repeat: int = 3
    judged_dir: Path | None = None
    recordings: Path | None = None
    replay_latency: float = 0.0
    replay_faults: str = ""
    redis_url: str | None = None
    rebuild: bool = False
    vary_sources: bool = False  # --sources each: one configuration per replayed source
    params: Mapping[str, str] = field(factory=dict)  # --param NAME=VALUE, recorded in the report


@frozen
class BenchOutcome:
    report: dict[str, Any]
    rows: list[Row]
    files: list[Path]
    plots_note: str | None


def select_workloads(
    registered: Sequence[Workload],
    names: Sequence[str],
    groups: Mapping[str, Sequence[Workload]] | None = None,
) -> list[Workload]:
    """By name or group (``search``, a host group such as ``serve``, ``all``: every registered workload);
    none named: the search group. The host groups' workloads are chosen by name like the registered ones."""
    hosted = [w for members in (groups or {}).values() for w in members]
    by_name = {w.name: w for w in [*registered, *hosted]}
    known_groups = {**GROUPS, **{g: [w.name for w in ws] for g, ws in (groups or {}).items()}}
    wanted: list[str] = []
    for name in names or ("search",):
        if name == "all":
            wanted += [w.name for w in registered]
        elif name in known_groups:
            wanted += [n for n in known_groups[name] if n in by_name]
        elif name in by_name:
            wanted.append(name)
        else:
            known = ", ".join([*by_name, *known_groups, "all"])
            raise ConfigError(f"unknown workload {name!r}; known: {known}")
    return [by_name[n] for n in dict.fromkeys(wanted)]


def run_bench(
    env: Environment,
    workloads: Sequence[Workload],
    options: BenchOptions,
    progress: Progress = lambda line: None,
) -> BenchOutcome:
    options.out.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        redis_url = options.redis_url
        if "redis" in options.choices.caches and redis_url is None:
            redis_url = stack.enter_context(redis_server(env.workdir / "redis"))
            progress(f"redis-server started at {redis_url}")
        env = evolve(env, redis_url=redis_url, say=progress)

        replayed: list[str] = []  # the sources the recordings serve, once a probe has found them

        def make(config: Configuration) -> BenchContext:
            sources = replayed if config.sources == ALL_SOURCES else [config.sources]
            progress(f"composing {config.model_dir.name}, {index_label(config.index)}, cache {config.cache}")
            return BenchContext(env, config, sources)

        contexts = Contexts(make)
        stack.callback(contexts.close)
        choices = options.choices
        if options.recordings is not None and any(w.varies & {CACHE, SOURCE} for w in workloads):
            replayed += _replayed(choices, contexts)
            if options.vary_sources and replayed:
                choices = evolve(choices, sources=(ALL_SOURCES, *replayed))
        rows = run_workloads(workloads, choices, contexts, repeat=options.repeat, progress=progress)
        settings = {
            "repeat": options.repeat,
            "replay_latency_s": options.replay_latency,
            "replay_faults": options.replay_faults or None,
            "recordings": str(options.recordings) if options.recordings else None,
            "embedders": [str(p) for p in choices.embedders],
            "indexes": [index_label(i) for i in choices.indexes],
            "caches": list(choices.caches),
            "sources": list(choices.sources),
            "params": dict(options.params),
        }
        head = header(contexts.built(), settings)
    body = report(head, rows)
    files = [options.out / "report.json"]
    files[0].write_text(json.dumps(body, indent=2, ensure_ascii=False), encoding="utf-8")
    note = plots.matplotlib_missing()
    drawn = plots.draw(rows, options.out) if note is None else []
    files += drawn
    svgs = [p for p in drawn if p.suffix == ".svg"]
    files.append(write_html(options.out / "report.html", body, svgs, note))
    return BenchOutcome(body, rows, files, note)


def _replayed(choices: Choices, contexts: Contexts) -> list[str]:
    """The sources the recordings serve (read from them, nothing asked), which the baseline asks together."""
    probe = contexts.get(choices.baseline)
    if isinstance(probe, AnimeMcpError):
        return []
    ids = replayed_source_ids(probe)
    probe.source_ids = ids
    return ids
