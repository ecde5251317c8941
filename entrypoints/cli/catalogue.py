"""``anime-mcp get``: one anime by any reference, through the ``get_anime_by_id`` tool (as MCP and REST)."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from anime_mcp.entrypoints.cli.app import out
from anime_mcp.entrypoints.cli.tooling import call_tool


@click.command()
@click.argument("reference")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def get(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Show one anime. REFERENCE: mal:1535, a platform URL, an internal id (mal-1535) or an exact title."""
    output = call_tool(ctx, "get_anime_by_id", {"anime_id": reference, "detail": "full"}).output
    anime, others = output["anime"], output["also_matches"]
    if as_json:
        data = {**anime, "also_matches": [other["anime_id"] for other in others]}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_entry(anime)
    if others:
        shown = ", ".join(f"{other['title']} ({other['anime_id']})" for other in others[:5])
        out.print(Text(f"\nthe title also names: {shown}", style="dim"))


def _print_entry(data: dict[str, Any]) -> None:
    season = " ".join(str(x) for x in (data["season"], data["year"]) if x and x != "UNDEFINED") or "?"
    synonyms = data["synonyms"]
    out.print(Text.assemble((data["title"], "bold"), f"  ({data['anime_id']})"))
    facts = [
        ("type", data["type"]),
        ("episodes", data["episodes"] or "?"),
        ("status", data["status"]),
        ("season", season),
        ("score", f"{data['score']:.2f} / 10" if data["score"] else "-"),
        ("episode length", f"{data['duration_seconds'] // 60} min" if data["duration_seconds"] else "-"),
        ("studios", ", ".join(data["studios"]) or "-"),
        ("tags", ", ".join(data["tags"][:12]) or "-"),
        ("also known as", ", ".join(synonyms[:6]) + (" ..." if len(synonyms) > 6 else "")),
    ]
    table = Table.grid(padding=(0, 2))
    for name, value in facts:
        table.add_row(Text(name, style="dim"), str(value))
    out.print(table)
    out.print(Text("pages:", style="dim"))
    for url in data["sources"]:
        out.print(f"  {url}")
