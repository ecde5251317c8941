"""``anime-mcp plugins``: what is installed, what loaded, what each plugin registered."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from anime_mcp.entrypoints.cli.app import get_app, out


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List plugins: name, version, entry point, hooks, what they registered, status."""
    listing = get_app(ctx).plugins.list_plugins()
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    table = Table(title=f"{len(listing)} plugin(s)", title_justify="left")
    for column in ("name", "version", "status", "registered", "entry point"):
        table.add_column(column, overflow="fold")
    for plugin in listing:
        registered = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in plugin["registered"].items())
        status = Text(plugin["status"], style="green" if plugin["status"] == "ok" else "red")
        # Text cells, not markup: names and error messages come from plugins and may hold "[...]".
        table.add_row(
            Text(plugin["name"]),
            Text(plugin["version"] or "-"),
            status,
            Text(registered or "-"),
            Text(plugin["entry_point"]),
        )
    out.print(table)
