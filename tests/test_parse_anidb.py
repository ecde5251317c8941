"""AniDB HTTP API parsers against the recordings in ../shared/fixtures/anidb.

The API recordings are ``anime/*.xml`` and ``error/error_anime-not-found.xml``; the ``web_*`` pages are
AniDB web pages (for the scraper to come) whose error pages must still map to typed errors. The "banned"
and client-error answers have no recording: they are written from AniDB's HTTP API definition
(``<error>Banned</error>``, ``<error code="302">client version missing or invalid</error>``).
"""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError, SourceError
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.anidb import parse

require_fixtures()

DEATH_NOTE = "anidb/anime/anime_4563_death-note.xml"
NOT_FOUND = "anidb/error/error_anime-not-found.xml"


@pytest.mark.parametrize("relative", fixtures("anidb/anime/anime_*.xml"))
def test_every_recorded_anime_parses(relative: str) -> None:
    body = fixture(relative)
    record = assert_valid_record(parse.parse_anime(body, fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.ANIDB, relative.split("_")[1])
    assert record.title
    for fn in (parse.parse_episodes, parse.parse_characters, parse.parse_staff):
        fn(body)


def test_death_note() -> None:
    body = fixture(DEATH_NOTE)
    record = assert_valid_record(parse.parse_anime(body, fetched_at=FETCHED_AT))
    assert record.url == "https://anidb.net/anime/4563"
    assert record.title == "Death Note"
    assert {"デスノート", "DEATH NOTE", "DN", "死亡笔记"} <= set(record.titles)
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 37, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(2006, 10, 4), dt.date(2007, 6, 27))
    assert (record.season, record.year) == (Season.FALL, 2006)
    assert record.score is not None
    assert (record.score.value, record.score.scale, record.score.votes) == (8.58, 10.0, 21658)
    assert record.studios == ("Madhouse",)
    assert record.cross_ids == (PlatformId(Platform.MAL, "1535"), PlatformId(Platform.ANN, "6592"))
    assert record.picture == "https://cdn.anidb.net/images/main/221544.jpg"
    assert record.duration_seconds == 25 * 60
    assert record.synopsis is not None and "shinigami Ryuk drops" in record.synopsis  # links unwrapped
    assert "http://anidb.net/ch" not in record.synopsis
    assert [r.platform_id for r in record.relations] == [
        PlatformId(Platform.ANIDB, "8146"),
        PlatformId(Platform.ANIDB, "8147"),
    ]
    assert record.relations[0].relation == "summary"
    assert "thriller" in record.tags and "maintenance tags" not in record.tags
    assert "https://www.crunchyroll.com/series/G6QWD3EE6" in {link.url for link in record.streaming}
    assert "genres" not in record.fields  # AniDB has tags, not genres


def test_death_note_episodes_characters_staff() -> None:
    body = fixture(DEATH_NOTE)
    episodes = parse.parse_episodes(body).items
    regular = [e for e in episodes if e.kind == "regular"]
    assert len(regular) == 37
    first = regular[0]
    assert (first.number, first.title, first.aired, first.duration_seconds) == (
        1,
        "Rebirth",
        dt.date(2006, 10, 4),
        1500,
    )
    assert "新生" in first.titles and first.score is not None and first.score.votes == 128
    assert {e.kind for e in episodes} == {"regular", "credit", "special", "trailer"}
    characters = parse.parse_characters(body)
    l_lawliet = characters[0]
    assert (l_lawliet.name, l_lawliet.role, l_lawliet.character_id) == ("L Lawliet", "main character", "299")
    assert l_lawliet.voice_actors[0].name == "Yamaguchi Kappei"
    staff = parse.parse_staff(body)
    assert staff[0].name == "Madhouse" and staff[0].roles == ("Animation Work",)
    kitao = next(p for p in staff if p.name == "Kitao Masaru")
    assert kitao.roles == ("Chief Animation Direction", "Character Design")


