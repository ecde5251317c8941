"""``anime-mcp ask TEXT``: a question in plain words, planned and answered by ``query_anime`` (the tool MCP
and ``POST /api/query`` use), printed as a table of the anime it is about and a line with the intent."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table
from rich.text import Text

from anime_mcp.entrypoints.cli.app import out
from anime_mcp.entrypoints.cli.tooling import call_tool
from anime_mcp.entrypoints.tools.enrichment_tools import render_details, render_ratings


@click.command("ask")
@click.argument("text")
@click.option(
    "--now", "now_text", default=None, metavar="ISO_DATETIME", help="Resolve 'today' etc. (default: now)."
)
@click.option("--tz", default=None, metavar="ZONE", help="The asker's IANA time zone (default: UTC).")
@click.option(
    "--limit", "-n", type=int, default=None, help="Most results (default: as the question says, else 10)."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the whole answer as JSON (query_anime's output)."
)
@click.pass_context
def ask(
    ctx: click.Context, *, text: str, now_text: str | None, tz: str | None, limit: int | None, as_json: bool
) -> None:
    """Ask a question: "anime like Death Note", "top 5 shonen anime", "what airs this season?"."""
    arguments: dict[str, Any] = {"text": text}
    for key, value in (("now", now_text), ("timezone", tz), ("limit", limit)):
        if value is not None:
            arguments[key] = value
    result = call_tool(ctx, "query_anime", arguments).output
    if as_json:
        click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        return
    _print(result)


def _print(result: dict[str, Any]) -> None:
    planner = result["metadata"]["planner"]
    out.print(
        Text.assemble(
            ("intent: ", "dim"),
            (result["intent"], "bold"),
            f" ({result['interpretation']})",
            (f" [planner: {planner['name']}]", "dim"),
        )
    )
    if result["clarification"]:
        out.print(Text.assemble(("ask back: ", "dim"), result["clarification"]))
    if result["results"]:
        table = Table("#", "title", "type", "year", "score", "id")
        for rank, item in enumerate(result["results"], start=1):
            score = f"{item['score']:.2f}" if item.get("score") is not None else "-"
            table.add_row(
                str(rank), item["title"], item["type"], str(item.get("year") or "-"), score, item["anime_id"]
            )
        out.print(table)
    elif not result["clarification"]:
        out.print("no anime found")
    for details in result["details"] or ():
        out.print(render_details(details))
    for ratings in result["ratings"] or ():
        out.print(render_ratings(ratings))
    degradation = result["degradation"]
    if degradation is not None and not (result["details"] or result["ratings"]):
        for outcome in degradation["outcomes"]:
            if outcome["reason"]:
                out.print(Text.assemble((f"{outcome['source']}: ", "dim"), outcome["reason"]))
    for warning in result["warnings"]:
        out.print(Text.assemble(("note: ", "dim"), warning))
