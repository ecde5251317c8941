"""``anime-mcp plugins``: what is installed, what loaded, what each plugin registered."""

from __future__ import annotations

import json

import click
from rich.table import Table
from rich.text import Text

from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.ports.plugin_host import PluginHost
from anime_mcp.ports.providers import DEFAULT_PROVIDERS, EMBEDDER, VECTOR_INDEX


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def plugins(ctx: click.Context, as_json: bool) -> None:
    """List plugins: name, version, entry point, hooks, what they registered, status."""
    host = get_app(ctx).plugins
    listing = host.list_plugins()
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    table = Table(title=f"{len(listing)} plugin(s)", title_justify="left")
    for column in ("name", "version", "status", "registered", "entry point"):
        table.add_column(column, overflow="fold")
    for plugin in listing:
        registered = "; ".join(f"{kind}: {', '.join(names)}" for kind, names in plugin["registered"].items())
        summary = f"{plugin['status']}: {plugin['detail']}" if plugin["detail"] else plugin["status"]
        colour = {"ok": "green", "disabled": "yellow"}.get(plugin["status"], "red")
        status = Text(summary, style=colour)
        # Text cells, not markup: names and error messages come from plugins and may hold "[...]".
        table.add_row(
            Text(plugin["name"]),
            Text(plugin["version"] or "-"),
            status,
            Text(registered or "-"),
            Text(plugin["entry_point"]),
        )
    out.print(table)
    for line in _providers(host):
        out.print(line)


def _providers(host: PluginHost) -> list[Text]:
    """One line per single-provider kind: every provider registered, the built-in defaults marked, so a
    second provider is visible (which one is used is chosen by name in the settings, never by load order)."""
    kinds = {
        EMBEDDER: [p.name for p in host.embedders()],
        VECTOR_INDEX: [p.name for p in host.vector_indexes()],
    }
    lines = []
    for kind, provider_names in kinds.items():
        defaults = DEFAULT_PROVIDERS.get(kind, ())
        names = [f"{name} (default)" if name in defaults else name for name in provider_names]
        lines.append(Text(f"{kind} providers: {', '.join(sorted(names)) or '-'}"))
    return lines
