"""The command group, shared options and the one place where errors become exit codes."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import TYPE_CHECKING, Any

import click

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bootstrap import App, bootstrap
from anime_mcp.entrypoints.logging import configure_logging
from anime_mcp.entrypoints.memory import collect_after_start
from anime_mcp.entrypoints.settings import Settings

if TYPE_CHECKING:
    from rich.console import Console

    out: Console
    err: Console
_consoles: dict[str, Any] = {}


def __getattr__(name: str) -> Any:
    """``out`` and ``err``, rich consoles built on first use: ``anime-mcp mcp`` never prints through one,
    and importing rich costs its start about 0.04 s. markup=False: titles, paths and error messages are
    data, and rich would eat anything that looks like a tag ("NEW[zom]BIE!!" printed as "NEWBIE!!"); styled
    output is built with rich.text.Text instead."""
    if name not in ("out", "err"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if name not in _consoles:
        from rich.console import Console

        _consoles[name] = Console(stderr=name == "err", highlight=False, soft_wrap=True, markup=False)
    return _consoles[name]


class AnimeMcpGroup(click.Group):
    """Turns our domain errors into one readable line and exit code 1 (never a traceback); loads each
    command's module on first use (``LAZY_COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in LAZY_COMMANDS:
            module, name = LAZY_COMMANDS[cmd_name]
            command = getattr(import_module(f"anime_mcp.entrypoints.cli.{module}"), name)
            self.add_command(command, cmd_name)
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AnimeMcpError as exc:
            from rich.text import Text

            _err().print(Text.assemble(("error:", "bold red"), " ", str(exc)))
            sys.exit(1)
        except KeyboardInterrupt:
            _err().print("interrupted")
            sys.exit(130)


def _err() -> Any:
    """``err``: one a test put on the module, else the lazily built one."""
    return globals().get("err") or __getattr__("err")


def get_app(ctx: click.Context) -> App:
    """Build the application once per command, lazily (so `--help` stays instant)."""
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        # obj["overrides"]: fakes a test hands in through click's ``obj`` (CliRunner.invoke(..., obj=...))
        obj["app"] = bootstrap(
            obj["settings"], overrides=obj.get("overrides"), search_processes=obj.get("search_processes")
        )
    app: App = obj["app"]
    return app


@click.group(cls=AnimeMcpGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="anime-mcp", prog_name="anime-mcp")
@click.option(
    "--log-format",
    type=click.Choice(["console", "json"]),
    default=None,
    help="Log line format on stderr (default: console, or ANIME_MCP_LOG_FORMAT).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-v info, -vv debug).")
@click.pass_context
def cli(ctx: click.Context, log_format: str | None, verbose: int) -> None:
    """anime-mcp: answers anime questions from an offline catalogue and live anime platforms.

    Start with `anime-mcp quickstart` (or `anime-mcp ingest`), then `anime-mcp ask "anime like Death Note"`.
    """
    level = {0: None, 1: "info"}.get(verbose, "debug")
    try:
        settings = Settings.load(flags={"log.format": log_format, "log.level": level})
    except AnimeMcpError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging(settings.log.format, settings.log.level)
    ctx.ensure_object(dict)["settings"] = settings
    if ctx.invoked_subcommand != "mcp":  # mcp turns it on once its warm-up is done (mcp.warm_up)
        collect_after_start()
        for link in (ctx.obj.pop("early_search", None) or {}).values():  # started for `mcp` only
            link.discard()


# Each command's module is imported when the command runs (or --help lists them): `anime-mcp mcp` then
# imports only its own module, not the ingest, enrichment, benchmark ... commands (a faster first answer).
LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "ingest": ("ingest", "ingest"),
    "get": ("catalogue", "get"),
    "plugins": ("plugins", "plugins"),
    "search": ("search", "search"),
    "similar": ("search", "similar"),
    "models": ("models", "models"),
    "plan": ("plan", "plan"),
    "ask": ("ask", "ask"),
    "sources": ("sources", "sources"),
    "enrich": ("enrich", "enrich"),
    "update": ("update", "update"),
    "serve": ("serve", "serve"),
    "mcp": ("serve", "mcp_stdio"),
    "tools": ("serve", "tools"),
    "call": ("serve", "call"),
    "quickstart": ("quickstart", "quickstart"),
    "mcp-config": ("mcp_config", "mcp_config"),
    "doctor": ("doctor", "doctor"),
    "bench": ("bench", "bench"),
    "search-image": ("image_search", "search_image"),
    "index-images": ("index_images", "index_images_command"),
}


def main(early_search: Any = None) -> None:
    """``early_search``: the search process the launch started for ``anime-mcp mcp`` (launch.py)."""
    cli(prog_name="anime-mcp", obj={"early_search": early_search})
