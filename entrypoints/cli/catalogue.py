"""``anime-mcp ingest`` and ``anime-mcp get``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
import httpx
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from anime_mcp.adapters.catalogue_download import download_catalogue
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.entrypoints.cli.app import err, get_app, out
from anime_mcp.entrypoints.cli.indexing import index_catalogue, index_report_dict, print_index_report
from anime_mcp.entrypoints.presenters import entry_to_dict
from anime_mcp.entrypoints.services.catalogue import IngestReport, ingest_file, lookup
from anime_mcp.ports.catalogue import ByteProgress


@contextmanager
def _byte_progress(description: str) -> Iterator[ByteProgress]:
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False, disable=not err.is_terminal) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield update


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
    chosen = source or app.settings.catalogue or app.settings.catalogue_url
    started = time.perf_counter()
    note = ""
    if chosen.startswith(("http://", "https://")):
        with _byte_progress("downloading") as progress, httpx.Client(timeout=30.0) as client:
            download = download_catalogue(chosen, app.settings.download_dir, client, progress=progress)
        path, note = download.path, download.note
    else:
        path = Path(chosen).expanduser()
    with _byte_progress("ingesting") as progress:
        report = ingest_file(
            path,
            app.plugins.catalogue_readers(),
            app.store,
            strict=strict,
            source=chosen,
            progress=progress,
            note=note,
        )
    elapsed = time.perf_counter() - started
    indexed = (
        None if no_index else index_catalogue(app, reindex=reindex, required=reindex, catalogue_source=chosen)
    )
    if as_json:
        summary = _report_dict(report, elapsed, app.store.path) | {"index": index_report_dict(indexed)}
        click.echo(json.dumps(summary, indent=2))
    else:
        _print_report(report, elapsed, app.store.path)
        print_index_report(indexed)


def _report_dict(report: IngestReport, elapsed: float, store: Path) -> dict[str, object]:
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


def _print_report(report: IngestReport, elapsed: float, store: Path) -> None:
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


@click.command()
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def get(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show one anime. REFERENCE: mal:1535, a platform URL, an internal id (mal-1535) or an exact title."""
    app = get_app(ctx)
    resolution = lookup(app.store, reference)
    if as_json:
        data = entry_to_dict(resolution.entry)
        data["also_matches"] = [e.anime_id for e in resolution.alternatives]
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_entry(resolution.entry)
    if resolution.alternatives:
        others = ", ".join(f"{e.title} ({e.anime_id})" for e in resolution.alternatives[:5])
        out.print(Text(f"\nthe title also names: {others}", style="dim"))


def _print_entry(entry: CatalogueEntry) -> None:
    data = entry_to_dict(entry)
    season = " ".join(str(x) for x in (data["season"], data["year"]) if x and x != "UNDEFINED") or "?"
    out.print(Text.assemble((entry.title, "bold"), f"  ({entry.anime_id})"))
    facts = [
        ("type", data["type"]),
        ("episodes", data["episodes"] or "?"),
        ("status", data["status"]),
        ("season", season),
        ("score", f"{data['score']:.2f} / 10" if data["score"] else "-"),
        ("episode length", f"{data['duration_seconds'] // 60} min" if data["duration_seconds"] else "-"),
        ("studios", ", ".join(entry.studios) or "-"),
        ("tags", ", ".join(entry.tags[:12]) or "-"),
        ("also known as", ", ".join(entry.synonyms[:6]) + (" ..." if len(entry.synonyms) > 6 else "")),
    ]
    table = Table.grid(padding=(0, 2))
    for name, value in facts:
        table.add_row(Text(name, style="dim"), str(value))
    out.print(table)
    out.print(Text("pages:", style="dim"))
    for url in data["sources"]:
        out.print(f"  {url}")
