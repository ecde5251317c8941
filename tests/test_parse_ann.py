"""Anime News Network encyclopedia API parsers against ../shared/fixtures/animenewsnetwork.

The API recordings are the 4-anime batch and two error answers; ``web_*`` pages are encyclopedia web
pages (for the scraper to come). The ``reports.xml`` search answer and the "no result" warning are written
by hand from the encyclopedia API's documented shapes (``<report><item><id/><name/>...``,
``<ann><warning>no result for anime=...</warning></ann>``), not captured.
"""

from __future__ import annotations

import datetime as dt

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import Blocked, NotFound, ParseError
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.ann import parse

require_fixtures()

BATCH = "animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml"
BATCH_URL = "https://cdn.animenewsnetwork.com/encyclopedia/api.xml?anime=1/5/100/4658"
WARNING = "animenewsnetwork/error/api_warning_people-ignored.xml"
HTML = "animenewsnetwork/error/reports-masterlist_html-instead-of-xml.html"
REPORT = (
    b'<report skipped="0" listed="2"><args><type>anime</type><name>angel</name></args>'
    b"<item><id>1</id><gid>3662984164</gid><type>TV</type><name>Angel Links</name><precision>TV</precision>"
    b"<vintage>1999-04-07 to 1999-06-30</vintage></item>"
    b"<item><id>5432</id><type>movie</type><name>Angel Beats!</name><vintage>2010</vintage></item></report>"
)  # hand-written: reports.xml?id=155&type=anime&search=angel


def test_batch_holds_four_anime() -> None:
    records = parse.parse_anime_batch(fixture(BATCH), url=BATCH_URL, fetched_at=FETCHED_AT)
    assert [r.platform_id.id for r in records] == ["1", "5", "100", "4658"]
    for record in records:
        assert_valid_record(record)
    angel, skipper, kotetsu, jinki = records
    assert angel.url == "https://animenewsnetwork.com/encyclopedia/anime.php?id=1"
    assert angel.title == "Angel Links"
    assert "星方天使エンジェルリンクス" in angel.titles
    assert (angel.type, angel.episodes, angel.status) == (AnimeType.TV, 13, Status.FINISHED)
    assert (angel.start_date, angel.end_date) == (dt.date(1999, 4, 7), dt.date(1999, 6, 30))
    assert (angel.season, angel.year) == (Season.SPRING, 1999)
    assert angel.score is not None
    assert (angel.score.value, angel.score.scale, angel.score.votes) == (5.8027, 10.0, 352)
    assert angel.studios == ("Sunrise",)  # "Animation Production" only, not "Production"
    assert angel.genres == ("action", "drama", "science fiction")
    assert angel.tags == ("pirates", "space")
    assert angel.picture == "https://cdn.animenewsnetwork.com/thumbnails/fit200x200/encyc/A1-51.jpg"
    assert angel.duration_seconds == 30 * 60  # "half hour"
    assert angel.synopsis is not None and "<i>" not in angel.synopsis and "Angel Links crew" in angel.synopsis
    assert angel.relations[0].relation == "spinoff of" and angel.relations[0].platform_id == PlatformId(
        Platform.ANN, "423"
    )
    assert skipper.type is AnimeType.OVA  # "OAV"
    assert skipper.start_date == dt.date(1995, 8, 23) and skipper.end_date is None
    assert skipper.status is None  # one release date, no end: ANN does not say whether it is finished
    assert (
        kotetsu.picture == "https://cdn.animenewsnetwork.com/thumbnails/max500x600/encyc/A100-23.jpg"
    )  # largest
    assert kotetsu.duration_seconds == 30 * 60
    assert jinki.title == "Jinki:Extend" and jinki.studios == ("feel.",)


def test_parse_anime_picks_the_requested_id() -> None:
    body = fixture(BATCH)
    assert parse.parse_anime(body, url=BATCH_URL, fetched_at=FETCHED_AT).title == "Angel Links"
    one = "https://cdn.animenewsnetwork.com/encyclopedia/api.xml?anime=100"
    assert parse.parse_anime(body, url=one, fetched_at=FETCHED_AT).title == "The Adventures of Kotetsu"
    assert parse.parse_anime(body, fetched_at=FETCHED_AT).title == "Angel Links"
    with pytest.raises(NotFound):
        parse.parse_anime(body, url=one.replace("100", "99999"), fetched_at=FETCHED_AT)
    assert parse.requested_ids(BATCH_URL) == ["1", "5", "100", "4658"]


