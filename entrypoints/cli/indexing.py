"""The indexing step of ``anime-mcp ingest``: embed and index the catalogue, with a progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.core.services.indexing import IndexProgress, IndexReport, build_index, content_texts
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import err, out
from anime_mcp.entrypoints.cli.progress import progress_bars


class RateColumn(ProgressColumn):
    """Texts (documents, synopses) embedded per second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} texts/s" if speed else "- texts/s")


@contextmanager
def entry_progress(description: str) -> Iterator[IndexProgress]:
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with progress_bars(*columns) as phase:
        yield phase(description)


def index_catalogue(app: App, *, reindex: bool, required: bool, catalogue_source: str) -> IndexReport | None:
    """Embed and index the ingested catalogue, with the content texts of the enrichment store (synopses,
    genres and themes); without a model, skip with a warning unless ``required``."""
    try:
        components = app.search_parts()
    except EmbedderError as exc:
        if required:
            raise
        err.print(Text.assemble(("search index not built:", "yellow"), " ", str(exc)))
        return None
    embedder = components.embedder()
    contents = content_texts(app.enrichment_store())
    label = f"indexing ({embedder.name}, {components.backend.name})"
    with entry_progress(label) as progress:
        return build_index(
            app.catalogue,
            embedder,
            components.encoder,
            components.backend,
            contents=contents,
            story_encoder=components.story_encoder,
            reindex=reindex,
            progress=progress,
            catalogue_source=catalogue_source,
        )


def index_report_dict(report: IndexReport | None) -> dict[str, Any] | None:
    if report is None:
        return None
    manifest = report.manifest
    return {
        "mode": report.mode,
        "embedded": report.embedded,
        "documents_embedded": report.documents_embedded,
        "contents_embedded": report.contents_embedded,
        "with_content": report.with_content,
        "added": report.added,
        "changed": report.changed,
        "removed": report.removed,
        "unchanged": report.unchanged,
        "seconds": round(report.seconds, 2),
        "points": manifest.points,
        "model": manifest.spec.model,
        "dimension": manifest.spec.dimension,
        "generation": manifest.generation,
        "phases": report.phases,
        "backend": manifest.backend,
        "location": manifest.location,
    }


def print_index_report(report: IndexReport | None) -> None:
    if report is None:
        return
    manifest = report.manifest
    rate = (
        f", {report.embedded / report.seconds:,.0f} entries/s" if report.embedded and report.seconds else ""
    )
    out.print(
        f"search index ({report.mode}): {report.embedded:,} embedded ({report.documents_embedded:,} "
        f"documents, {report.contents_embedded:,} synopses), {report.removed:,} removed, "
        f"{report.unchanged:,} unchanged in {report.seconds:.1f} s{rate} -> {manifest.points:,} entries, "
        f"{manifest.spec.model} ({manifest.spec.dimension}-d), {manifest.backend} at {manifest.location}"
    )
