"""core/ratings.py on real records: the Death Note recordings of Kitsu, AniDB and notify.moe, parsed by the
real parsers, and the catalogue entry of ../shared/data/examples/death-note.aod.json.

Expected numbers are read from the recordings here, not copied from the code under test. MAL's recording
is a web page (the MAL parser reads the API and Jikan JSON), so MAL is given as missing, with a reason.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from shared_data import DATA, FIXTURES, require_shared

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.core.merging import CATALOGUE, CatalogueOrigin, Fetched
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.ratings import (
    NO_SCORE,
    SCALES,
    Missing,
    PlatformRating,
    Scale,
    platform_rating,
    rating_table,
    summarise,
)
from anime_mcp.core.sources import Rating, SourceRecord
from anime_mcp.plugins.sources.anidb import parse as anidb
from anime_mcp.plugins.sources.kitsu import parse as kitsu
from anime_mcp.plugins.sources.notify import parse as notify

FETCHED_AT = dt.datetime(2026, 6, 26, 12, 0, tzinfo=dt.UTC)
KITSU = "kitsu/anime/anime_1376_death-note.json"
ANIDB = "anidb/anime/anime_4563_death-note.xml"
NOTIFY = "notify/anime/anime_0-A-5Fimg_death-note.json"
AOD = "examples/death-note.aod.json"


def _bytes(path: Path) -> bytes:
    return require_shared(path).read_bytes()


def death_note_records() -> dict[str, SourceRecord]:
    return {
        "kitsu": kitsu.parse_anime(_bytes(FIXTURES / KITSU), fetched_at=FETCHED_AT),
        "anidb": anidb.parse_anime(_bytes(FIXTURES / ANIDB), fetched_at=FETCHED_AT),
        "notify": notify.parse_anime(_bytes(FIXTURES / NOTIFY), fetched_at=FETCHED_AT),
    }


def death_note_entry() -> CatalogueEntry:
    (entry,) = AodJsonReader().read(require_shared(DATA / AOD), strict=True).entries
    return entry


def recorded() -> dict[str, tuple[float, int]]:
    """(native value, votes) per platform, read straight from the recordings."""
    k: Any = json.loads(_bytes(FIXTURES / KITSU))["data"]
    attributes = (k[0] if isinstance(k, list) else k)["attributes"]
    kitsu_votes = sum(int(v) for v in attributes["ratingFrequencies"].values())
    permanent = ET.fromstring(_bytes(FIXTURES / ANIDB)).find("ratings/permanent")
    assert permanent is not None and permanent.text is not None
    n = json.loads(_bytes(FIXTURES / NOTIFY))["rating"]
    return {
        "kitsu": (float(attributes["averageRating"]), kitsu_votes),
        "anidb": (float(permanent.text), int(permanent.get("count", "0"))),
        "notify": (float(n["overall"]), int(n["count"]["overall"])),
    }


TOPS = {"kitsu": 100.0, "anidb": 10.0, "notify": 10.0}


def test_native_and_normalised_values_per_platform() -> None:
    records = death_note_records()
    table = rating_table(records.values(), death_note_entry())
    expected = recorded()
    assert [r.source for r in table.ratings] == ["anidb", "kitsu", "notify"]
    for platform, (value, votes) in expected.items():
        rating = table.get(platform)
        assert rating is not None
        assert (rating.value, rating.votes) == (value, votes)
        assert rating.scale == SCALES[platform]
        assert rating.normalised == pytest.approx(value * 10 / TOPS[platform], abs=1e-4)
        assert rating.provenance.source == platform
        assert rating.provenance.url == records[platform].url
        assert rating.provenance.fetched_at == FETCHED_AT
        assert rating.provenance.from_cache is False
    anidb_rating = table.get("anidb")
    assert anidb_rating is not None and anidb_rating.kind is not None and "permanent" in anidb_rating.kind
    assert table.get("kitsu") is not None and table.get("kitsu").normalised == pytest.approx(8.329)  # type: ignore[union-attr]


def test_catalogue_score_is_shown_with_provenance_but_kept_out_of_the_summary() -> None:
    doc = json.loads(_bytes(DATA / AOD))
    released = dt.datetime.fromisoformat(doc["lastUpdate"]).replace(tzinfo=dt.UTC)
    origin = CatalogueOrigin(url=doc["repository"], fetched_at=released)
    table = rating_table(death_note_records().values(), death_note_entry(), catalogue=origin)
    assert table.catalogue is not None
    assert table.catalogue.value == doc["data"][0]["score"]["arithmeticGeometricMean"]
    assert table.catalogue.scale == Scale(
        doc["scoreRange"]["minInclusive"], doc["scoreRange"]["maxInclusive"]
    )
    assert table.catalogue.normalised == pytest.approx(table.catalogue.value, abs=1e-4)
    assert table.catalogue.provenance.source == CATALOGUE
    assert (table.catalogue.provenance.url, table.catalogue.provenance.fetched_at) == (
        doc["repository"],
        released,
    )
    assert table.summary is not None and table.summary.count == 3
    assert CATALOGUE not in {r.source for r in table.ratings}


def test_summary_statistics() -> None:
    table = rating_table(death_note_records().values(), death_note_entry())
    expected = recorded()
    normalised = [value * 10 / TOPS[p] for p, (value, _) in sorted(expected.items())]
    summary = table.summary
    assert summary is not None
    assert summary.count == 3
    assert summary.mean == pytest.approx(statistics.mean(normalised), abs=1e-4)
    assert summary.median == pytest.approx(statistics.median(normalised), abs=1e-4)
    assert summary.minimum == pytest.approx(min(normalised), abs=1e-4)
    assert summary.maximum == pytest.approx(max(normalised), abs=1e-4)
    assert summary.spread == pytest.approx(max(normalised) - min(normalised), abs=1e-3)
    assert summary.stdev == pytest.approx(statistics.pstdev(normalised), abs=1e-4)
    votes = [expected[p][1] for p in sorted(expected)]
    weighted = sum(v * n for v, n in zip(normalised, votes, strict=True)) / sum(votes)
    assert summary.weighted_mean == pytest.approx(weighted, abs=1e-4)
    assert summary.weighted_votes == sum(votes)
    assert summary.outliers == ()  # 8.33 .. 8.62: all within 1.5 of the median


def test_an_outlier_is_more_than_the_distance_from_the_median() -> None:
    records = death_note_records()
    low = attrs.evolve(records["notify"], score=Rating(value=5.0, scale=10.0, votes=3))
    table = rating_table([records["kitsu"], records["anidb"], low])
    assert table.summary is not None and table.summary.outliers == ("notify",)
    narrower = summarise(table.ratings, outlier_distance=0.2)
    assert narrower is not None and set(narrower.outliers) == {"anidb", "notify"}  # median is kitsu's 8.329


def test_missing_platforms_keep_the_callers_reason_and_nothing_is_invented() -> None:
    records = death_note_records()
    scoreless = attrs.evolve(records["notify"], score=None, fields=records["notify"].fields - {"score"})
    table = rating_table(
        [records["kitsu"], records["anidb"], scoreless],
        death_note_entry(),
        missing=[
            Missing("mal", "no parser for the recorded web page"),
            Missing("anilist", "not on that platform"),
            Missing("simkl", "no credentials"),
            Missing("kitsu", "timed out"),  # but kitsu did answer: a rating is never listed as missing
        ],
    )
    assert [r.source for r in table.ratings] == ["anidb", "kitsu"]
    assert table.missing == (
        Missing("anilist", "not on that platform"),
        Missing("mal", "no parser for the recorded web page"),
        Missing("notify", NO_SCORE),
        Missing("simkl", "no credentials"),
    )
    assert table.reason("mal") == "no parser for the recorded web page"
    assert table.reason("kitsu") is None and table.get("notify") is None and table.get("mal") is None


def test_a_catalogue_entry_without_score_is_missing() -> None:
    entry = attrs.evolve(death_note_entry(), score=None)
    table = rating_table([], entry)
    assert table.catalogue is None and table.summary is None
    assert table.missing == (Missing(CATALOGUE, "no score in the catalogue"),)


def test_the_newest_record_of_a_platform_wins_and_cache_is_recorded() -> None:
    records = death_note_records()
    older = attrs.evolve(records["anidb"], fetched_at=FETCHED_AT - dt.timedelta(days=30))
    newer = attrs.evolve(
        records["anidb"], fetched_at=FETCHED_AT + dt.timedelta(hours=1), score=Rating(8.6, 10.0, 22000)
    )
    table = rating_table([older, Fetched(newer, from_cache=True)])
    (rating,) = table.ratings
    assert (rating.value, rating.provenance.fetched_at, rating.provenance.from_cache) == (
        8.6,
        newer.fetched_at,
        True,
    )


def test_a_value_outside_its_scale_is_missing_not_clamped() -> None:
    record = attrs.evolve(death_note_records()["anidb"], score=Rating(value=12.0, scale=10.0))
    found = platform_rating(record)
    assert isinstance(found, Missing) and found.platform == "anidb" and "outside" in found.reason


def test_an_unknown_platform_uses_its_records_own_scale() -> None:
    record = attrs.evolve(
        death_note_records()["notify"],
        platform_id=PlatformId(Platform("someplugin"), "1"),
        score=Rating(4.0, 5.0),
    )
    found = platform_rating(record)
    assert isinstance(found, PlatformRating)
    assert (found.scale, found.normalised, found.kind) == (Scale(0.0, 5.0), 8.0, None)


@given(st.data())
def test_normalised_values_stay_within_0_and_10(data: st.DataObject) -> None:
    platform = data.draw(st.sampled_from(sorted(SCALES)))
    scale = SCALES[platform]
    value = data.draw(st.floats(min_value=scale.low, max_value=scale.high))
    assert 0.0 <= scale.normalise(value) <= 10.0
    if platform != CATALOGUE and value > 0:
        record = attrs.evolve(
            death_note_records()["kitsu"],
            platform_id=PlatformId(Platform(platform), "1"),
            score=Rating(value=value, scale=scale.high),
        )
        found = platform_rating(record)
        assert isinstance(found, PlatformRating) and 0.0 <= found.normalised <= 10.0


@given(st.permutations(["kitsu", "anidb", "notify"]))
def test_the_table_does_not_depend_on_the_order_of_records(order: list[str]) -> None:
    records = death_note_records()
    assert rating_table([records[p] for p in order]) == rating_table(records.values())
