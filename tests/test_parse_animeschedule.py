"""AnimeSchedule.net API v3 parsers against the recordings in ../shared/fixtures/animeschedule.

The 401/429 bodies have no recording; they are generic (the status code decides).
"""

from __future__ import annotations

import datetime as dt

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, require_fixtures

from anime_mcp.core.errors import AuthRequired, NotFound, RateLimited
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.schedule import AirKind
from anime_mcp.plugins.sources.animeschedule import parse

require_fixtures()

BEBOP = "animeschedule/anime/anime_cowboy-bebop.json"
SEARCH = "animeschedule/search/anime-search_anidb-4880_naruto-shippuuden.json"
WEEK_1 = "animeschedule/schedule/timetables_sub_2026-w01.json"
WEEK_38 = "animeschedule/schedule/timetables_sub_2026-w38.json"
SEARCH_404 = "animeschedule/error/anime-search_not-found.txt"
TIMETABLE_404 = "animeschedule/error/timetables_not-found.txt"


def test_cowboy_bebop() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(BEBOP), fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.ANIMESCHEDULE, "cowboy-bebop")
    assert record.url == "https://animeschedule.net/anime/cowboy-bebop"
    assert record.title == "Cowboy Bebop" and record.titles == ("カウボーイビバップ",)
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 26, Status.FINISHED)
    assert record.start_date == dt.date(1998, 4, 3)  # 1998-04-02T16:00Z is midnight of 3 April in Japan
    assert (record.season, record.year) == (Season.SPRING, 1998)
    assert record.score is not None
    assert (round(record.score.value, 2), record.score.scale, record.score.votes) == (83.67, 100.0, 243)
    assert record.studios == ("Sunrise",)
    assert record.genres == ("Action", "Adventure", "Comedy", "Drama", "Sci-Fi", "Space")
    assert record.picture == (
        "https://img.animeschedule.net/production/assets/public/img/anime/jpg/default/cowboy-bebop-f6e5005100.jpg"
    )
    assert record.duration_seconds == 24 * 60
    assert record.synopsis is not None and "<br>" not in record.synopsis and '"Cowboys."' in record.synopsis
    assert record.cross_ids == (
        PlatformId(Platform.MAL, "1"),
        PlatformId(Platform.ANILIST, "1"),
        PlatformId(Platform.KITSU, "1"),
        PlatformId(Platform.ANIDB, "23"),
    )
    assert ("Crunchyroll", "https://www.crunchyroll.com/cowboy-bebop") in {
        (s.service, s.url) for s in record.streaming
    }
    side = [r.platform_id for r in record.relations if r.relation == "side story"]
    assert PlatformId(Platform.ANIMESCHEDULE, "cowboy-bebop-tengoku-no-tobira") in side


def test_search_answer() -> None:
    body = fixture(SEARCH)
    (candidate,) = parse.parse_search(body)
    assert candidate.platform_id == PlatformId(Platform.ANIMESCHEDULE, "naruto-shippuuden")
    assert (candidate.title, candidate.year, candidate.episodes) == ("Naruto: Shippuuden", 2007, 500)
    (record,) = parse.parse_anime_list(body, fetched_at=FETCHED_AT)
    assert_valid_record(record)
    assert PlatformId(Platform.ANIDB, "4880") in record.cross_ids
    assert PlatformId(Platform.ANIMEPLANET, "naruto-shippuden") in record.cross_ids
    assert "Naruto Shippuden" in record.titles
    assert {s.service for s in record.streaming} >= {"Crunchyroll", "Netflix", "Hulu"}
    assert [r.platform_id.id for r in record.relations if r.relation == "prequel" and r.platform_id] == [
        "naruto"
    ]
    assert parse.parse_anime(body, fetched_at=FETCHED_AT).platform_id == record.platform_id


def test_timetables() -> None:
    (single,) = parse.parse_schedule(fixture(WEEK_1))
    assert single.platform_id == PlatformId(
        Platform.ANIMESCHEDULE, "kaguya-sama-wa-kokurasetai-otona-e-no-kaidan"
    )
    assert (single.kind, single.episode, single.episodes) == (AirKind.SUB, 2, 2)
    assert single.airs_at == dt.datetime(2025, 12, 31, 15, 0, tzinfo=dt.UTC)
    assert single.type is AnimeType.SPECIAL and single.status == "aired"
    assert len(single.streaming) == 3 and single.streaming[0].url == "https://apple.co/4pmWMW2"
    slots = parse.parse_schedule(fixture(WEEK_38))
    assert len(slots) == 5
    first, _, bleach, unaired, _ = slots
    assert first.delayed_from is None and first.delayed_until is None  # 0001-01-01 sentinel
    assert first.type is AnimeType.TV  # "TV Short"
    assert (bleach.status, bleach.delayed_from, bleach.delayed_until) == (
        "delayed-air",
        dt.date(2026, 9, 14),
        dt.date(2026, 10, 19),
    )
    assert unaired.streaming == () and unaired.status == "unaired"


@pytest.mark.parametrize("relative", [SEARCH_404, TIMETABLE_404])
def test_recorded_not_found_bodies(relative: str) -> None:
    body = fixture(relative)
    assert isinstance(parse.detect_error(404, body), NotFound)
    with pytest.raises(NotFound):
        parse.parse_schedule(body)
    with pytest.raises(NotFound):
        parse.parse_search(body)


def test_status_codes() -> None:
    assert isinstance(parse.detect_error(401, b"Unauthorized"), AuthRequired)
    limited = parse.detect_error(429, b"", headers={"retry-after": "3"})
    assert isinstance(limited, RateLimited) and limited.retry_after == 3.0
    assert parse.detect_error(200, fixture(BEBOP)) is None
    assert parse.detect_error(200, fixture(WEEK_38)) is None
