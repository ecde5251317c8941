"""``anime-mcp doctor``: is this installation ready to answer, and if not, what to do about it.

Each check says ok, warn (works, but something is missing: a source's credential) or fail (blocks use: no
catalogue, no model, no index, a model the index was not built with, Redis configured but down). The exit
code is 1 when anything fails."""

from __future__ import annotations

import json
import os
import sys

import click
from attrs import asdict, frozen
from rich.table import Table
from rich.text import Text

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.cli.models import _listing

MINIMUM_PYTHON = (3, 11)  # pip refuses older ones; the check matters for a copied venv or PYTHONPATH use
STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


@frozen
class Check:
    name: str
    status: str  # ok, warn, fail
    detail: str
    fix: str = ""


def check_python() -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info >= MINIMUM_PYTHON:
        return Check("python", "ok", f"{version} ({sys.executable})")
    return Check("python", "fail", f"{version}: anime-mcp needs 3.11 or newer", "install Python >= 3.11")


def check_home(app: App) -> Check:
    home = app.settings.home
    if not home.is_dir():
        return Check("home", "fail", f"{home} does not exist", "run `anime-mcp quickstart`")
    if not os.access(home, os.W_OK):
        return Check("home", "fail", f"{home} is not writable", "fix its permissions or set ANIME_MCP_HOME")
    return Check("home", "ok", str(home))


def check_catalogue(app: App) -> Check:
    try:
        stats = app.catalogue.stats()
    except AnimeMcpError as exc:
        return Check("catalogue", "fail", str(exc), "run `anime-mcp quickstart` (or `anime-mcp ingest`)")
    if not stats.entries:
        return Check("catalogue", "fail", "the store is empty", "run `anime-mcp ingest`")
    release = stats.metadata.last_update.isoformat() if stats.metadata else "unknown"
    ingested = stats.ingested_at.isoformat(timespec="seconds") if stats.ingested_at else "?"
    return Check(
        "catalogue",
        "ok",
        f"{stats.entries:,} entries, release {release}, ingested {ingested} from {stats.source}",
    )


def check_model_and_index(app: App) -> list[Check]:
    listing = _listing(app)
    configured = listing["configured"] or {}
    install = "run `anime-mcp models install all-MiniLM-L6-v2` (or `--from DIR` offline)"
    if "error" in configured:
        model = Check("model", "fail", configured["error"], install)
    else:
        kind = "int8" if configured.get("quantized") else "fp32"
        model = Check(
            "model", "ok", f"{configured['name']} ({configured['dimension']}-d, {kind}) {configured['path']}"
        )
    index = listing["index"]
    if index is None:
        found = Check("index", "fail", "no search index yet", "run `anime-mcp ingest`")
    elif "error" in index:
        fix = install if model.status == "fail" else "run `anime-mcp ingest --reindex`"
        found = Check("index", "fail", index["error"], fix)
    elif listing["status"] != "ok":
        found = Check("index", "fail", listing["status"], "run `anime-mcp ingest --reindex`")
    else:
        found = Check(
            "index",
            "ok",
            f"{index['points']:,} entries, {index['model']} ({index['dimension']}-d), "
            f"built {index['built_at']}",
        )
    return [model, found]


def check_sources(app: App) -> list[Check]:
    checks = []
    for source in sorted(app.plugins.sources(), key=lambda s: s.info.id):
        missing = source.info.missing_credentials(os.environ)
        if missing:
            about = "; ".join(
                f"{c.env}: {c.description}" for c in source.info.credentials if c.env in missing
            )
            checks.append(
                Check(
                    f"source {source.info.id}",
                    "warn",
                    f"not asked: {', '.join(missing)} unset",
                    f"set {about}",
                )
            )
        else:
            checks.append(Check(f"source {source.info.id}", "ok", "ready"))
    return checks


def check_redis(app: App) -> Check | None:
    url = app.settings.cache.redis_url
    if not url:
        return None
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return Check(
            "redis",
            "fail",
            f"{url} does not answer ({type(exc).__name__}: {exc})",
            "start the Redis server, or unset ANIME_MCP_REDIS_URL / [cache] redis_url",
        )
    return Check("redis", "ok", f"{url} answers")


def run_checks(app: App) -> list[Check]:
    checks = [check_python(), check_home(app), check_catalogue(app), *check_model_and_index(app)]
    redis_check = check_redis(app)
    if redis_check is not None:
        checks.append(redis_check)
    return [*checks, *check_sources(app)]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check Python, the home, the catalogue, the model, the index, Redis and the sources' credentials, and
    say what to do about each problem (exit code 1 when something blocks use)."""
    checks = run_checks(get_app(ctx))
    failed = any(c.status == "fail" for c in checks)
    if as_json:
        click.echo(json.dumps({"ok": not failed, "checks": [asdict(c) for c in checks]}, indent=2))
    else:
        table = Table(
            "check", "status", "detail", "what to do", title="anime-mcp doctor", title_justify="left"
        )
        for check in checks:
            table.add_row(check.name, Text(check.status, STYLE[check.status]), check.detail, check.fix)
        out.print(table)
        out.print("everything needed works" if not failed else "something blocks use: see 'what to do'")
    if failed:
        sys.exit(1)
