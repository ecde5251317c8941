"""The anime-offline-database wire format <-> domain objects (cattrs, at the edge)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from anime_mcp.adapters.strict_converter import make_converter
from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.models import AnimeSeason, CatalogueEntry, Duration, Score
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.references import canonical_url, parse_source_url

REQUIRED_ENTRY_KEYS = ("sources", "title")


def split_sources(urls: Any) -> tuple[list[PlatformId], list[str]]:
    if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
        raise TypeError("sources must be a list of URLs")
    known: list[PlatformId] = []
    unknown: list[str] = []
    for url in urls:
        try:
            pid = parse_source_url(url)
        except NotAnAnimeReference:
            unknown.append(url)
            continue
        if pid not in known:
            known.append(pid)
    return known, unknown


def _structure_duration(value: Any, _: type) -> Duration:
    if not isinstance(value, dict) or value.get("unit", "SECONDS") != "SECONDS":
        raise ValueError("duration must be {value, unit: SECONDS}")
    seconds = value.get("value")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 1:
        raise ValueError("duration.value must be a positive number of seconds")
    return Duration(int(seconds))


def make_aod_converter() -> cattrs.Converter:
    converter = make_converter()
    converter.register_structure_hook(Duration, _structure_duration)
    converter.register_structure_hook(
        Score,
        make_dict_structure_fn(
            Score,
            converter,
            arithmetic_geometric_mean=override(rename="arithmeticGeometricMean"),
            arithmetic_mean=override(rename="arithmeticMean"),
        ),
    )
    season_fn = make_dict_structure_fn(AnimeSeason, converter)

    def structure_season(value: Any, cl: type) -> AnimeSeason:
        # Every AnimeSeason field has a default, and cattrs tests ``"season" in value``: without this check
        # a string such as "FALL" would silently become AnimeSeason(UNDEFINED).
        if not isinstance(value, dict):
            raise TypeError(f"animeSeason must be a JSON object, got {type(value).__name__}")
        season: AnimeSeason = season_fn(value, cl)
        return season

    converter.register_structure_hook(AnimeSeason, structure_season)
    converter.register_structure_hook_func(lambda t: t == tuple[PlatformId, ...], _pass_platform_ids)
    # Source URLs are split before cattrs runs: known platforms -> ``sources``, the rest -> ``other_sources``.
    entry_fn = make_dict_structure_fn(
        CatalogueEntry,
        converter,
        season=override(rename="animeSeason"),
        related_anime=override(rename="relatedAnime"),
        sources=override(rename=_KNOWN),
        other_sources=override(rename=_UNKNOWN),
    )

    def structure_entry(value: Any, _: type) -> CatalogueEntry:
        if not isinstance(value, dict):
            raise TypeError(f"an entry must be a JSON object, got {type(value).__name__}")
        missing = [key for key in REQUIRED_ENTRY_KEYS if key not in value]
        if missing:
            raise ValueError(f"missing required field(s): {', '.join(missing)}")
        known, unknown = split_sources(value["sources"])
        if not known:
            raise ValueError("no source URL of a known platform")
        return entry_fn(value | {_KNOWN: known, _UNKNOWN: unknown}, CatalogueEntry)

    converter.register_structure_hook(CatalogueEntry, structure_entry)
    return converter


_KNOWN = "\x00known_sources"
_UNKNOWN = "\x00unknown_sources"


def _pass_platform_ids(value: Any, _: type) -> tuple[PlatformId, ...]:
    if not all(isinstance(v, PlatformId) for v in value):
        raise TypeError("expected parsed platform ids")
    return tuple(value)


def unstructure_entry(entry: CatalogueEntry) -> dict[str, Any]:
    """An entry in the exact AOD jsonl shape (what `get --json` builds on and what exports write)."""
    out: dict[str, Any] = {
        "sources": sorted([canonical_url(s) for s in entry.sources] + list(entry.other_sources)),
        "title": entry.title,
        "type": entry.type.value,
        "episodes": entry.episodes,
        "status": entry.status.value,
        "animeSeason": {"season": entry.season.season.value},
        "picture": entry.picture,
        "thumbnail": entry.thumbnail,
    }
    if entry.season.year is not None:
        out["animeSeason"]["year"] = entry.season.year
    if entry.duration is not None:
        out["duration"] = {"value": entry.duration.seconds, "unit": "SECONDS"}
    if entry.score is not None:
        out["score"] = {
            "arithmeticGeometricMean": entry.score.arithmetic_geometric_mean,
            "arithmeticMean": entry.score.arithmetic_mean,
            "median": entry.score.median,
        }
    out |= {
        "synonyms": list(entry.synonyms),
        "studios": list(entry.studios),
        "producers": list(entry.producers),
        "relatedAnime": list(entry.related_anime),
        "tags": list(entry.tags),
    }
    return out


def structure_metadata(value: Any) -> CatalogueMetadata:
    if not isinstance(value, dict):
        raise ValueError("the metadata line must be a JSON object")
    if "sources" in value and "title" in value:
        raise ValueError("line 1 is an anime entry; an AOD release starts with its metadata line")
    last_update = value.get("lastUpdate")
    if not isinstance(last_update, str):
        raise ValueError("metadata has no lastUpdate date")
    try:
        date = dt.date.fromisoformat(last_update)
    except ValueError:
        raise ValueError(f"metadata lastUpdate {last_update!r} is not a YYYY-MM-DD date") from None
    license_ = value.get("license")
    raw_range = value.get("scoreRange")
    score_range: dict[str, Any] = raw_range if isinstance(raw_range, dict) else {}
    return CatalogueMetadata(
        last_update=date,
        schema_url=str(value.get("$schema", "")),
        repository=str(value.get("repository", "")),
        license_name=str(license_.get("name", "")) if isinstance(license_, dict) else "",
        score_min=_number(score_range.get("minInclusive"), 1.0),
        score_max=_number(score_range.get("maxInclusive"), 10.0),
    )


def _number(value: Any, default: float) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return default
