"""``anime-mcp quickstart``: from nothing to answers in one command. Installs the default embedding model,
downloads and ingests the newest catalogue release, embeds and indexes it, and says how to connect an MCP
client. Each step that is done already (same model, same release, index current) is skipped, and said so."""

from __future__ import annotations

import json
import time
from pathlib import Path

import anyio
import attrs
import click
from rich.text import Text

from anime_mcp.core.catalogue import CatalogueLocation, CatalogueStats
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.core.services.catalogue import ingest_catalogue
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.cli.indexing import index_catalogue
from anime_mcp.entrypoints.cli.mcp_config import launcher, server_entry
from anime_mcp.entrypoints.cli.models import default_int8, download_bars, install_folder, install_known
from anime_mcp.entrypoints.search_setup import resolve_model_dir
from anime_mcp.entrypoints.settings import DEFAULT_MODEL, Settings


def _step(number: int, text: str) -> None:
    out.print(Text.assemble((f"[{number}/3] ", "bold"), text))


@click.command()
@click.option(
    "--catalogue",
    metavar="PATH|URL",
    default=None,
    help="Catalogue file or URL (default: ANIME_MCP_CATALOGUE, config.toml, then the newest release).",
)
@click.option(
    "--model-from",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="Install the embedding model from this ONNX export folder instead of downloading it.",
)
@click.option(
    "--model", "model_name", default=None, help=f"Known model to download (default {DEFAULT_MODEL})."
)
@click.option("--int8/--fp32", default=None, help="Quantise the model to int8 (default: yes without a GPU).")
@click.pass_context
def quickstart(
    ctx: click.Context,
    catalogue: str | None,
    model_from: Path | None,
    model_name: str | None,
    int8: bool | None,
) -> None:
    """Install the model, fetch and ingest the catalogue, build the search index; then say how to connect.

    With --catalogue PATH and --model-from DIR nothing is downloaded."""
    started = time.perf_counter()
    obj = ctx.ensure_object(dict)
    settings: Settings = obj["settings"]
    quantise = default_int8() if int8 is None else int8

    _step(1, "embedding model")
    model_dir = _model(settings, model_from, model_name, quantise)
    try:
        configured = resolve_model_dir(settings.search)
    except EmbedderError:
        configured = None
    if configured is None or configured.resolve() != model_dir.resolve():
        # Several models installed: this run (and the MCP config printed below) uses the one just chosen.
        settings = attrs.evolve(settings, search=attrs.evolve(settings.search, model=model_dir.name))
        obj["settings"] = settings
        out.print(f"  using {model_dir.name}: set ANIME_MCP_MODEL={model_dir.name} for other commands")
    app = get_app(ctx)

    location = catalogue or settings.catalogue.location
    _step(2, f"catalogue from {location}")
    _catalogue(app, location)

    _step(3, "search index")
    report = index_catalogue(app, reindex=False, required=True, catalogue_source=location)
    if report is not None:
        if report.embedded == 0 and report.removed == 0:
            out.print(f"  the index is current ({report.manifest.points:,} entries): nothing to embed")
        else:
            out.print(
                f"  {report.embedded:,} entries embedded in {report.seconds:.0f} s -> "
                f"{report.manifest.points:,} entries ({report.manifest.spec.model})"
            )
    _next_steps(settings, time.perf_counter() - started)


def _model(settings: Settings, model_from: Path | None, model_name: str | None, int8: bool) -> Path:
    models_dir = settings.search.models_dir
    if model_from is not None:
        return install_folder(models_dir, model_from, name=None, link=False, int8=int8)
    if model_name is None:
        try:
            existing = resolve_model_dir(settings.search)
        except EmbedderError:
            existing = None
        if existing is not None:
            out.print(f"  {existing.name} is installed already -> {existing}")
            return existing
    return install_known(settings.search, model_name or DEFAULT_MODEL, int8=int8)


def _current_stats(app: App) -> CatalogueStats | None:
    try:
        return app.catalogue.stats()
    except AnimeMcpError:
        return None


def _catalogue(app: App, location: str) -> None:
    stats = _current_stats(app)
    if stats is not None and stats.entries and stats.source == location:
        check = anyio.run(app.fetcher.check, CatalogueLocation(location), stats.ingested_at)
        if check.newer is False:
            release = stats.metadata.last_update.isoformat() if stats.metadata else "?"
            out.print(
                f"  ingested already and current ({stats.entries:,} entries, release {release}): skipped"
            )
            return
    with download_bars() as progress:
        report = ingest_catalogue(
            CatalogueLocation(location),
            app.fetcher,
            app.plugins.catalogue_readers(),
            app.catalogue,
            progress=progress,
        )
    if report.note:
        out.print(f"  note: {report.note}")
    skipped = f", {report.stats.skipped} malformed line(s) skipped" if report.stats.skipped else ""
    out.print(f"  {report.stats.entries:,} entries stored{skipped}")


def _next_steps(settings: Settings, elapsed: float) -> None:
    command, _ = launcher()
    snippet = json.dumps({"mcpServers": {"anime": server_entry("generic", settings)}}, indent=2)
    out.print(f'\nready in {elapsed:.0f} s. Try it:  {command} search "death note" --limit 5')
    out.print("Connect an MCP client (stdio): `anime-mcp mcp-config --client claude-desktop --write`")
    out.print("(or cursor, vscode), or add this to the client's configuration:")
    out.print(snippet)
    out.print("Serve REST and MCP over HTTP: `anime-mcp serve` (MCP at http://127.0.0.1:8000/mcp)")
    out.print("Check the setup any time: `anime-mcp doctor`")
