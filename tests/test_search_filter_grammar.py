"""The one filter grammar: the tools' ``filters`` object -> ``SearchFilters``, and the CLI's options written
as that object (so every face validates alike)."""

from __future__ import annotations

from typing import Any

import pytest

from anime_mcp.core.filters import IntRange, SearchFilters
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.entrypoints.tools.base import ToolInputError, check_schema
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters, parse_range, to_filters
from anime_mcp.entrypoints.tools.schemas import FILTERS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000-2010", (2000, 2010)),
        ("2006", (2006, 2006)),
        ("2015-", (2015, None)),
        ("-1999", (None, 1999)),
        (" 1 .. 26 ", (1, 26)),
    ],
)
def test_ranges(text: str, expected: tuple[int | None, int | None]) -> None:
    assert parse_range(text, "--year") == expected


@pytest.mark.parametrize("text", ["", "-", "abc", "2010-2000", "1.5-3", "1-2-3"])
def test_bad_ranges_are_refused_naming_the_option(text: str) -> None:
    with pytest.raises(ToolInputError) as caught:
        parse_range(text, "--episodes")
    assert caught.value.field == "--episodes"


def test_cli_options_become_the_tools_filters_object() -> None:
    raw = cli_filters(
        years="2000-2010",
        seasons=["fall"],
        types=["TV,movie"],
        statuses=["FINISHED"],
        tags=["Psychological"],
        exclude_tags=["kids", "hentai"],
        studios=["Madhouse"],
        episodes="1-26",
        min_score=7.5,
        platforms=["anilist", "myanimelist"],
    )
    assert raw == {
        "year_min": 2000,
        "year_max": 2010,
        "episodes_min": 1,
        "episodes_max": 26,
        "seasons": ["FALL"],
        "types": ["MOVIE", "TV"],
        "statuses": ["FINISHED"],
        "tags": ["Psychological"],
        "exclude_tags": ["kids", "hentai"],
        "studios": ["Madhouse"],
        "platforms": ["anilist", "mal"],
        "min_score": 7.5,
    }
    check_schema(FILTERS, raw)  # what the tools accept
    assert to_filters(raw) == SearchFilters(
        years=IntRange(2000, 2010),
        seasons={Season.FALL},
        types={AnimeType.TV, AnimeType.MOVIE},
        statuses={Status.FINISHED},
        tags={"psychological"},
        exclude_tags={"kids", "hentai"},
        studios={"madhouse"},
        episodes=IntRange(1, 26),
        min_score=7.5,
        platforms={Platform.ANILIST, Platform.MAL},
    )
    assert cli_filters() == {}
    assert to_filters(cli_filters()).is_empty()
    assert cli_filters(years="2015-") == {"year_min": 2015}


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"types": ["SERIES"]}, "--type", "unknown type 'SERIES'; choose from TV, MOVIE"),
        ({"seasons": ["autumn"]}, "--season", "unknown season 'autumn'"),
        ({"statuses": ["done"]}, "--status", "unknown status 'done'"),
        ({"platforms": ["crunchyroll"]}, "--platform", "unknown platform 'crunchyroll'"),
        ({"years": "soon"}, "--year", "is not a range"),
        ({"types": ["x" * 300]}, "--type", "… (300 characters)"),
    ],
)
def test_cli_options_explain_bad_values(options: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ToolInputError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        cli_filters(**options)
    assert caught.value.field == field
    assert len(str(caught.value)) < 200


def test_the_tools_filters_object_is_checked_by_field() -> None:
    with pytest.raises(ToolInputError) as caught:
        check_schema(FILTERS, cli_filters(min_score=11.0), "filters")
    assert caught.value.field == "filters.min_score"
    with pytest.raises(ToolInputError) as caught:
        to_filters({"year_min": 2010, "year_max": 2000})
    assert caught.value.field == "filters.year_max"
