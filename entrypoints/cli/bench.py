"""``anime-mcp bench``: compare adapters (embedders, index backends, caches, replayed sources) on standard
and plugin workloads; a table here, JSON, plots and an HTML report in ``--out``."""

from __future__ import annotations

import io
import json
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench import BenchOptions, run_bench, select_workloads
from anime_mcp.entrypoints.bench.configurations import ALL_SOURCES, Choices, parse_cache, parse_index
from anime_mcp.entrypoints.bench.context import Environment
from anime_mcp.entrypoints.bench.runner import Row
from anime_mcp.entrypoints.bench.session import GROUPS
from anime_mcp.entrypoints.bench.workloads import host_groups
from anime_mcp.entrypoints.cli.app import err, get_app, out
from anime_mcp.entrypoints.replay_setup import fault_injector
from anime_mcp.entrypoints.search_setup import installed_models, resolve_model_dir
from anime_mcp.entrypoints.settings import ConfigError, ReplaySettings, Settings
from anime_mcp.ports.workload import Workload

# In a checkout, the judged sets live in benchmarks/ next to the package folders, and the real data and
# recordings in ../shared beside the checkout.
CHECKOUT = Path(__file__).resolve().parents[2]
CHECKOUT_JUDGED = CHECKOUT / "benchmarks"
CHECKOUT_SHARED = CHECKOUT.parent / "shared"
WIDE = 220


def _names(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def embedder_dirs(settings: Settings, value: str | None) -> tuple[Path, ...]:
    """Installed names, folders, or ``all`` (every installed model); none given: the configured model."""
    names = _names(value)
    if not names:
        return (resolve_model_dir(settings.search),)
    found: list[Path] = []
    for name in names:
        if name == "all":
            found += installed_models(settings.search.models_dir)
            continue
        folder = Path(name).expanduser()
        installed = settings.search.models_dir / name
        if folder.is_dir():
            found.append(folder.resolve())
        elif installed.is_dir():
            found.append(installed)
        else:
            raise ConfigError(
                f"--embedders: {name!r} is neither a folder nor installed in {settings.search.models_dir}"
            )
    if not found:
        raise ConfigError(f"--embedders: no model installed in {settings.search.models_dir}")
    return tuple(dict.fromkeys(found))


NO_MODEL = Path("(no model)")  # the configuration of workloads that bring their own home and model


def _embedders(settings: Settings, value: str | None, chosen: list[Workload]) -> tuple[Path, ...]:
    """The embedders asked; when none is asked or installed and every workload chosen is self-contained
    (it builds its own home), a run needs none."""
    try:
        return embedder_dirs(settings, value)
    except AnimeMcpError:  # none named and none installed
        if value or not all(getattr(w, "self_contained", False) for w in chosen):
            raise
        return (NO_MODEL,)


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    params: dict[str, str] = {}
    for value in values:
        name, sep, raw = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"{value!r}: write NAME=VALUE", param_hint="--param")
        key = name.strip().replace("-", "_")
        # a name given again adds to the list (--param env=A=1 --param env=B=2 -> "A=1,B=2")
        params[key] = f"{params[key]},{raw}" if key in params else raw
    return params


def default_shared(environ: dict[str, str]) -> Path | None:
    """ANIME_MCP_SHARED, else ../shared beside a checkout, when it exists."""
    named = environ.get("ANIME_MCP_SHARED")
    folder = Path(named).expanduser() if named else CHECKOUT_SHARED
    return folder.resolve() if folder.is_dir() else None


def _configured_release(settings: Settings) -> Path | None:
    source = settings.catalogue.source
    return Path(source).expanduser() if source and Path(source).expanduser().is_file() else None


def _parsed(option: str, values: list[str], parse: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(dict.fromkeys(parse(v) for v in values)) or default
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:,.1f}"
    return str(value)


