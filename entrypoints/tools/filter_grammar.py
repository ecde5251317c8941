"""The one filter grammar of every face: the tools' ``filters`` object (JSON, the same over MCP, REST and the
CLI) is what ``to_filters`` turns into the domain's ``SearchFilters``, the only place that does.

The CLI's options (``--year 2000-2010 --type TV,MOVIE --platform myanimelist``) are first written as that
object by ``cli_filters``, so they pass the same schema, the same limits and the same checks; its errors name
the option.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from anime_mcp.core.filters import IntRange, SearchFilters
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import PLATFORM_ALIASES, Platform
from anime_mcp.entrypoints.tools.base import ToolInputError
from anime_mcp.entrypoints.tools.echo import echo
from anime_mcp.entrypoints.tools.schemas import PLATFORMS, SEASONS, STATUSES, TYPES

_RANGE = re.compile(r"^\s*(?P<low>\d+(?:\.\d+)?)?\s*(?P<sep>-|\.\.)?\s*(?P<high>\d+(?:\.\d+)?)?\s*$")


# --- the tools' filters object -> SearchFilters ---------------------------------------------------------


def to_filters(raw: dict[str, Any] | None) -> SearchFilters:
    """The ``filters`` argument (already valid under ``FILTERS``) as the domain's ``SearchFilters``."""
    raw = raw or {}

    def bounds(low_key: str, high_key: str) -> IntRange | None:
        low, high = raw.get(low_key), raw.get(high_key)
        if low is None and high is None:
            return None
        if low is not None and high is not None and low > high:
            raise ToolInputError(f"filters.{high_key}", f"{high} is below {low_key} {low}")
        return IntRange(low, high)

    return SearchFilters(
        years=bounds("year_min", "year_max"),
        seasons=frozenset(Season(v) for v in raw.get("seasons", ())),
        types=frozenset(AnimeType(v) for v in raw.get("types", ())),
        statuses=frozenset(Status(v) for v in raw.get("statuses", ())),
        tags=raw.get("tags", ()),
        exclude_tags=raw.get("exclude_tags", ()),
        studios=raw.get("studios", ()),
        episodes=bounds("episodes_min", "episodes_max"),
        min_score=raw.get("min_score"),
        platforms=frozenset(Platform(v) for v in raw.get("platforms", ())),
    )


# --- CLI options -> the tools' filters object ----------------------------------------------------------


def parse_range(text: str, option: str) -> tuple[int | None, int | None]:
    """``2000-2010``, ``2000..2010``, ``2000`` (exactly), ``2000-`` or ``-2010`` (open) -> (low, high)."""
    found = _RANGE.match(text)
    if found is None or (found["low"] is None and found["high"] is None):
        raise ToolInputError(
            option, f"{echo(text)} is not a range; write e.g. 2000-2010, 2000, 2000- or -2010"
        )
    if any("." in part for part in (found["low"] or "", found["high"] or "")):
        raise ToolInputError(option, f"{echo(text)}: a range of whole numbers is expected")
    low = int(found["low"]) if found["low"] is not None else None
    high = int(found["high"]) if found["high"] is not None else None
    if found["sep"] is None:
        high = low
    if low is not None and high is not None and low > high:
        raise ToolInputError(option, f"range {low}-{high} is empty: the lower bound is above the upper")
    return low, high


def split(values: Iterable[str]) -> list[str]:
    """Repeated and comma-separated values, stripped, empty ones dropped."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _choices(values: Iterable[str], allowed: list[str], what: str, option: str) -> list[str]:
    chosen = []
    for value in split(values):
        if value.upper() not in allowed:
            raise ToolInputError(option, f"unknown {what} {echo(value)}; choose from {', '.join(allowed)}")
        chosen.append(value.upper())
    return sorted(set(chosen))


def _platforms(values: Iterable[str]) -> list[str]:
    chosen = set()
    for name in split(values):
        platform = PLATFORM_ALIASES.get(name.lower())
        if platform is None or platform.value not in PLATFORMS:
            raise ToolInputError(
                "--platform", f"unknown platform {echo(name)}; choose from {', '.join(PLATFORMS)}"
            )
        chosen.add(platform.value)
    return sorted(chosen)


def cli_filters(
    *,
    years: str | None = None,
    seasons: Iterable[str] = (),
    types: Iterable[str] = (),
    statuses: Iterable[str] = (),
    tags: Iterable[str] = (),
    exclude_tags: Iterable[str] = (),
    studios: Iterable[str] = (),
    episodes: str | None = None,
    min_score: float | None = None,
    platforms: Iterable[str] = (),
) -> dict[str, Any]:
    """The CLI's filter options as the tools' ``filters`` object (only what was given)."""
    raw: dict[str, Any] = {}
    for text, option, low_key, high_key in (
        (years, "--year", "year_min", "year_max"),
        (episodes, "--episodes", "episodes_min", "episodes_max"),
    ):
        if text:
            low, high = parse_range(text, option)
            raw.update({k: v for k, v in ((low_key, low), (high_key, high)) if v is not None})
    lists = {
        "seasons": _choices(seasons, SEASONS, "season", "--season"),
        "types": _choices(types, TYPES, "type", "--type"),
        "statuses": _choices(statuses, STATUSES, "status", "--status"),
        "tags": split(tags),
        "exclude_tags": split(exclude_tags),
        "studios": [s.strip() for s in studios if s.strip()],  # names may hold commas: not split
        "platforms": _platforms(platforms),
    }
    raw.update({key: values for key, values in lists.items() if values})
    if min_score is not None:
        raw["min_score"] = min_score
    return raw
