"""``anime-mcp index-images``: a poster vector for each catalogue entry (image search, visual similarity)."""

from __future__ import annotations

import json

import click
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from anime_mcp.core.search_errors import EmbedderError, SearchError
from anime_mcp.core.services.image_indexing import index_images
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.cli.progress import progress_bars
from anime_mcp.ports.vector_index import ImageVectorStore


@click.command("index-images")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the first N entries with a picture."
)
@click.option("--batch", type=click.IntRange(min=1, max=1024), default=64, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_context
def index_images_command(ctx: click.Context, *, limit: int | None, batch: int, as_json: bool) -> None:
    """Download each entry's picture (cached under the home), embed it with the image model
    (ANIME_MCP_IMAGE_MODEL) and store it beside the search index. Resumable: a rerun adds what is missing."""
    app = get_app(ctx)
    embedder = app.image_embedder()
    if embedder is None:
        raise EmbedderError(
            "no image model: export a CLIP model with `anime-mcp models export`, install it with "
            "`anime-mcp models install --from DIR` or set ANIME_MCP_IMAGE_MODEL (docs/search.md)"
        )
    backend = app.search_parts().backend
    if not isinstance(backend, ImageVectorStore):
        raise SearchError(f"the {backend.name} index cannot hold poster vectors")
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with progress_bars(*columns) as phase:
        bar = phase("posters")
        report = index_images(
            app.catalogue,
            backend,
            embedder,
            app.pictures(),
            app.decode_picture,
            batch=batch,
            limit=limit,
            progress=bar,
        )
    if as_json:
        out.print_json(json.dumps(report.as_dict()))
        return
    out.print(
        f"{report.indexed:,} posters embedded by {report.model} ({report.dimension}-d), {report.already:,} "
        f"already there, {report.missing:,} missing, {report.broken:,} broken, {report.skipped:,} not in the "
        f"index; {report.points:,} searchable ({report.seconds:,.1f} s)"
    )
