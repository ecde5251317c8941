"""``anime-mcp models``: what embedding models are installed, which one the index was built with, and
preparing model folders (install an ONNX export, quantise to int8, export from a Hugging Face folder)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, DownloadColumn, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.cli.progress import Update, progress_bars
from anime_mcp.entrypoints.search_setup import (
    installed_models,
    pick_embedder_provider,
    resolve_model_dir,
)
from anime_mcp.entrypoints.settings import SearchSettings


@click.group()
def models() -> None:
    """Embedding models: list, install, quantize, export."""


@contextmanager
def download_bars() -> Iterator[Callable[[str], Update]]:
    columns = (
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
    )
    with progress_bars(*columns) as phase:
        yield phase


def _describe(app: Any, model_dir: Path) -> dict[str, Any]:
    try:
        provider = pick_embedder_provider(app.plugins.embedders(), model_dir, app.settings.plugins.embedder)
        info = provider.describe(model_dir)
    except AnimeMcpError as exc:
        return {"path": str(model_dir), "error": str(exc)}
    return {
        "name": info.name,
        "dimension": info.dimension,
        "pooling": info.pooling,
        "max_length": info.max_length,
        "quantized": info.quantized,
        "provider": info.provider,
        "path": str(model_dir),
    }


def _listing(app: Any) -> dict[str, Any]:
    settings = app.settings.search
    listed = [_describe(app, d) for d in installed_models(settings.models_dir)]
    try:
        configured: dict[str, Any] | None = _describe(app, resolve_model_dir(settings))
    except AnimeMcpError as exc:
        configured = {"error": str(exc)}
    index: dict[str, Any] | None = None
    try:
        manifest = app.search_parts().backend.manifest()
        if manifest is not None:
            index = {
                "model": manifest.spec.model,
                "dimension": manifest.spec.dimension,
                "points": manifest.points,
                "built_at": manifest.built_at,
                "generation": manifest.generation,
                "backend": manifest.backend,
                "location": manifest.location,
            }
    except AnimeMcpError as exc:
        index = {"error": str(exc)}
    status = "no index yet: run `anime-mcp ingest`"
    if index and configured and "error" not in index and "error" not in configured:
        same = (index["model"], index["dimension"]) == (configured["name"], configured["dimension"])
        status = (
            "ok"
            if same
            else (
                f"MISMATCH: the index was built with {index['model']} ({index['dimension']}-d), the "
                f"configured model is {configured['name']} ({configured['dimension']}-d); "
                "run `anime-mcp ingest --reindex`"
            )
        )
    return {
        "models_dir": str(settings.models_dir),
        "installed": listed,
        "configured": configured,
        "index": index,
        "status": status,
    }


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_models(ctx: click.Context, as_json: bool) -> None:
    """Installed models, the configured one, and the one the search index was built with."""
    listing = _listing(get_app(ctx))
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    table = Table(
        "name",
        "dim",
        "pooling",
        "int8",
        "path",
        title=f"models in {listing['models_dir']}",
        title_justify="left",
    )
    for model in listing["installed"]:
        if "error" in model:
            table.add_row("?", "", "", "", f"{model['path']}: {model['error']}")
        else:
            table.add_row(
                model["name"],
                str(model["dimension"]),
                model["pooling"],
                "yes" if model["quantized"] else "",
                model["path"],
            )
    out.print(table)
    configured = listing["configured"] or {}
    out.print(
        "configured: "
        + (
            configured.get("error")
            or f"{configured['name']} ({configured['dimension']}-d) {configured['path']}"
        )
    )
    index = listing["index"]
    if index is None:
        out.print("index: none")
    elif "error" in index:
        out.print(f"index: {index['error']}")
    else:
        out.print(
            f"index: {index['model']} ({index['dimension']}-d), {index['points']:,} entries, built "
            f"{index['built_at']} ({index['backend']}: {index['location']})"
        )
    out.print(f"status: {listing['status']}")


@models.command("install")
@click.argument("known", metavar="[NAME]", required=False)
@click.option(
    "--from",
    "source",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="An ONNX export folder (model.onnx, tokenizer.json; our config or sentence-transformers "
    "pooling files), instead of downloading NAME.",
)
@click.option("--name", default=None, help="With --from: install under this name (default: the model's).")
@click.option("--link", is_flag=True, help="With --from: symlink the files instead of copying them.")
@click.option(
    "--int8/--fp32",
    default=None,
    help="Install the per-channel int8 quantisation (about 2x faster on CPU; named NAME-int8). Default: "
    "int8 for NAME on a machine without a GPU, fp32 for --from.",
)
@click.pass_context
def install(
    ctx: click.Context,
    known: str | None,
    *,
    source: Path | None,
    name: str | None,
    link: bool,
    int8: bool | None,
) -> None:
    """Install a known model from the Hugging Face hub (NAME, e.g. all-MiniLM-L6-v2), or an ONNX model folder
    (--from DIR), into $ANIME_MCP_HOME/models."""
    if (known is None) == (source is None):
        raise click.UsageError("give a model NAME to download, or --from DIR, not both")
    app = get_app(ctx)
    if source is not None:
        install_folder(app.settings.search.models_dir, source, name=name, link=link, int8=bool(int8))
        return
    assert known is not None
    if name or link:
        raise click.UsageError("--name and --link go with --from DIR")
    install_known(app.settings.search, known, int8=default_int8() if int8 is None else int8)


def default_int8() -> bool:
    """int8 on a CPU (about twice as fast, cosine ~0.99 to fp32); fp32 where onnxruntime has a GPU."""
    from anime_mcp.adapters.onnx_embedder import choose_providers

    return choose_providers()[0] == "CPUExecutionProvider"


def install_folder(models_dir: Path, source: Path, *, name: str | None, link: bool, int8: bool) -> Path:
    from anime_mcp.adapters.clip_files import looks_like_clip_model
    from anime_mcp.adapters.onnx_model_tools import find_installed, install_model

    if looks_like_clip_model(source):
        return install_clip_folder(models_dir, source, name=name, link=link, int8=int8)
    existing = find_installed(source, models_dir, name=name, int8=int8, link=link)
    if existing is not None:  # running the same install twice (the README's run command) is not an error
        out.print(f"{existing.name} is installed already -> {existing}")
        return existing
    target = install_model(source, models_dir, name=name, link=link, int8=int8)
    out.print(f"installed {target.name} -> {target}")
    return target


def install_clip_folder(models_dir: Path, source: Path, *, name: str | None, link: bool, int8: bool) -> Path:
    """An exported CLIP folder (image search) into ``models_dir``; used when ANIME_MCP_IMAGE_MODEL names it
    or it is the only CLIP model installed."""
    from anime_mcp.adapters.clip_export import install_clip

    if int8:
        raise click.UsageError("--int8 is for text models; a CLIP model is installed as exported")
    target, fresh = install_clip(source, models_dir, name=name, link=link)
    out.print(
        f"installed {target.name} -> {target}" if fresh else f"{target.name} is installed already -> {target}"
    )
    return target


def install_known(settings: SearchSettings, known: str, *, int8: bool) -> Path:
    """Download, check and install a known model, with a progress bar per file."""
    from anime_mcp.adapters.hub_install import install_from_hub
    from anime_mcp.adapters.model_registry import known_model

    model = known_model(known)
    with download_bars() as phase:
        done = install_from_hub(
            model, settings.models_dir, endpoint=settings.hub_url, int8=int8, progress=phase
        )
    if done.already:
        origin = f"{model.repo}@{model.revision[:12]}"
        out.print(f"{done.path.name} is installed already ({origin}) -> {done.path}")
        return done.path
    checked = ", ".join(f"{c.variant} cosine >= {c.lowest:.4f}" for c in done.checks)
    out.print(
        f"installed {done.path.name} -> {done.path} ({done.downloaded / 1e6:,.1f} MB downloaded from "
        f"{settings.hub_url}; reference vectors reproduced: {checked})"
    )
    return done.path


@models.command("quantize")
@click.option(
    "--from", "source", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Model name (default: the source's name + '-int8').")
def quantize(source: Path, target: Path, name: str | None) -> None:
    """Per-channel int8 quantisation of an ONNX model (about 2x faster on CPU, cosine ~0.99 to fp32)."""
    from anime_mcp.adapters.onnx_model_tools import quantize_model

    quantize_model(source, target, name=name)
    out.print(f"quantized model written to {target}")


@models.command("export")
@click.option(
    "--from",
    "source",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A local Hugging Face / sentence-transformers model folder.",
)
@click.option("--to", "target", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", default=None, help="Model name (default: the folder's name, + '-int8' with --int8).")
@click.option(
    "--int8", is_flag=True, help="Write the per-channel int8 quantisation instead of the fp32 graph."
)
def export(source: Path, target: Path, name: str | None, int8: bool) -> None:
    """Export a Hugging Face model folder to ONNX with optimum (needs the `export` extra). A CLIP model
    (image search) becomes two ONNX towers with its tokenizer and preprocessing (fp32 only)."""
    from anime_mcp.adapters.clip_export import export_clip, is_clip_folder
    from anime_mcp.adapters.onnx_model_tools import export_model

    if is_clip_folder(source):
        if int8:
            raise click.UsageError("--int8 is for text models; a CLIP model is exported in fp32")
        written = export_clip(source, target, name=name)
    else:
        written = export_model(source, target, name=name, int8=int8)
    out.print(f"exported to {written}")