def render(rows: list[Row]) -> Table:
    table = Table(title="anime-mcp bench", show_lines=False)
    for head in ("workload", "varied", "configuration", "p50 ms", "p95 ms", "p99 ms", "ops/s"):
        table.add_column(head, justify="right" if "ms" in head or head == "ops/s" else "left")
    for head in ("heap MiB", "RSS MiB", "build s", "recall@10", "MRR", "notes"):
        table.add_column(head, justify="left" if head == "notes" else "right")
    for row in rows:
        f = row.figures
        build = "reused" if f.get("index_reused") else _cell(f.get("build_s"))
        notes = row.skipped or ", ".join(f"{k} {v}" for k, v in row.extra.items())
        table.add_row(
            row.workload,
            row.varied,
            row.label,
            *(_cell(f.get(k)) for k in ("p50_ms", "p95_ms", "p99_ms", "throughput_per_s")),
            _cell(f.get("peak_heap_mib")),
            _cell(f.get("max_rss_mib")),
            build if f else "",
            _cell(row.quality.get("recall@10")),
            _cell(row.quality.get("mrr")),
            notes,
        )
    return table


@click.command()
@click.argument("workloads", nargs=-1)
@click.option("--embedders", metavar="LIST", help="Model names or folders, comma-separated, or 'all'.")
@click.option("--indexes", metavar="LIST", help="edge, qdrant-local (qdrant-client local mode) or a URL.")
@click.option("--caches", metavar="LIST", help="none, memory, redis (a redis-server is started).")
@click.option(
    "--sources",
    metavar="LIST",
    help="Source ids replayed, each on its own; 'each': every source the recordings serve.",
)
@click.option("--recordings", type=click.Path(file_okay=False, path_type=Path), help="Replay folder.")
@click.option("--replay-latency", type=click.FloatRange(0), default=0.05, show_default=True)
@click.option(
    "--replay-faults",
    metavar="FAULTS",
    default="",
    help="Share of replayed requests that fail: '503:0.1,429:0.05,timeout:0.05,reset:0.02' "
    "(seeded by ANIME_MCP_REPLAY_FAULT_SEED, default 0).",
)
@click.option("--redis-url", help="Use this Redis for the redis cache instead of starting one.")
@click.option("--judged", type=click.Path(file_okay=False, path_type=Path), help="Folder of judged sets.")
@click.option(
    "--shared",
    "shared_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of real data and recordings the workloads read "
    "(default: ANIME_MCP_SHARED, else ../shared beside a checkout).",
)
@click.option(
    "--param",
    "params",
    metavar="NAME=VALUE",
    multiple=True,
    help="A workload setting, e.g. seconds=15 or base=/tmp/base-4d5136f (each workload's description "
    "lists its own; repeatable).",
)
@click.option("--list", "list_only", is_flag=True, help="List the workloads and groups, run nothing.")
@click.option(
    "--catalogue",
    "release",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Release file the ingest workload samples (default: ANIME_MCP_CATALOGUE when it is a file).",
)
@click.option(
    "--ingest-entries", type=click.IntRange(1), default=1000, show_default=True, help="Ingest sample size."
)
@click.option("--repeat", type=click.IntRange(1), default=3, show_default=True, help="Timed passes.")
@click.option("--rebuild", is_flag=True, help="Build every index, even the home's own.")
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the indexes this run builds here and reuse them on the next run "
    "(default: a temporary folder, removed at the end).",
)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("bench-out"))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.pass_context
def bench(
    ctx: click.Context,
    workloads: tuple[str, ...],
    *,
    embedders: str | None,
    indexes: str | None,
    caches: str | None,
    sources: str | None,
    recordings: Path | None,
    replay_latency: float,
    replay_faults: str,
    redis_url: str | None,
    judged: Path | None,
    shared_dir: Path | None,
    params: tuple[str, ...],
    list_only: bool,
    release: Path | None,
    ingest_entries: int,
    repeat: int,
    rebuild: bool,
    workdir: Path | None,
    out_dir: Path,
    as_json: bool,
) -> None:
    """Benchmark workloads (default: the search group; a group such as serve, quality, sources or data;
    'all' for every plugin workload; or names) against adapters, one kind varied at a time, everything
    else at its first value. `--list` shows them all."""
    try:
        fault_injector(ReplaySettings(faults=replay_faults))
    except ConfigError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[-1], param_hint="--replay-faults") from None
    app = get_app(ctx)
    settings = app.settings
    groups = host_groups()
    if list_only:
        _list(app.plugins.workloads(), groups, as_json)
        return
    source_names = _names(sources)
    vary_sources = source_names == ["each"]
    chosen = select_workloads(app.plugins.workloads(), workloads, groups)
    choices = Choices(
        embedders=_embedders(settings, embedders, chosen),
        indexes=_parsed("--indexes", _names(indexes), parse_index, ("edge",)),
        caches=_parsed("--caches", _names(caches), parse_cache, ("memory",)),
        sources=(ALL_SOURCES, *source_names) if source_names and not vary_sources else (ALL_SOURCES,),
    )
    if judged is None and CHECKOUT_JUDGED.is_dir():
        judged = CHECKOUT_JUDGED
    parsed_params = parse_params(params)
    if shared_dir is None:
        shared_dir = default_shared(dict(os.environ))
    progress = (lambda line: None) if as_json else (lambda line: err.print(line, style="dim"))
    with ExitStack() as stack:
        if workdir is None:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="anime-mcp-bench-")))
        else:
            workdir.mkdir(parents=True, exist_ok=True)
        env = Environment(
            settings=settings,
            plugins=app.plugins,
            workdir=workdir,
            judged_dir=judged,
            recordings=recordings,
            replay_latency=replay_latency if recordings else 0.0,
            replay_faults=replay_faults if recordings else "",
            rebuild=rebuild,
            catalogue_release=release or _configured_release(settings),
            ingest_entries=ingest_entries,
            params=parsed_params,
            shared_dir=shared_dir,
        )
        options = BenchOptions(
            choices=choices,
            out=out_dir,
            repeat=repeat,
            judged_dir=judged,
            recordings=recordings,
            replay_latency=replay_latency,
            replay_faults=replay_faults,
            redis_url=redis_url,
            rebuild=rebuild,
            vary_sources=vary_sources,
            params=parsed_params,
        )
        outcome = run_bench(env, chosen, options, progress)
    if as_json:
        click.echo(json.dumps(outcome.report, indent=2, ensure_ascii=False))
        return
    if out.is_terminal:
        out.print(render(outcome.rows))
    else:  # piped or captured: wide enough that no column is cut
        text = io.StringIO()
        Console(file=text, width=WIDE, highlight=False, markup=False).print(render(outcome.rows))
        click.echo(text.getvalue(), nl=False)
    if outcome.plots_note:
        err.print(outcome.plots_note)
    out.print(f"written: {', '.join(str(p) for p in outcome.files)}")


def _list(registered: list[Workload], groups: dict[str, list[Workload]], as_json: bool) -> None:
    listed = [("search" if w.name in GROUPS["search"] else "plugins", w) for w in registered]
    listed += [(group, w) for group, members in groups.items() for w in members]
    if as_json:
        rows = [
            {
                "group": g,
                "name": w.name,
                "description": w.description,
                "parameters": dict(getattr(w, "parameters", {}) or {}),
            }
            for g, w in listed
        ]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table(title="anime-mcp bench workloads")
    for head in ("group", "workload", "what it measures"):
        table.add_column(head)
    for group, workload in listed:
        settings = getattr(workload, "parameters", {}) or {}
        described = workload.description + "".join(f"\n  --param {k}: {v}" for k, v in settings.items())
        table.add_row(group, workload.name, described)
    out.print(table)
