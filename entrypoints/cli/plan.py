"""``anime-mcp plan TEXT``: how the query planner understands a question (no search, no sources asked)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
from rich.table import Table
from rich.text import Text

from anime_mcp.core.planning import plan as make_plan
from anime_mcp.entrypoints.cli.app import get_app, out


def _zone(value: str) -> ZoneInfo:
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise click.BadParameter(
            f"{value!r} is not an IANA time zone (e.g. UTC, Asia/Tokyo)", param_hint="--tz"
        ) from None


def _now(value: str | None, zone: ZoneInfo) -> dt.datetime:
    if value is None:
        return dt.datetime.now(zone)
    try:
        now = dt.datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO date-time (e.g. 2026-11-21T12:00:00)", param_hint="--now"
        ) from None
    return now if now.tzinfo is not None else now.replace(tzinfo=zone)  # a naive time is in --tz


@click.command("plan")
@click.argument("text")
@click.option(
    "--now", "now_text", default=None, metavar="ISO_DATETIME", help="Resolve 'today' etc. (default: now)."
)
@click.option("--tz", default="UTC", show_default=True, metavar="ZONE", help="The asker's IANA time zone.")
@click.option("--json", "as_json", is_flag=True, help="Print the plan as one JSON object.")
@click.pass_context
def plan(ctx: click.Context, text: str, now_text: str | None, tz: str, as_json: bool) -> None:
    """Show how a question is understood: intent, titles, filters, sources, dates."""
    zone = _zone(tz)
    now = _now(now_text, zone)
    result = make_plan(text, vocabulary=get_app(ctx).planner_vocabulary(), now=now, tz=tz).to_json()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    _print(result)


def _shown(value: Any) -> str | None:
    if value is None or value == []:
        return None
    return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _print(result: dict[str, Any]) -> None:
    out.print(Text.assemble(("intent: ", "dim"), (result["intent"], "bold")))
    if result["clarification"]:
        out.print(Text.assemble(("ask back: ", "dim"), result["clarification"]))
    table = Table.grid(padding=(0, 2))
    for title in result["titles"]:
        resolved = f"{title['title']} ({title['anime_id']})" if title["anime_id"] else "not in the catalogue"
        table.add_row(Text("title", style="dim"), f"{title['text']} -> {resolved}")
    rows = [(key, result["filters"][key]) for key in result["filters"]]
    rows += [
        (key, result[key]) for key in ("sources", "fields", "platforms", "region", "date_from", "date_to")
    ]
    rows += [(key, result[key]) for key in ("timezone", "language", "sort", "limit", "keywords")]
    for key, value in rows:
        shown = _shown(value)
        if shown is not None:
            table.add_row(Text(key.replace("_", " "), style="dim"), shown)
    out.print(table)
