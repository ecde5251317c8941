"""``anime-mcp update``: fetch the newest catalogue release, check it, show what changes, swap it in and bring
the enrichment store and the search index into line (the weekly update; ``serve`` can run it on a schedule).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, TextColumn
from rich.text import Text

from anime_mcp.core.catalogue import CatalogueLocation
from anime_mcp.core.catalogue_update import CatalogueDiff, EntryChange, UpdatePolicy
from anime_mcp.core.services.catalogue_update import UpdateReport, update_catalogue
from anime_mcp.core.services.indexing import IndexReport
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import err, get_app, out
from anime_mcp.entrypoints.cli.indexing import index_catalogue, index_report_dict, print_index_report
from anime_mcp.entrypoints.cli.progress import progress_bars

REFUSED_EXIT = 3  # distinct from 1 (an error): the release was judged and refused, the old one serves on


@click.command()
@click.option(
    "--source",
    "source",
    metavar="PATH|URL",
    default=None,
    help="Release file or URL. Default: ANIME_MCP_CATALOGUE, then config.toml, then the upstream release.",
)
@click.option("--dry-run", is_flag=True, help="Check the release and show what would change; swap nothing.")
@click.option(
    "--max-drop",
    type=click.FloatRange(0.0, 1.0),
    default=None,
    help="Share of entries the release may lose (default [catalogue] max_drop, 0.1).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def update(
    ctx: click.Context, *, source: str | None, dry_run: bool, max_drop: float | None, as_json: bool
) -> None:
    """Update the catalogue to the newest release: refuse it if it fails a check (entries lost, well-known
    anime missing, malformed entries, an older release), else swap it in, drop the enrichment of removed
    anime and update the search index incrementally. Exit code 3: refused, the old catalogue still serves."""
    app = get_app(ctx)
    settings = app.settings.catalogue
    chosen = source or settings.location
    policy = UpdatePolicy(
        max_drop=settings.max_drop if max_drop is None else max_drop, must_keep=settings.must_keep
    )
    with progress_bars(
        TextColumn("{task.description}", markup=False), BarColumn(), DownloadColumn()
    ) as progress:
        report = update_catalogue(
            CatalogueLocation(chosen),
            app.fetcher,
            app.plugins.catalogue_readers(),
            app.catalogue,
            app.enrichment_store(),
            policy=policy,
            index=lambda: _index(app, chosen),
            dry_run=dry_run,
            progress=progress,
        )
    if as_json:
        click.echo(json.dumps(update_report_dict(report), indent=2))
        if report.refused:  # the reasons on stderr too: an admin job shows them as its error
            _print_refusal(report)
    else:
        _print_report(report)
    if report.refused:
        sys.exit(REFUSED_EXIT)


def _index(app: App, source: str) -> IndexReport | None:
    return index_catalogue(app, reindex=False, required=False, catalogue_source=source)


def _changes(changes: tuple[EntryChange, ...]) -> list[dict[str, Any]]:
    return [
        {"anime_id": c.anime_id, "title": c.title} | ({"fields": list(c.fields)} if c.fields else {})
        for c in changes
    ]


def diff_dict(diff: CatalogueDiff) -> dict[str, Any]:
    return {
        "before": diff.before,
        "after": diff.after,
        "added": diff.added,
        "removed": diff.removed,
        "changed": diff.changed,
        "unchanged": diff.unchanged,
        "examples": {
            "added": _changes(diff.examples_added),
            "removed": _changes(diff.examples_removed),
            "changed": _changes(diff.examples_changed),
        },
    }


def update_report_dict(report: UpdateReport) -> dict[str, Any]:
    status = "refused" if report.refused else ("dry-run" if report.dry_run else "updated")
    return {
        "status": status,
        "problems": list(report.problems),
        "location": report.location,
        "release": report.release,
        "previous_release": report.previous_release,
        "swapped": report.swapped,
        "diff": diff_dict(report.diff),
        "enrichment_dropped": report.enrichment_dropped,
        "index": index_report_dict(report.index),
        "note": report.note,
    }


def _print_report(report: UpdateReport) -> None:
    diff = report.diff
    if report.note:
        out.print(f"note: {report.note}")
    out.print(
        Text.assemble(
            f"release {report.release} (in service: {report.previous_release or 'none'}): ",
            (f"{diff.added:,} added", "green"),
            ", ",
            (f"{diff.removed:,} removed", "red"),
            ", ",
            (f"{diff.changed:,} changed", "yellow"),
            f", {diff.unchanged:,} unchanged ({diff.before:,} -> {diff.after:,} entries)",
        )
    )
    for label, changes in (
        ("added", diff.examples_added),
        ("removed", diff.examples_removed),
        ("changed", diff.examples_changed),
    ):
        for change in changes:
            fields = f" ({', '.join(change.fields)})" if change.fields else ""
            out.print(f"  {label}: {change.title} [{change.anime_id}]{fields}")
    if report.refused:
        _print_refusal(report)
        return
    if report.dry_run:
        out.print("dry run: nothing swapped (run without --dry-run to apply)")
        return
    out.print(
        "catalogue swapped in" if report.swapped else "the catalogue in service is already this release"
    )
    if report.enrichment_dropped:
        out.print(f"enrichment of removed anime dropped: {report.enrichment_dropped:,} values")
    print_index_report(report.index)


def _print_refusal(report: UpdateReport) -> None:
    err.print(Text.assemble(("refused:", "bold red"), " the catalogue in service is kept"))
    for problem in report.problems:
        err.print(f"  - {problem}")
    err.print("  (check the release, or allow more with --max-drop / [catalogue] must_keep)")
