"""``anime-mcp ingest``: fetch a catalogue release, store it, then embed and index it."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.progress import (
    BarColumn,
    DownloadColumn,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from anime_mcp.core.catalogue import CatalogueLocation
from anime_mcp.core.services.catalogue import IngestReport, ProgressFactory, ingest_catalogue
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.cli.indexing import index_catalogue, index_report_dict, print_index_report
from anime_mcp.entrypoints.cli.progress import progress_bars


@contextmanager
def _progress_bars() -> Iterator[ProgressFactory]:
    """One progress display; each phase (downloading, ingesting) gets its own bar."""
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with progress_bars(*columns) as phase:
        yield phase


@click.command()
@click.option(
    "--source",
    "source",
    metavar="PATH|URL",
    default=None,
    help="Catalogue file or URL. Default: ANIME_MCP_CATALOGUE, then config.toml, then the upstream release.",
)
@click.option("--strict", is_flag=True, help="Stop at the first malformed entry instead of skipping it.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option(
    "--reindex", is_flag=True, help="Rebuild the search index from scratch (e.g. after a model change)."
)
@click.option("--no-index", is_flag=True, help="Only store the catalogue; do not embed and index it.")
@click.pass_context
def ingest(
    ctx: click.Context, *, source: str | None, strict: bool, as_json: bool, reindex: bool, no_index: bool
) -> None:
    """Read an anime-offline-database release into the local store (jsonl or json, plain or .zst), then
    embed and index it for search (incrementally when the index exists and the model is unchanged)."""
    app = get_app(ctx)
    chosen = source or app.settings.catalogue.location
    started = time.perf_counter()
    with _progress_bars() as progress:
        report = ingest_catalogue(
            CatalogueLocation(chosen),
            app.fetcher,
            app.plugins.catalogue_readers(),
            app.catalogue,
            strict=strict,
            progress=progress,
        )
    elapsed = time.perf_counter() - started
    store = app.catalogue_description
    indexed = (
        None if no_index else index_catalogue(app, reindex=reindex, required=reindex, catalogue_source=chosen)
    )
    if as_json:
        summary = _report_dict(report, elapsed, store) | {"index": index_report_dict(indexed)}
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_report(report, elapsed, store)
        print_index_report(indexed)


def _report_dict(report: IngestReport, elapsed: float, store: str) -> dict[str, object]:
    return {
        "entries": report.stats.entries,
        "per_platform": {p.value: n for p, n in sorted(report.stats.per_platform.items())},
        "skipped": report.stats.skipped,
        "skipped_lines": [{"line": s.line, "reason": s.reason} for s in report.skipped],
        "source": report.stats.source,
        "reader": report.reader,
        "last_update": report.stats.metadata.last_update.isoformat() if report.stats.metadata else None,
        "store": str(store),
        "seconds": round(elapsed, 2),
        "note": report.note,
    }


def _print_report(report: IngestReport, elapsed: float, store: str) -> None:
    stats = report.stats
    last = stats.metadata.last_update.isoformat() if stats.metadata else "?"
    if report.note:
        out.print(f"note: {report.note}")
    out.print(
        Text.assemble(
            (f"{stats.entries:,}", "bold"),
            f" entries from {stats.source} (release {last}) in {elapsed:.1f} s -> {store}",
        )
    )
    table = Table("platform", "entries", title="entries per platform", title_justify="left")
    for platform, count in sorted(stats.per_platform.items(), key=lambda kv: -kv[1]):
        table.add_row(platform.value, f"{count:,}")
    out.print(table)
    if stats.skipped:
        out.print(
            Text.assemble(
                (f"{stats.skipped} malformed line(s) skipped", "yellow"), " (use --strict to stop instead):"
            )
        )
        for skipped in report.skipped[:10]:
            out.print(f"  line {skipped.line}: {skipped.reason}")
        if len(report.skipped) > 10:
            out.print(f"  ... and {len(report.skipped) - 10} more (see --json)")
    else:
        out.print("no lines skipped")
