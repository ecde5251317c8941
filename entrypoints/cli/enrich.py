"""``anime-mcp enrich``: fill the enrichment store, from a bulk dump (``--dump``) or by asking the live
sources about the whole catalogue or a selection, resumably (checkpoints in the store)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform
from anime_mcp.core.services.batch_enrichment import (
    DEFAULT_BATCH,
    DEFAULT_CONCURRENCY,
    DEFAULT_DEADLINE,
    MISSABLE,
    BatchProgress,
    BatchSummary,
    Selection,
    plan_run,
    run_batches,
    select,
)
from anime_mcp.core.services.bulk_import import DumpReport, import_dump
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import err, get_app, out
from anime_mcp.entrypoints.cli.indexing import index_catalogue, index_report_dict, print_index_report
from anime_mcp.ports.source import Source

_SEASON = re.compile(r"^\s*(?:(\d{4})[\s\-_/]*([a-z]+)|([a-z]+)[\s\-_/]*(\d{4}))\s*$", re.IGNORECASE)


def parse_season(text: str) -> tuple[int, Season]:
    """``fall 2024``, ``2024-fall``, ``FALL2024`` -> (2024, Season.FALL)."""
    found = _SEASON.match(text)
    name = (found.group(2) or found.group(3)).upper() if found else ""
    if not found or name not in {s.value for s in Season} - {Season.UNDEFINED.value}:
        raise click.BadParameter(f"{text!r} is not a season such as 'fall 2024'", param_hint="--season")
    return int(found.group(1) or found.group(4)), Season(name)


def _eta(estimate: float) -> str:
    seconds = round(estimate)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@contextmanager
def _batch_bar() -> Iterator[Callable[[BatchProgress], None]]:
    """A bar of anime done with the run's own ETA (rate limits and pace), on stderr when it is a terminal."""
    with Progress(
        TextColumn("enriching", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("batches {task.fields[batches]}  ETA {task.fields[eta]}", markup=False),
        console=err,
        disable=not err.is_terminal,
    ) as display:
        task = display.add_task("enrich", total=None, batches="-", eta="-")

        def update(progress: BatchProgress) -> None:
            display.update(
                task,
                completed=progress.done,
                total=progress.total,
                batches=f"{progress.batches_done}/{progress.batches}",
                eta=_eta(progress.eta),
            )

        yield update


@contextmanager
def _dump_bar() -> Iterator[Callable[[int, int | None], None]]:
    with Progress(
        TextColumn("importing", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as display:
        task = display.add_task("import", total=None)

        def update(done: int, total: int | None) -> None:
            display.update(task, completed=done, total=total)

        yield update


def _names(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(n.strip() for v in values for n in v.split(",") if n.strip())


@click.command()
@click.option(
    "--dump", "dump", type=click.Path(path_type=Path), default=None, help="Import a bulk dump file."
)
@click.option("--platform", default=None, help="Only anime with a page on this platform (mal, anilist, ...).")
@click.option("--season", default=None, help="Only anime of this season, e.g. 'fall 2024'.")
@click.option("--missing", type=click.Choice(sorted(MISSABLE)), default=None, help="Only anime lacking this.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many anime.")
@click.option("--source", "sources", multiple=True, help="Ask only these sources (repeat or comma-separate).")
@click.option(
    "--fields", "fields", multiple=True, help="Ask for these fields (default: what enrichment asks)."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=DEFAULT_BATCH, show_default=True)
@click.option("--concurrency", type=click.IntRange(min=1), default=DEFAULT_CONCURRENCY, show_default=True)
@click.option(
    "--deadline",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_DEADLINE,
    show_default=True,
    help="Per anime.",
)
@click.option("--no-index", is_flag=True, help="Do not bring the search index up to date afterwards.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def enrich(
    ctx: click.Context,
    *,
    dump: Path | None,
    platform: str | None,
    season: str | None,
    missing: str | None,
    limit: int | None,
    sources: tuple[str, ...],
    fields: tuple[str, ...],
    batch_size: int,
    concurrency: int,
    deadline: float,
    no_index: bool,
    as_json: bool,
) -> None:
    """Fill the enrichment store: synopses, genres and themes, characters and staff, broadcast, streaming and
    scores, with where and when each came from.

    With --dump, import a bulk dump (an anime-mapper JSONL file, plain or .zst), matched to the catalogue by
    platform id. Otherwise ask the live sources about the whole catalogue or a selection; the run is
    checkpointed per batch, so running the same command again after an interruption resumes it.
    """
    app = get_app(ctx)
    if dump is not None:
        with _dump_bar() as bar:
            report = import_dump(
                dump, app.plugins.bulk_sources(), app.catalogue, app.enrichment_store(), progress=bar
            )
        summary: dict[str, Any] = _dump_dict(report)
        if not as_json:
            _print_dump(report)
    else:
        try:
            selection = Selection(
                platform=Platform(platform) if platform else None,
                season=parse_season(season) if season else None,
                missing=missing,
                limit=limit,
                sources=_names(sources),
                fields=_names(fields),
            )
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from None
        batch = _run_batch(app, selection, batch_size, concurrency, deadline)
        summary = _batch_dict(batch)
        if not as_json:
            _print_batch(batch)
    indexed = None if no_index else _reindex(app)
    if as_json:
        click.echo(json.dumps(summary | {"index": index_report_dict(indexed)}, indent=2))
    else:
        print_index_report(indexed)


def _reindex(app: App) -> Any:
    try:
        return index_catalogue(
            app, reindex=False, required=False, catalogue_source=app.catalogue.stats().source
        )
    except AnimeMcpError as exc:  # the store is filled; the index can be brought up to date later
        err.print(Text.assemble(("index not updated:", "yellow"), f" {exc}"))
        return None


def _run_batch(
    app: App, selection: Selection, batch_size: int, concurrency: int, deadline: float
) -> BatchSummary:
    store = app.enrichment_store()
    installed = {s.info.id for s in app.plugins.sources()}
    unknown = set(selection.sources) - installed
    if unknown:
        raise click.BadParameter(
            f"no source {', '.join(sorted(unknown))}; installed: {', '.join(sorted(installed)) or 'none'}",
            param_hint="--source",
        )
    limiter = anyio.CapacityLimiter(app.settings.serve.workers)

    async def run_sync(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(function, *args, **kwargs), limiter=limiter)

    async def run() -> BatchSummary:
        ids = await run_sync(select, app.catalogue, store, selection)
        planned = await run_sync(store.open_run, plan_run(ids, selection, batch_size))
        runtime = app.source_runtime()
        try:
            bound = app.bound_sources(runtime)

            def ready(source: Source) -> bool:
                return not source.info.missing_credentials(runtime.env)

            with _batch_bar() as bar:
                return await run_batches(
                    planned,
                    app.catalogue,
                    store,
                    bound,
                    run_sync=run_sync,
                    fields=frozenset(selection.fields),
                    only=selection.sources or None,
                    ready=ready,
                    deadline=deadline,
                    concurrency=concurrency,
                    progress=bar,
                )
        finally:
            await runtime.aclose()

    return anyio.run(run)


def _dump_dict(report: DumpReport) -> dict[str, Any]:
    return {
        "mode": "dump",
        "reader": report.reader,
        "records": report.records,
        "matched": report.matched,
        "unmatched": report.unmatched,
        "skipped": report.skipped,
        "anime": report.anime,
        "values": report.values,
        "fields": report.fields,
        "unmatched_examples": list(report.unmatched_examples),
        "seconds": round(report.seconds, 2),
    }


def _print_dump(report: DumpReport) -> None:
    out.print(
        Text.assemble(
            (f"{report.matched:,}", "bold"),
            f" of {report.records:,} {report.reader} records matched catalogue entries "
            f"({report.anime:,} anime, {report.values:,} values) in {report.seconds:.1f} s",
        )
    )
    if report.unmatched:
        examples = ", ".join(report.unmatched_examples)
        out.print(f"{report.unmatched:,} unmatched (not in the catalogue), e.g. {examples}")
    if report.skipped:
        out.print(Text(f"{report.skipped:,} unusable records skipped", "yellow"))
    table = Table("field", "records", title="fields imported", title_justify="left")
    for name, count in report.fields.items():
        table.add_row(name, f"{count:,}")
    out.print(table)


def _batch_dict(summary: BatchSummary) -> dict[str, Any]:
    return {
        "mode": "batch",
        "run": summary.key,
        "anime": summary.anime,
        "batches": summary.batches,
        "resumed_batches": summary.resumed,
        "ran_batches": summary.ran,
        "anime_filled": summary.anime_filled,
        "values": summary.values,
        "filled": summary.filled,
        "failures": summary.failures,
        "nothing_added": list(summary.failed_anime),
        "seconds": round(summary.seconds, 2),
    }


def _print_batch(summary: BatchSummary) -> None:
    resumed = f", {summary.resumed} resumed from an earlier run" if summary.resumed else ""
    out.print(
        Text.assemble(
            (f"{summary.anime_filled:,}", "bold"),
            f" of {summary.anime:,} anime enriched ({summary.values:,} values) in {summary.batches} batches"
            f"{resumed}, {summary.seconds:.1f} s",
        )
    )
    if summary.filled:
        table = Table("field", "anime", title="filled in this run", title_justify="left")
        for name, count in summary.filled.items():
            table.add_row(name, f"{count:,}")
        out.print(table)
    if summary.failures:
        table = Table("source: reason", "anime", title="failed", title_justify="left")
        for reason, count in list(summary.failures.items())[:15]:
            table.add_row(reason, f"{count:,}")
        out.print(table)
    if summary.failed_anime:
        out.print(f"{len(summary.failed_anime)} anime got nothing from any source")
