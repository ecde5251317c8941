"""The command group, shared options and the one place where errors become exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bootstrap import App, bootstrap
from anime_mcp.entrypoints.logging import configure_logging
from anime_mcp.entrypoints.settings import Settings

# markup=False: titles, paths and error messages are data, and rich would eat anything that looks like a
# tag ("NEW[zom]BIE!!" printed as "NEWBIE!!"). Styled output is built with rich.text.Text instead.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


class AnimeMcpGroup(click.Group):
    """Turns our domain errors into one readable line and exit code 1 (never a traceback)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AnimeMcpError as exc:
            err.print(Text.assemble(("error:", "bold red"), " ", str(exc)))
            sys.exit(1)
        except KeyboardInterrupt:
            err.print("interrupted")
            sys.exit(130)


def get_app(ctx: click.Context) -> App:
    """Build the application once per command, lazily (so `--help` stays instant)."""
    obj = ctx.ensure_object(dict)
    if "app" not in obj:
        # obj["overrides"]: fakes a test hands in through click's ``obj`` (CliRunner.invoke(..., obj=...))
        obj["app"] = bootstrap(obj["settings"], overrides=obj.get("overrides"))
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


def _register_commands() -> None:
    from anime_mcp.entrypoints.cli import catalogue, ingest, models, plugins, search

    cli.add_command(ingest.ingest)
    cli.add_command(catalogue.get)
    cli.add_command(plugins.plugins)
    cli.add_command(search.search)
    cli.add_command(search.similar)
    cli.add_command(models.models)

    from anime_mcp.entrypoints.cli import ask, plan

    cli.add_command(plan.plan)
    cli.add_command(ask.ask)

    from anime_mcp.entrypoints.cli import sources

    cli.add_command(sources.sources)

    from anime_mcp.entrypoints.cli import enrich

    cli.add_command(enrich.enrich)

    from anime_mcp.entrypoints.cli import update

    cli.add_command(update.update)

    from anime_mcp.entrypoints.cli import serve

    for command in (serve.serve, serve.mcp_stdio, serve.tools, serve.call):
        cli.add_command(command)

    from anime_mcp.entrypoints.cli import doctor, mcp_config, quickstart

    for command in (quickstart.quickstart, mcp_config.mcp_config, doctor.doctor):
        cli.add_command(command)

    from anime_mcp.entrypoints.cli import bench

    cli.add_command(bench.bench)

    from anime_mcp.entrypoints.cli import image_search

    cli.add_command(image_search.search_image)

    from anime_mcp.entrypoints.cli import index_images

    cli.add_command(index_images.index_images_command)


_register_commands()


def main() -> None:
    cli(prog_name="anime-mcp")