def test_dates_and_status_derived_from_air_dates() -> None:
    def record(name: str) -> object:
        return parse.parse_anime(fixture(f"anidb/anime/{name}"), fetched_at=FETCHED_AT)

    upcoming = record("anime_18325_the-one-piece_upcoming.xml")
    assert upcoming.status is Status.UPCOMING and upcoming.year == 2027 and upcoming.start_date is None  # type: ignore[attr-defined]
    assert upcoming.type is AnimeType.ONA  # type: ignore[attr-defined]  # "Web"
    ongoing = record("anime_14171_xiong-chumo-xiongxiong-leyuan-2_ongoing.xml")
    assert ongoing.status is Status.ONGOING  # type: ignore[attr-defined]
    unknown = record("anime_7608_wish-angel_type-unknown.xml")
    assert unknown.type is AnimeType.UNKNOWN  # type: ignore[attr-defined]
    assert unknown.start_date is None and unknown.year is None and unknown.status is None  # type: ignore[attr-defined]  # 1970-01-01
    year_only = record("anime_10077_goannai-shimasu-another-world-e.xml")
    assert (year_only.year, year_only.start_date, year_only.season) == (2004, None, None)  # type: ignore[attr-defined]
    month_only = record("anime_12676_henna-abc_music-video.xml")
    assert (month_only.year, month_only.season, month_only.type) == (1986, Season.SPRING, AnimeType.SPECIAL)  # type: ignore[attr-defined]
    no_picture = record("anime_10137_ikite-iru_no-picture.xml")
    assert no_picture.picture is None  # type: ignore[attr-defined]
    two_studios = record("anime_9987_shin-gekijouban-initial-d.xml")
    assert two_studios.studios == ("Sanzigen", "Liden Films")  # type: ignore[attr-defined]
    special = record("anime_12519_fate-grand-order-first-order_tv-special.xml")
    assert special.type is AnimeType.SPECIAL  # type: ignore[attr-defined]
    many = record("anime_6657_oyako-club_1818-episodes.xml")
    assert many.episodes == 1818  # type: ignore[attr-defined]


def test_gzip_body_is_unpacked() -> None:
    record = parse.parse_anime(gzip.compress(fixture(DEATH_NOTE)), fetched_at=FETCHED_AT)
    assert record.title == "Death Note"
    with pytest.raises(ParseError):
        parse.parse_anime(b"\x1f\x8b\x08\x00garbage", fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("relative", "error"),
    [
        (NOT_FOUND, NotFound),
        ("anidb/error/web_anime_4906_anti-leech.html", Blocked),
        ("anidb/error/web_nginx-403-forbidden.html", Blocked),
        ("anidb/error/web_anime_14248_deleted-entry.html", NotFound),
        ("anidb/error/web_anime_15422_addition-pending.html", NotFound),
        ("anidb/error/web_anime_15569_adult-content-warning.html", AuthRequired),
    ],
)
def test_recorded_error_answers(relative: str, error: type[SourceError]) -> None:
    body = fixture(relative)
    assert isinstance(parse.detect_error(200, body), error)
    with pytest.raises(error):
        parse.parse_anime(body, fetched_at=FETCHED_AT)


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"<error>Banned</error>", Blocked),
        (b'<error code="500">banned</error>', Blocked),
        (b'<error code="302">client version missing or invalid</error>', AuthRequired),
        (b"<error>Client Values Missing or Invalid</error>", AuthRequired),
        (b"<error>aid Missing or Invalid</error>", NotFound),
    ],
)
def test_api_error_answers(body: bytes, error: type[SourceError]) -> None:
    assert isinstance(parse.detect_error(200, body), error)
    with pytest.raises(error):
        parse.parse_episodes(body)


@pytest.mark.parametrize("relative", fixtures("anidb/anime/web_*.html"))
def test_web_pages_are_typed_errors_for_the_api_parser(relative: str) -> None:
    with pytest.raises(ParseError):
        parse.parse_anime(fixture(relative), fetched_at=FETCHED_AT)


def test_normal_answer_is_no_error() -> None:
    assert parse.detect_error(200, fixture(DEATH_NOTE)) is None


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        b'<anime id="1"><type>&lol2;</type></anime>',
        b'<?xml version="1.0"?><!DOCTYPE anime [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b'<anime id="1"><type>&xxe;</type></anime>',
        b'<anime id="1">' + b"<x>" * 500 + b"</x>" * 500 + b"</anime>",
    ],
    ids=["entity-expansion", "external-entity", "too-deep"],
)
def test_hostile_xml_is_refused(body: bytes) -> None:
    with pytest.raises(ParseError):
        parse.parse_anime(body, fetched_at=FETCHED_AT)


def test_titles_keep_their_languages_and_credits_come_with_the_record() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(DEATH_NOTE), fetched_at=FETCHED_AT))
    texts = {(t.language, t.text, t.kind) for t in record.localized_titles}
    # <title xml:lang="x-jat" type="main">Death Note</title>, <title xml:lang="x-jat" type="short">DN</title>
    assert {("ja-Latn", "Death Note", "main"), ("ja-Latn", "DN", "short")} <= texts
    assert {("ja", "デスノート", "synonym"), ("pt-BR", "Caderno da Morte", "synonym")} <= texts
    assert ("ko", "데스노트", "official") in texts
    assert [(s.language, s.text) for s in record.synopses] == [("en", record.synopsis)]
    assert record.characters == tuple(parse.parse_characters(fixture(DEATH_NOTE)))
    assert record.staff == tuple(parse.parse_staff(fixture(DEATH_NOTE)))
    assert record.characters[0].name == "L Lawliet"
    bare = parse.parse_anime(fixture(DEATH_NOTE), fetched_at=FETCHED_AT, credits=())
    assert bare.characters == bare.staff == () and not {"characters", "staff"} & bare.fields
