"""``anime-mcp search`` and ``anime-mcp similar``: the offline tier, answered from the search index."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click
from rich.table import Table

from anime_mcp.core.search import SearchFilters, SearchMode, parse_filters
from anime_mcp.entrypoints.cli.app import get_app, out
from anime_mcp.entrypoints.presenters import entry_to_dict
from anime_mcp.entrypoints.search_setup import search_service
from anime_mcp.entrypoints.services.search import MAX_LIMIT, SearchResult

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
            default=10,
            show_default=True,
            help="How many results.",
        ),
        click.option("--json", "as_json", is_flag=True, help="Print a JSON list."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def filters_from(options: dict[str, Any]) -> SearchFilters:
    return parse_filters(
        years=options.pop("years"),
        seasons=options.pop("seasons"),
        types=options.pop("types"),
        statuses=options.pop("statuses"),
        tags=options.pop("tags"),
        exclude_tags=options.pop("exclude_tags"),
        studios=options.pop("studios"),
        episodes=options.pop("episodes"),
        min_score=options.pop("min_score"),
        platforms=options.pop("platforms"),
    )


def result_to_dict(result: SearchResult) -> dict[str, Any]:
    data = entry_to_dict(result.entry)
    keep = (
        "anime_id",
        "title",
        "type",
        "year",
        "season",
        "episodes",
        "status",
        "score",
        "ids",
        "sources",
        "studios",
        "tags",
    )
    return {**{k: data[k] for k in keep}, "relevance": round(result.relevance, 6)}


def _print_results(results: list[SearchResult], title: str) -> None:
    if not results:
        out.print(f"{title}: nothing found")
        return
    table = Table("#", "title", "type", "year", "score", "relevance", "id", title=title, title_justify="left")
    for rank, result in enumerate(results, start=1):
        entry = result.entry
        score = f"{entry.score.arithmetic_mean:.2f}" if entry.score else "-"
        table.add_row(
            str(rank),
            entry.title,
            entry.type.value,
            str(entry.year or "-"),
            score,
            f"{result.relevance:.4f}",
            entry.anime_id,
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
    filters = filters_from(options)
    service = search_service(get_app(ctx))
    results = service.search(text, filters, limit=limit, mode=SearchMode(mode))
    if as_json:
        click.echo(json.dumps([result_to_dict(r) for r in results], indent=2, ensure_ascii=False))
    else:
        _print_results(results, f"{text!r} ({mode})")


@click.command()
@click.argument("reference")
@filter_options
@click.option(
    "--exclude-franchise",
    is_flag=True,
    help="Also leave out the entry's franchise (sequels, prequels, side stories: related anime).",
)
@click.pass_context
def similar(
    ctx: click.Context, /, reference: str, limit: int, as_json: bool, exclude_franchise: bool, **options: Any
) -> None:
    """Anime similar to REFERENCE (mal:1535, a URL, an internal id or a title), from its stored vector."""
    filters = filters_from(options)
    service = search_service(get_app(ctx))
    entry, results = service.similar(reference, filters, limit=limit, exclude_franchise=exclude_franchise)
    if as_json:
        click.echo(json.dumps([result_to_dict(r) for r in results], indent=2, ensure_ascii=False))
    else:
        _print_results(results, f"similar to {entry.title} ({entry.anime_id})")