def test_episodes_staff_cast() -> None:
    body = fixture(BATCH)
    episodes = parse.parse_episodes(body, url=BATCH_URL).items
    assert len(episodes) == 13 and (episodes[0].number, episodes[0].title) == (1, "Guardian Angel")
    staff = parse.parse_staff(body, url=BATCH_URL)
    assert (staff[0].name, staff[0].roles, staff[0].person_id) == ("Yūji Yamaguchi", ("Director",), "260")
    sunrise = next(p for p in staff if p.name == "Sunrise")
    assert set(sunrise.roles) == {"Animation Production", "Production"}
    cast = parse.parse_characters(body, url=BATCH_URL)
    meifon = next(c for c in cast if c.name == "Meifon Li")
    assert {(va.name, va.language) for va in meifon.voice_actors} >= {
        ("Ryōka Yuzuki", "JA"),
        ("Mariette Sluyter", "EN"),
    }


def test_search_answers() -> None:
    candidates = parse.parse_search(fixture(BATCH))
    assert [c.platform_id.id for c in candidates] == ["1", "5", "100", "4658"]
    report = parse.parse_search(REPORT)
    assert [(c.platform_id.id, c.title, c.type, c.year) for c in report] == [
        ("1", "Angel Links", AnimeType.TV, 1999),
        ("5432", "Angel Beats!", AnimeType.MOVIE, 2010),
    ]


def test_recorded_error_answers() -> None:
    warning = fixture(WARNING)
    assert isinstance(parse.detect_error(200, warning), NotFound)
    with pytest.raises(NotFound, match="ignored people"):
        parse.parse_anime_batch(warning, fetched_at=FETCHED_AT)
    html = fixture(HTML)
    assert isinstance(parse.detect_error(200, html), ParseError)
    with pytest.raises(ParseError):
        parse.parse_anime(html, fetched_at=FETCHED_AT)
    no_result = b"<ann><warning>no result for anime=99999999</warning></ann>"
    with pytest.raises(NotFound, match="no result"):
        parse.parse_anime(no_result, fetched_at=FETCHED_AT)


def test_status_codes_and_challenges() -> None:
    assert parse.detect_error(200, fixture(BATCH)) is None
    assert isinstance(parse.detect_error(404, b""), NotFound)
    page = b"<html><head><title>Just a moment...</title></head></html>"
    assert isinstance(parse.detect_error(503, page), Blocked)
    with pytest.raises(Blocked):
        parse.parse_anime_batch(page, fetched_at=FETCHED_AT)


@pytest.mark.parametrize("relative", fixtures("animenewsnetwork/anime/web_*.html"))
def test_web_pages_are_typed_errors_for_the_api_parser(relative: str) -> None:
    with pytest.raises(ParseError):
        parse.parse_anime_batch(fixture(relative), fetched_at=FETCHED_AT)


def test_titles_keep_their_languages_and_credits_come_with_the_record() -> None:
    records = parse.parse_anime_batch(fixture(BATCH), url=BATCH_URL, fetched_at=FETCHED_AT)
    angel = assert_valid_record(records[0])
    # <info type="Main title" lang="EN">Angel Links</info>; lang="JA" in Latin letters is romaji
    assert [(t.language, t.text, t.kind) for t in angel.localized_titles] == [
        ("en", "Angel Links", "main"),
        ("ja-Latn", "Seihō Tenshi Angel Links", "synonym"),
        ("ru", "Защитники Космоса: Анджел Линкс", "synonym"),
        ("ja", "星方天使エンジェルリンクス", "synonym"),
    ]
    assert [s.language for s in angel.synopses] == ["en"]
    first = parse.parse_anime(fixture(BATCH), url=BATCH_URL, fetched_at=FETCHED_AT)
    assert first.characters == tuple(parse.parse_characters(fixture(BATCH), url=BATCH_URL))
    assert first.staff == tuple(parse.parse_staff(fixture(BATCH), url=BATCH_URL))
