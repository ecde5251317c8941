"""``anime-mcp search-image PATH|URL``: anime whose poster looks like a picture, from the poster vectors.

It calls ``search_by_image`` through the tool catalogue, as MCP and REST do: a file is read here and sent
as base64 (``image``), an http(s) URL is handed over as ``image_url`` (fetched by the same SSRF guard), so
the caps and refusals are the same on every face.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import click

from anime_mcp.entrypoints.cli.search import _print_json, _print_results, filter_options
from anime_mcp.entrypoints.cli.tooling import call_tool
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters

MAX_FILE_BYTES = 20 * 1024 * 1024  # the decoder's cap; a bigger file is refused before it is read


def picture_argument(picture: str) -> dict[str, str]:
    """``image_url`` for an http(s) URL, else ``image``: the file's bytes as base64."""
    if picture.lower().startswith(("http://", "https://")):
        return {"image_url": picture}
    path = Path(picture).expanduser()
    if not path.is_file():
        raise click.BadParameter(f"{picture!r} is neither a file nor an http(s) URL", param_hint="PICTURE")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise click.BadParameter(
            f"{picture!r} is larger than {MAX_FILE_BYTES:,} bytes; send a smaller picture",
            param_hint="PICTURE",
        )
    return {"image": base64.b64encode(path.read_bytes()).decode("ascii")}


@click.command("search-image")
@click.argument("picture", metavar="PATH|URL")
@filter_options
@click.pass_context
def search_image(ctx: click.Context, /, picture: str, limit: int, as_json: bool, **options: Any) -> None:
    """Anime whose poster looks most like a picture (a PNG, JPEG, WebP or GIF file, or an http(s) URL).

    Needs a CLIP image model and the poster vectors (`anime-mcp index-images`).

    \b
    Examples:
      anime-mcp search-image screenshot.png
      anime-mcp search-image https://example.org/key-visual.jpg --type TV --limit 5
    """
    arguments = {**picture_argument(picture), "filters": cli_filters(**options), "limit": limit}
    output = call_tool(ctx, "search_by_image", {**arguments, "detail": "full"}).output
    if as_json:
        _print_json(output["results"])
    else:
        shown = output["image"]
        _print_results(output["results"], f"posters like {picture} ({shown['width']}x{shown['height']})")
