"""Strict structuring: hostile JSON is rejected with a field-naming reason, never coerced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import cattrs
import pytest

from anime_mcp.adapters.aod_format import make_aod_converter, split_sources, unstructure_entry
from anime_mcp.adapters.strict_converter import describe_error, make_converter
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Season
from anime_mcp.core.platforms import Platform, PlatformId


@attrs.frozen
class Sample:
    text: str = ""
    count: int = 0
    flag: bool = False
    ratio: float = 0.0
    names: tuple[str, ...] = ()
    kind: AnimeType = AnimeType.UNKNOWN


converter = make_converter()


def structure(**values: Any) -> Sample:
    result: Sample = converter.structure(values, Sample)
    return result


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"text": "x"}, Sample(text="x")),
        ({"count": 3}, Sample(count=3)),
        ({"count": 3.0}, Sample(count=3)),
        ({"flag": True}, Sample(flag=True)),
        ({"ratio": 2}, Sample(ratio=2.0)),
        ({"ratio": 0.5}, Sample(ratio=0.5)),
        ({"names": ["a", "b"]}, Sample(names=("a", "b"))),
        ({"names": []}, Sample()),
        ({"kind": "MOVIE"}, Sample(kind=AnimeType.MOVIE)),
        ({"text": "😀 デス"}, Sample(text="😀 デス")),
        ({"unknown": 1}, Sample()),
    ],
)
def test_well_typed_values_are_accepted(values: dict[str, Any], expected: Sample) -> None:
    assert structure(**values) == expected


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("text", 5),
        ("text", None),
        ("text", ["x"]),
        ("text", True),
        ("count", "3"),
        ("count", True),
        ("count", False),
        ("count", 1.5),
        ("count", None),
        ("count", [1]),
        ("flag", 1),
        ("flag", "true"),
        ("flag", None),
        ("ratio", "0.5"),
        ("ratio", True),
        ("ratio", None),
        ("names", "abc"),
        ("names", [1]),
        ("names", ["a", None]),
        ("names", {"a": 1}),
        ("names", None),
        ("kind", "movie"),
        ("kind", "FILM"),
        ("kind", 1),
        ("text", "\ud800"),
        ("text", "ok \udfff"),
        ("names", ["fine", "bad \ud83d"]),
        ("kind", "\ud800"),
    ],
)
def test_wrong_types_are_rejected_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(cattrs.BaseValidationError) as caught:
        structure(**{field: value})
    reason = describe_error(caught.value)
    assert f"@ $.{field}" in reason


def test_paired_surrogates_from_json_escapes_are_fine() -> None:
    text = json.loads('"\\ud83d\\ude00"')  # one emoji, written as a surrogate pair escape
    assert structure(text=text).text == "😀"


def test_describe_error_for_plain_exceptions() -> None:
    assert describe_error(ValueError("boom")) == "ValueError: boom"


# --- the AOD entry shape ----------------------------------------------------------------------------

aod = make_aod_converter()


def test_death_note_example_round_trips_exactly(shared: Path) -> None:
    raw = json.loads((shared / "data" / "examples" / "death-note.aod.json").read_text("utf-8"))["data"][0]
    entry = aod.structure(raw, CatalogueEntry)
    assert entry.anime_id == "mal-1535"
    assert entry.season == AnimeSeason(Season.FALL, 2006)
    assert entry.duration is not None and entry.duration.seconds == 1380
    assert entry.score is not None and entry.score.arithmetic_mean == raw["score"]["arithmeticMean"]
    assert unstructure_entry(entry) == raw


def test_catalogue_slice_round_trips_exactly(catalogue_slice_lines: list[bytes]) -> None:
    for line in catalogue_slice_lines[1:]:
        raw = json.loads(line)
        assert unstructure_entry(aod.structure(raw, CatalogueEntry)) == raw


MINIMAL = {"sources": ["https://myanimelist.net/anime/1"], "title": "Cowboy Bebop"}


@pytest.mark.parametrize(
    ("change", "reason_part"),
    [
        ({"episodes": "x"}, "$.episodes"),
        ({"episodes": True}, "$.episodes"),
        ({"episodes": 1.5}, "$.episodes"),
        ({"synonyms": "abc"}, "$.synonyms"),
        ({"synonyms": [1]}, "$.synonyms"),
        ({"tags": None}, "$.tags"),
        ({"title": 5}, "$.title"),
        ({"title": "\ud800"}, "$.title"),
        ({"type": "tv"}, "$.type"),
        ({"status": "DONE"}, "$.status"),
        ({"animeSeason": "FALL"}, "$.season"),
        ({"animeSeason": []}, "$.season"),
        ({"animeSeason": {"year": "2006"}}, "$.season.year"),
        ({"animeSeason": {"season": "AUTUMN"}}, "$.season.season"),
        ({"duration": {"value": 0, "unit": "SECONDS"}}, "$.duration"),
        ({"duration": {"value": 5, "unit": "MINUTES"}}, "$.duration"),
        ({"duration": 1380}, "$.duration"),
        ({"score": {"median": "x"}}, "$.score"),
        ({"score": "8.5"}, "$.score"),
        ({"sources": "https://myanimelist.net/anime/1"}, "sources must be a list"),
        ({"sources": [1]}, "sources must be a list"),
        ({"sources": ["https://example.com/anime/1"]}, "no source URL of a known platform"),
        ({"sources": []}, "no source URL of a known platform"),
    ],
)
def test_hostile_entries_are_rejected_with_a_reason(change: dict[str, Any], reason_part: str) -> None:
    with pytest.raises(Exception) as caught:  # the reason text is what is checked
        aod.structure(MINIMAL | change, CatalogueEntry)
    assert reason_part in describe_error(caught.value)  # type: ignore[arg-type]


@pytest.mark.parametrize("missing", ["title", "sources"])
def test_required_fields(missing: str) -> None:
    value = {k: v for k, v in MINIMAL.items() if k != missing}
    with pytest.raises(ValueError, match=f"missing required field\\(s\\): {missing}"):
        aod.structure(value, CatalogueEntry)


def test_minimal_entry_gets_aod_defaults() -> None:
    entry = aod.structure(MINIMAL, CatalogueEntry)
    assert entry == CatalogueEntry("Cowboy Bebop", [PlatformId(Platform.MAL, "1")])


def test_unknown_platform_urls_are_kept_and_duplicates_dropped() -> None:
    urls = [
        "https://myanimelist.net/anime/1",
        "https://example.org/anime/1",
        "https://myanimelist.net/anime/1/",
        "https://kitsu.io/anime/1",
    ]
    known, unknown = split_sources(urls)
    assert known == [PlatformId(Platform.MAL, "1"), PlatformId(Platform.KITSU, "1")]
    assert unknown == ["https://example.org/anime/1"]
    entry = aod.structure(MINIMAL | {"sources": urls}, CatalogueEntry)
    assert entry.other_sources == ("https://example.org/anime/1",)
    assert unstructure_entry(entry)["sources"] == [
        "https://example.org/anime/1",
        "https://kitsu.app/anime/1",
        "https://myanimelist.net/anime/1",
    ]
