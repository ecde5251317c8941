"""AniList GraphQL parsers against the recordings in ../shared/fixtures/anilist.

No recording carries ``idMal`` (the capturing projects did not ask for it), so the idMal test adds it by
hand to a real answer; the GraphQL error documents below are written from AniList's documented error
shape (``{"errors": [{"message", "status"}], "data": ...}``), not captured.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError, RateLimited, Unavailable
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.anilist import parse

require_fixtures()

BEBOP = "anilist/anime/media_1_cowboy-bebop.json"
BEBOP_SMALL = "anilist/anime/media_1_cowboy-bebop_small-query.json"
CONAN = "anilist/anime/media_235_meitantei-conan_releasing.json"
SEASON = "anilist/season/page_season_fall-2017_releasing.json"


@pytest.mark.parametrize("relative", fixtures("anilist/anime/*.json"))
def test_every_recorded_media_parses(relative: str) -> None:
    record = assert_valid_record(parse.parse_anime(fixture(relative), fetched_at=FETCHED_AT))
    assert record.platform_id.platform is Platform.ANILIST
    assert record.platform_id.id == relative.split("_")[1]
    assert record.title


def test_cowboy_bebop() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(BEBOP), fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.ANILIST, "1")
    assert record.url == "https://anilist.co/anime/1"
    assert record.title == "Cowboy Bebop"
    assert "カウボーイビバップ" in record.titles and "Ковбой Бибоп" in record.titles
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 26, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(1998, 4, 3), dt.date(1999, 4, 24))
    assert (record.season, record.year) == (Season.SPRING, 1998)
    assert record.score is not None
    assert (record.score.value, record.score.scale, record.score.votes) == (86.0, 100.0, 120712)
    assert (record.rank, record.popularity) == (42, 49)  # all-time "highest rated" / "most popular"
    assert record.studios == ("Sunrise",)  # main studios only (Bandai Visual is a producer)
    assert record.genres == ("Action", "Adventure", "Drama", "Sci-Fi")
    assert "Space" in record.tags
    assert (
        record.picture == "https://s4.anilist.co/file/anilistcdn/media/anime/cover/large/bx1-CXtrrkMpJ8Zq.png"
    )
    assert record.duration_seconds == 24 * 60
    assert record.synopsis is not None and "<br>" not in record.synopsis
    assert "Crunchyroll" in {link.service for link in record.streaming}
    assert PlatformId(Platform.ANILIST, "5") in {r.platform_id for r in record.relations}
    assert "cross_ids" not in record.fields  # the query did not ask for idMal


def test_id_mal_becomes_a_cross_id() -> None:
    doc = json.loads(fixture(BEBOP))
    doc["data"]["Media"]["idMal"] = 1  # added by hand: no recording carries idMal
    record = assert_valid_record(parse.parse_anime(json.dumps(doc).encode(), fetched_at=FETCHED_AT))
    assert record.cross_ids == (PlatformId(Platform.MAL, "1"),)


def test_sparse_and_edge_cases() -> None:
    grimm = assert_valid_record(
        parse.parse_anime(fixture("anilist/anime/media_135643_grimm_status-null.json"), fetched_at=FETCHED_AT)
    )
    assert grimm.status is None and grimm.type is None and "status" not in grimm.fields
    cover = assert_valid_record(
        parse.parse_anime(
            fixture("anilist/anime/media_157371_bye-bye-earth_default-cover.json"), fetched_at=FETCHED_AT
        )
    )
    assert cover.picture is None and cover.status is Status.UPCOMING
    mean_only = assert_valid_record(
        parse.parse_anime(
            fixture("anilist/anime/media_10004_ago-nashi-gen-to-ore-monogatari_ona.json"),
            fetched_at=FETCHED_AT,
        )
    )
    assert (
        mean_only.score is not None and mean_only.score.value == 65.0
    )  # meanScore when averageScore is null
    assert mean_only.duration_seconds is None
    two = parse.parse_anime(
        fixture("anilist/anime/media_108617_somali-to-mori-no-kamisama.json"), fetched_at=FETCHED_AT
    )
    assert two.studios == ("Satelight", "HORNETS")
    none = parse.parse_anime(
        fixture("anilist/anime/media_104189_ahiru-rikusentai_no-studios.json"), fetched_at=FETCHED_AT
    )
    assert none.studios == () and "studios" in none.fields  # AniList said: no main studio
    cancelled = parse.parse_anime(
        fixture("anilist/anime/media_101704_kiss-and-cry_cancelled.json"), fetched_at=FETCHED_AT
    )
    assert cancelled.status is Status.UNKNOWN and cancelled.year == 2009 and cancelled.start_date is None
    short = parse.parse_anime(
        fixture("anilist/anime/media_98291_tsurezure-children_tv-short.json"), fetched_at=FETCHED_AT
    )
    assert short.type is AnimeType.TV
    music = parse.parse_anime(fixture("anilist/anime/media_97731_shelter_music.json"), fetched_at=FETCHED_AT)
    assert music.type is AnimeType.SPECIAL


def test_releasing_and_schedule() -> None:
    conan = assert_valid_record(parse.parse_anime(fixture(CONAN), fetched_at=FETCHED_AT))
    assert conan.status is Status.ONGOING and conan.episodes is None
    (slot,) = parse.parse_schedule(fixture(CONAN))
    assert slot.platform_id == PlatformId(Platform.ANILIST, "235")
    assert (slot.episode, slot.airs_at) == (1082, dt.datetime(2023, 4, 29, 9, 0, tzinfo=dt.UTC))
    nodes = parse.parse_schedule(fixture(BEBOP_SMALL))
    assert [(s.episode, s.airs_at) for s in nodes] == [
        (1, dt.datetime(1998, 4, 4, 0, 0, tzinfo=dt.UTC)),
        (2, dt.datetime(1998, 4, 11, 0, 0, tzinfo=dt.UTC)),
    ]


def test_small_query_fills_only_what_was_asked() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(BEBOP_SMALL), fetched_at=FETCHED_AT))
    assert record.fields == {
        "title",
        "titles",
        "localized_titles",
        "type",
        "episodes",
        "start_date",
        "season",
        "year",
        "score",
        "duration_seconds",
    }


def test_season_page() -> None:
    body = fixture(SEASON)
    candidates = parse.parse_search(body)
    assert len(candidates) == 36
    assert candidates[0].platform_id == PlatformId(Platform.ANILIST, "97769")
    assert candidates[0].status is Status.ONGOING and candidates[0].year == 2017
    records = parse.parse_season(body, fetched_at=FETCHED_AT)
    assert len(records) == 36
    for record in records:
        assert_valid_record(record)
    assert parse.page_info(body) == (1, False)


def test_characters_and_staff() -> None:
    characters = parse.parse_characters(fixture(BEBOP))
    assert characters[0].name == "Spike Spiegel" and characters[0].role == "main"
    assert characters[0].voice_actors[0].name == "Kouichi Yamadera"
    staff = parse.parse_staff(fixture(BEBOP))
    kanno = next(person for person in staff if person.name == "Youko Kanno")
    assert "Music" in kanno.roles and len(kanno.roles) > 1  # one credit per person, all roles
    old = parse.parse_staff(fixture("anilist/anime/media_20912_hibike-euphonium_2018.json"))
    assert old[0].name == "Tatsuya Ishihara" and old[0].roles == ("Director",)  # first/last name shape
    with pytest.raises(ParseError):
        parse.parse_characters(fixture(BEBOP_SMALL))


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            404,
            b'{"errors":[{"message":"Not Found.","status":404,"locations":[{"line":2,"column":3}]}],'
            b'"data":{"Media":null}}',
            NotFound,
        ),
        (429, b'{"errors":[{"message":"Too Many Requests.","status":429}],"data":null}', RateLimited),
        (400, b'{"errors":[{"message":"Invalid token","status":400}],"data":null}', AuthRequired),
        (
            403,
            b'{"errors":[{"message":"The AniList API has been temporarily disabled.","status":403}],'
            b'"data":null}',
            Unavailable,
        ),
        (500, b'{"errors":[{"message":"Internal Server Error","status":500}],"data":null}', Unavailable),
    ],
)
def test_error_answers(status: int, body: bytes, error: type[Exception]) -> None:
    found = parse.detect_error(status, body, headers={"Retry-After": "60"})
    assert isinstance(found, error)
    if isinstance(found, RateLimited):
        assert found.retry_after == 60.0
    with pytest.raises(error):
        parse.parse_anime(body, fetched_at=FETCHED_AT)


def test_challenge_and_normal_answers() -> None:
    page = b"<html><head><title>Attention Required! | Cloudflare</title></head></html>"
    assert isinstance(parse.detect_error(403, page), Blocked)
    with pytest.raises(Blocked):
        parse.parse_anime(page, fetched_at=FETCHED_AT)
    assert parse.detect_error(200, fixture(BEBOP)) is None
    with pytest.raises(NotFound):
        parse.parse_anime(b'{"data":{"Media":null}}', fetched_at=FETCHED_AT)


def test_titles_keep_their_languages_and_a_media_with_credits_fills_them() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(BEBOP), fetched_at=FETCHED_AT))
    # title {romaji, english: "Cowboy Bebop", native: "カウボーイビバップ"}, countryOfOrigin "JP"
    assert [(t.language, t.text, t.kind) for t in record.localized_titles][:3] == [
        ("ja-Latn", "Cowboy Bebop", "main"),
        ("en", "Cowboy Bebop", "official"),
        ("ja", "カウボーイビバップ", "official"),
    ]
    assert {t.language for t in record.localized_titles[3:]} == {"und"}  # synonyms
    assert record.characters == tuple(parse.parse_characters(fixture(BEBOP)))  # characterPreview
    assert record.staff == tuple(parse.parse_staff(fixture(BEBOP)))
    small = parse.parse_anime(fixture(BEBOP_SMALL), fetched_at=FETCHED_AT)
    assert small.localized_titles[0].language == "und-Latn"  # no countryOfOrigin: romaji of what?
