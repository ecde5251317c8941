"""``anime-mcp sources``: the live sources, their declarations and state; parse a saved answer; fetch live.

Exit codes: 0 ok, 1 other errors, 2 usage errors, 3 the document or the platform answered with an error
(``{"error": {"type": ..., "message": ...}}`` with ``--json``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import click
from rich.table import Table
from rich.text import Text

from anime_mcp.core.errors import AnimeMcpError, SourceError
from anime_mcp.core.platforms import PlatformId, Platforms
from anime_mcp.core.services.sources import page_on, source_for_document
from anime_mcp.entrypoints.cli.app import err, get_app, out
from anime_mcp.entrypoints.replay_setup import add_recorded_answer
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.entrypoints.source_presenters import (
    SUMMARY_FIELDS,
    describe_source,
    error_to_dict,
    parsed_to_json,
    state_line,
)
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.plugin_host import PluginHost
from anime_mcp.ports.source import Source

SOURCE_ERROR_EXIT = 3
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


def _source(host: PluginHost, source_id: str) -> Source:
    found = next((s for s in host.sources() if s.info.id == source_id), None)
    if found is None:
        known = (
            ", ".join(sorted(s.info.id for s in host.sources())) or "none (are the source plugins disabled?)"
        )
        raise click.UsageError(f"no source {source_id!r}; installed sources: {known}")
    return found


def _fail(error: SourceError, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(error_to_dict(error), ensure_ascii=False, indent=2))
    else:
        err.print(Text.assemble((f"{type(error).__name__}:", "bold red"), " ", str(error)))
    sys.exit(SOURCE_ERROR_EXIT)


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List the live sources: kind, capabilities, rate limits, credentials set or missing, and their state in
    this process (breaker and its retry time, rate limit, last outcome and failure, requests, cache hits; a
    running server's is in its /health)."""
    if ctx.invoked_subcommand is not None:
        return
    app = get_app(ctx)
    overrides = app.settings.sources
    listing = [
        describe_source(s, app.source_env, None, overrides.get(s.info.id))
        for s in sorted(app.plugins.sources(), key=lambda s: s.info.id)
    ]
    if as_json:
        click.echo(json.dumps(listing, indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(listing)} source(s)", title_justify="left")
    for column in ("id", "kind", "capabilities", "rate limits", "credentials", "state"):
        table.add_column(column, overflow="fold")
    for item in listing:
        credentials = Text("; ").join(
            Text.assemble(c["env"], " ", _credential_state(c)) for c in item["credentials"]
        ) or Text("-")
        table.add_row(
            item["id"],
            item["kind"],
            ", ".join(item["capabilities"]) or "-",
            ", ".join(item["rate_limits"]),
            credentials,
            state_line(item),
        )
    out.print(table)


def _credential_state(credential: dict[str, Any]) -> tuple[str, str]:
    if credential["set"]:
        return ("set", "green")
    return ("missing", "red") if credential["required"] else ("not set", "dim")


@sources.command("parse")
@click.argument("platform")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option(
    "--kind",
    default="anime",
    show_default=True,
    help="Document kind: anime, search, season, episodes, schedule, ... (see `sources --json`).",
)
@click.option(
    "--format", "fmt", default=None, help="Document format (default: recognised from the document)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def parse_command(
    ctx: click.Context, *, platform: str, file: str, kind: str, fmt: str | None, as_json: bool
) -> None:
    """Parse a saved response of PLATFORM (a source id such as mal, anidb) with that source's parser.

    The platform's sources share the work: a web page goes to its scraped source (``mal_web``), an API
    answer (JSON, XML) to its API source, told apart from the document itself."""
    plugins = get_app(ctx).plugins
    with click.open_file(file, "rb") as handle:
        document = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(document) > MAX_DOCUMENT_BYTES:
        raise click.UsageError(f"{file} is larger than {MAX_DOCUMENT_BYTES} bytes")
    found = source_for_document(plugins.sources(), platform, document, kind=kind, format=fmt)
    source = found if found is not None else _source(plugins, platform)
    if kind not in source.info.kinds:
        raise click.BadParameter(f"{platform} reads {', '.join(source.info.kinds)}", param_hint="--kind")
    if fmt is not None and fmt not in source.info.formats:
        raise click.BadParameter(f"{platform} reads {', '.join(source.info.formats)}", param_hint="--format")
    try:
        parsed = source.parse(document, kind=kind, format=fmt)
    except SourceError as exc:
        _fail(exc, as_json)
        return
    _print(parsed_to_json(parsed), as_json)


@sources.command("fetch")
@click.argument("platform")
@click.argument("ref")
@click.option(
    "--fields", default="", help="Comma-separated fields to ask for (default: what one request gives)."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--timeout", default=60.0, show_default=True, help="Give up after this many seconds.")
@click.pass_context
def fetch_command(
    ctx: click.Context, *, platform: str, ref: str, fields: str, as_json: bool, timeout: float
) -> None:
    """Fetch one anime live from PLATFORM.

    REF is a bare id of that platform, or any reference (`mal:1535`, a page URL of any platform, a title),
    translated to PLATFORM's id through the catalogue.
    """
    app = get_app(ctx)
    source = _source(app.plugins, platform)
    pid = _platform_id(ref, source, app.catalogue, app.plugins.platforms())
    wanted = frozenset(f.strip() for f in fields.split(",") if f.strip())

    async def run() -> Any:
        runtime = app.source_runtime()
        try:
            with anyio.fail_after(timeout):
                return await source.bind(runtime).fetch(pid, wanted)
        finally:
            await runtime.aclose()

    try:
        record = anyio.run(run)
    except SourceError as exc:
        _fail(exc, as_json)
        return
    except TimeoutError:
        _fail(SourceError(f"no answer within {timeout:g}s (offline?)", source=platform), as_json)
        return
    _print(parsed_to_json(record), as_json)


into_option = click.option(
    "--into",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The recordings folder (made when missing).",
)


@sources.group("recording")
def recording() -> None:
    """Recordings folders for replay (ANIME_MCP_REPLAY=DIR): recordings.jsonl and the answer files."""


@recording.command("add")
@into_option
@click.option("--status", default=200, show_default=True, help="The HTTP status the answer comes with.")
@click.argument("platform")
@click.argument("call")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def recording_add(
    ctx: click.Context, *, folder: Path, status: int, platform: str, call: str, file: Path
) -> None:
    """Add FILE as the answer PLATFORM's source gets for CALL (`fetch mal:1535`, `search death note`,
    `schedule 2026-09-12 sub`, `episodes anidb:4563`, ...).

    The source itself computes the request: CALL runs against the folder's recordings, and the first
    request none of them answers is answered with FILE and recorded (credentials left out). Run it again
    with the next document when a call needs several requests; adding the same call twice changes nothing.
    """
    app = get_app(ctx)
    source = _source(app.plugins, platform)
    try:
        added = add_recorded_answer(app, source, call, file, folder, status=status)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except ValueError as exc:  # a call outside the grammar, or one the source cannot make
        raise click.BadParameter(str(exc), param_hint="CALL") from None
    if added.request is None:
        if added.error is not None:
            _fail(added.error, as_json=False)
        click.echo(f"already recorded: every request of {call!r} has an answer in {folder}")
        return
    click.echo(f"{added.request} -> {added.file}")
    if added.error is not None:
        err.print(Text.assemble(("note:", "yellow"), f" with this answer {call!r} gives ", str(added.error)))
    if added.also_asks is not None:
        err.print(
            Text.assemble(
                ("note:", "yellow"), f" {call!r} also asks {added.also_asks}; add its answer the same way"
            )
        )


@sources.command(
    "record", context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False}
)
@into_option
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def record_command(folder: Path, command: tuple[str, ...]) -> None:
    """Run COMMAND (after `--`) with ANIME_MCP_RECORD=DIR: every live answer it gets is written into the
    folder, ready for ANIME_MCP_REPLAY=DIR. Example: `anime-mcp sources record --into rec -- anime-mcp
    sources fetch kitsu 1376`. Exits with COMMAND's exit code."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "ANIME_MCP_RECORD": str(folder.resolve())}
    env.pop("ANIME_MCP_REPLAY", None)
    try:
        completed = subprocess.run(list(command), env=env, check=False)
    except OSError as exc:
        raise click.UsageError(f"cannot run {command[0]!r}: {exc}") from None
    sys.exit(completed.returncode)


def _platform_id(ref: str, source: Source, catalogue: Catalogue, platforms: Platforms) -> PlatformId:
    try:
        return page_on(ref, source.info.platform, catalogue, platforms, bare_ids=True)[0]
    except AnimeMcpError as exc:
        raise click.BadParameter(str(exc), param_hint="REF") from None


def _print(value: Any, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(value, indent=2, ensure_ascii=False))
        return
    if isinstance(value, dict) and "title" in value:
        table = Table(show_header=False, box=None)
        for name in (*SUMMARY_FIELDS, "fields"):
            shown = value.get(name)
            table.add_row(name, "-" if shown in (None, [], "") else json.dumps(shown, ensure_ascii=False))
        out.print(table)
        return
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))
