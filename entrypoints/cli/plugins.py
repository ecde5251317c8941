"""``anime-mcp plugins``: what is installed, what loaded, what each plugin registered."""

from __future__ import annotations

import json

import click
from rich.table import Table

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
        ok = plugin["status"] == "ok"
        table.add_row(plugin["name"], plugin["version"] or "-",
                      f"[green]ok[/]" if ok else f"[red]{plugin['status']}[/]",
                      registered or "-", plugin["entry_point"])
    out.print(table)
