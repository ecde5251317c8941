"""``anime-mcp search`` and ``anime-mcp similar``: the offline tier, answered from the search index.

Both call the same tools as MCP and REST (``search_anime``, ``find_similar_anime``) through the tool
catalogue, so validation, limits and errors are the same on every face; the filter options are written as
the tools' ``filters`` object (``tools.filter_grammar.cli_filters``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from anime_mcp.core.filters import SearchMode
from anime_mcp.core.services.search import MAX_LIMIT
from anime_mcp.core.similarity import DEFAULT_KIND, KINDS
from anime_mcp.entrypoints.cli.app import out
from anime_mcp.entrypoints.cli.tooling import call_tool
from anime_mcp.entrypoints.presenters import BRIEF_FIELDS
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters

FILTER_HELP = {
    "year": "Year or range: 2006, 2000-2010, 2015-, -1999.",
    "season": "SPRING, SUMMER, FALL or WINTER (repeat or comma-separate for any of them).",
    "type": "TV, MOVIE, OVA, ONA, SPECIAL (e.g. --type TV,MOVIE).",
    "status": "FINISHED, ONGOING, UPCOMING.",
    "tag": "Tag every hit must have (repeatable).",
    "exclude_tag": "Tag no hit may have (repeatable).",
    "studio": "Studio; any of the given ones (repeatable).",
    "episodes": "Episode count or range: 12, 1-26, 100-.",
    "min_score": "Minimum catalogue score (0-10).",
    "platform": "Only anime with a page on this platform (repeatable: all of them), e.g. anilist.",
}
# what `search --json` and `similar --json` print of each result (README.md)
RESULT_FIELDS = (*BRIEF_FIELDS, "studios", "tags", "relevance")
DEFAULT_LIMIT = 10


def filter_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--year", "years", metavar="RANGE", help=FILTER_HELP["year"]),
        click.option("--season", "seasons", multiple=True, help=FILTER_HELP["season"]),
        click.option("--type", "types", multiple=True, help=FILTER_HELP["type"]),
        click.option("--status", "statuses", multiple=True, help=FILTER_HELP["status"]),
        click.option("--tag", "tags", multiple=True, help=FILTER_HELP["tag"]),
        click.option("--exclude-tag", "exclude_tags", multiple=True, help=FILTER_HELP["exclude_tag"]),
        click.option("--studio", "studios", multiple=True, help=FILTER_HELP["studio"]),
        click.option("--episodes", metavar="RANGE", help=FILTER_HELP["episodes"]),
        click.option("--min-score", type=float, help=FILTER_HELP["min_score"]),
        click.option("--platform", "platforms", multiple=True, help=FILTER_HELP["platform"]),
        click.option(
            "--limit",
            "-n",
            type=click.IntRange(1, MAX_LIMIT),
            default=DEFAULT_LIMIT,
            show_default=True,
            help="How many results.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON list."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _print_json(results: list[dict[str, Any]]) -> None:
    shown = [{key: result[key] for key in (*RESULT_FIELDS, "reasons") if key in result} for result in results]
    click.echo(json.dumps(shown, indent=2, ensure_ascii=False))


def _print_results(results: list[dict[str, Any]], title: str) -> None:
    if not results:
        out.print(f"{title}: nothing found")
        return
    columns = ["#", "title", "type", "year", "score", "relevance", "id"]
    with_reasons = "reasons" in results[0]
    table = Table(*columns, *(["why"] if with_reasons else []), title=title, title_justify="left")
    for rank, result in enumerate(results, start=1):
        score = f"{result['score']:.2f}" if result["score"] is not None else "-"
        table.add_row(
            str(rank),
            result["title"],
            result["type"],
            str(result["year"] or "-"),
            score,
            f"{result['relevance']:.4f}",
            result["anime_id"],
            *(["; ".join(result["reasons"])] if with_reasons else []),
        )
    out.print(table)


@click.command()
@click.argument("text")
@filter_options
@click.option(
    "--mode",
    type=click.Choice([m.value for m in SearchMode]),
    default=SearchMode.HYBRID.value,
    show_default=True,
    help="hybrid (dense + sparse, fused), dense (semantic) or sparse (lexical).",
)
@click.pass_context
def search(ctx: click.Context, /, text: str, limit: int, as_json: bool, mode: str, **options: Any) -> None:
    """Search the catalogue by title, alternative title (any script) or description, with filters.

    \b
    Examples:
      anime-mcp search "death note"
      anime-mcp search "space bounty hunters jazz" --type TV
      anime-mcp search ghibli --type MOVIE --year 1980-2000 --min-score 7.5
    """
    arguments = {"query": text, "filters": cli_filters(**options), "limit": limit, "mode": mode}
    output = call_tool(ctx, "search_anime", {**arguments, "detail": "full"}).output
    if as_json:
        _print_json(output["results"])
    else:
        _print_results(output["results"], f"{text!r} ({mode})")


@click.command()
@click.argument("reference")
@filter_options
@click.option(
    "--similarity",
    "-s",
    "similarity_type",
    type=click.Choice(list(KINDS)),
    default=DEFAULT_KIND,
    show_default=True,
    help="What leads: overall (a blend), semantic (story), genre (rare shared genres and themes), studio "
    "(same studio, then genre) or visual (nearest posters; after `anime-mcp index-images`). --type stays "
    "the format filter.",
)
@click.option(
    "--include-franchise",
    is_flag=True,
    help="Allow one entry of the anime's own franchise (sequels, prequels, side stories).",
)
@click.option("--exclude-franchise", is_flag=True, hidden=True, help="The default now; kept for scripts.")
@click.pass_context
def similar(
    ctx: click.Context,
    /,
    *,
    reference: str,
    limit: int,
    as_json: bool,
    similarity_type: str,
    include_franchise: bool,
    exclude_franchise: bool,
    **options: Any,
) -> None:
    """Anime similar to REFERENCE (mal:1535, a URL, an internal id or a title): similar story and feel,
    each with its reasons; the anime's own franchise left out.

    \b
    Examples:
      anime-mcp similar "Death Note"
      anime-mcp similar mal:1 --similarity semantic --type TV
      anime-mcp similar "Sousou no Frieren" -s studio
      anime-mcp similar "Mononoke" -s visual
    """
    arguments = {
        "anime_id": reference,
        "filters": cli_filters(**options),
        "limit": limit,
        "exclude_franchise": not include_franchise,
        "similarity_type": similarity_type,
    }
    output = call_tool(ctx, "find_similar_anime", {**arguments, "detail": "full"}).output
    if as_json:
        _print_json(output["results"])
    else:
        anime = output["anime"]
        title = f"similar to {anime['title']} ({anime['anime_id']}, {similarity_type})"
        _print_results(output["results"], title)
