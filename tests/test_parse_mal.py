"""MyAnimeList parsers: Jikan v4 recordings from ../shared/fixtures/jikan, and MAL API v2 test data.

There is no recorded MAL API v2 JSON answer anywhere in the shared recordings, so the MAL v2 documents
below are written by hand from MAL's published API v2 reference
(https://myanimelist.net/apiconfig/references/api/v2: "Get anime details", "Get anime list", error
objects ``{"error": ..., "message": ...}``); their values are illustrative, not captured.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, RateLimited, Unavailable
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.schedule import AirKind
from anime_mcp.plugins.sources.mal import parse

require_fixtures()

JIKAN_ANIME = "jikan/anime/anime_1_cowboy-bebop_2026.json"
JIKAN_FULL = "jikan/anime/anime-full_1_cowboy-bebop_2025.json"
JIKAN_EPISODES = "jikan/episodes/episodes_1_cowboy-bebop_2026.json"
JIKAN_CHARACTERS = "jikan/characters/characters_1_cowboy-bebop_2026.json"
JIKAN_STAFF = "jikan/staff/staff_1_cowboy-bebop_2026.json"
JIKAN_SCHEDULE = "jikan/schedule/schedules_monday_2026.json"

# Hand-written from MAL's API v2 reference (GET /v2/anime/{anime_id}?fields=...): not a recording.
MAL_V2_ANIME = {
    "id": 30230,
    "title": "Diamond no Ace: Second Season",
    "main_picture": {
        "medium": "https://api-cdn.myanimelist.net/images/anime/9/74398.jpg",
        "large": "https://api-cdn.myanimelist.net/images/anime/9/74398l.jpg",
    },
    "alternative_titles": {
        "synonyms": ["Ace of the Diamond: 2nd Season"],
        "en": "Ace of Diamond: Second Season",
        "ja": "ダイヤのA[エース] -SECOND SEASON-",
    },
    "start_date": "2015-04-06",
    "end_date": "2016-03-28",
    "synopsis": "After the third-years retire, Sawamura and Furuya compete for the ace number.",
    "mean": 8.2,
    "rank": 138,
    "popularity": 1911,
    "num_list_users": 74221,
    "num_scoring_users": 32256,
    "nsfw": "white",
    "created_at": "2015-03-02T06:03:11+00:00",
    "updated_at": "2017-10-15T10:39:12+00:00",
    "media_type": "tv",
    "status": "finished_airing",
    "genres": [{"id": 30, "name": "Sports"}, {"id": 23, "name": "School"}, {"id": 27, "name": "Shounen"}],
    "num_episodes": 51,
    "start_season": {"year": 2015, "season": "spring"},
    "broadcast": {"day_of_the_week": "monday", "start_time": "18:00"},
    "source": "manga",
    "average_episode_duration": 1440,
    "rating": "pg_13",
    "studios": [{"id": 10, "name": "Production I.G"}, {"id": 11, "name": "Madhouse"}],
    "related_anime": [
        {
            "node": {"id": 18689, "title": "Diamond no Ace", "main_picture": None},
            "relation_type": "prequel",
            "relation_type_formatted": "Prequel",
        }
    ],
}
# Hand-written from the reference's "Get anime list" (GET /v2/anime?q=one&limit=2): not a recording.
MAL_V2_SEARCH = {
    "data": [
        {
            "node": {
                "id": 21,
                "title": "One Piece",
                "main_picture": {"medium": "https://api-cdn.myanimelist.net/images/anime/6/73245.jpg"},
            }
        },
        {
            "node": {
                "id": 34566,
                "title": "Boruto: Naruto Next Generations",
                "media_type": "tv",
                "num_episodes": 0,
            }
        },
    ],
    "paging": {"next": "https://api.myanimelist.net/v2/anime?offset=2&q=one&limit=2"},
}


def _bytes(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


# ============================================================================================ Jikan


def test_jikan_anime_cowboy_bebop() -> None:
    record = assert_valid_record(
        parse.parse_anime(fixture(JIKAN_ANIME), url="https://api.jikan.moe/v4/anime/1", fetched_at=FETCHED_AT)
    )
    assert record.platform_id == PlatformId(Platform.MAL, "1")
    assert record.url == "https://myanimelist.net/anime/1"
    assert record.fetched_at == FETCHED_AT
    assert record.title == "Cowboy Bebop"
    assert record.titles == ("カウボーイビバップ",)
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 26, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(1998, 4, 3), dt.date(1999, 4, 24))
    assert (record.season, record.year) == (Season.SPRING, 1998)
    assert record.score is not None
    assert (record.score.value, record.score.scale, record.score.votes) == (8.75, 10.0, 1059628)
    assert (record.rank, record.popularity) == (49, 41)
    assert record.studios == ("Sunrise",)
    assert record.genres == ("Action", "Award Winning", "Sci-Fi")
    assert record.tags == ("Adult Cast", "Space")
    assert record.picture == "https://myanimelist.net/images/anime/4/19644.jpg"
    assert record.duration_seconds == 24 * 60
    assert record.synopsis is not None and record.synopsis.startswith("Crime is timeless.")
    # The plain /anime/{id} answer has no relations, external links or streaming: not claimed.
    assert {"relations", "cross_ids", "streaming"}.isdisjoint(record.fields)


def test_jikan_full_anime_has_relations_links_and_streaming() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(JIKAN_FULL), fetched_at=FETCHED_AT))
    assert record.score is not None and record.score.votes == 1024836
    assert [link.service for link in record.streaming] == ["Crunchyroll", "Netflix", "Tubi TV"]
    assert record.cross_ids == (PlatformId(Platform.ANIDB, "23"), PlatformId(Platform.ANN, "13"))
    side_stories = [r.platform_id for r in record.relations if r.relation == "side story"]
    assert side_stories == [PlatformId(Platform.MAL, "5"), PlatformId(Platform.MAL, "17205")]
    adaptations = [r for r in record.relations if r.relation == "adaptation"]
    assert adaptations and all(r.media == "manga" and r.platform_id is None for r in adaptations)
    assert record.picture == "https://cdn.myanimelist.net/images/anime/4/19644.jpg"


def test_jikan_episodes() -> None:
    page = parse.parse_episodes(
        fixture(JIKAN_EPISODES), url="https://api.jikan.moe/v4/anime/1/episodes?page=1"
    )
    assert len(page.items) == 26
    first = page.items[0]
    assert (first.number, first.title, first.aired) == (1, "Asteroid Blues", dt.date(1998, 10, 24))
    assert first.titles == ("アステロイド・ブルース",)  # the romanji equals the title once stripped
    assert first.score is not None and first.score.scale == 5.0
    assert first.filler is False and first.recap is False
    assert page.next_url is None


def test_jikan_episodes_next_page_url() -> None:
    doc = json.loads(fixture(JIKAN_EPISODES))
    doc["pagination"] = {"last_visible_page": 3, "has_next_page": True}
    page = parse.parse_episodes(_bytes(doc), url="https://api.jikan.moe/v4/anime/1/episodes?page=2")
    assert page.next_url == "https://api.jikan.moe/v4/anime/1/episodes?page=3"


def test_jikan_characters() -> None:
    characters = parse.parse_characters(fixture(JIKAN_CHARACTERS))
    assert len(characters) == 126
    jet = characters[0]
    assert (jet.name, jet.role, jet.character_id) == ("Black, Jet", "main", "3")
    assert jet.voice_actors[0].name == "Ishizuka, Unshou"
    assert jet.voice_actors[0].language == "Japanese"
    assert jet.voice_actors[0].person_id == "357"


def test_jikan_staff() -> None:
    staff = parse.parse_staff(fixture(JIKAN_STAFF))
    assert len(staff) == 123
    assert (staff[0].name, staff[0].roles, staff[0].person_id) == ("Cook, Justin", ("Producer",), "203")


def test_jikan_schedule_and_list_answers() -> None:
    body = fixture(JIKAN_SCHEDULE)
    slots = parse.parse_schedule(body, url="https://api.jikan.moe/v4/schedules?filter=monday")
    assert len(slots) == 12
    first = slots[0]
    assert first.platform_id == PlatformId(Platform.MAL, "54871")
    assert (first.title, first.kind, first.weekday) == ("Shin Nippon History", AirKind.RAW, 0)
    assert (first.local_time, first.timezone) == (dt.time(1, 0), "Asia/Tokyo")
    candidates = parse.parse_search(body)
    assert [c.platform_id for c in candidates] == [s.platform_id for s in slots]
    assert candidates[0].status is Status.ONGOING and candidates[0].year == 2020
    records = parse.parse_anime_list(body, fetched_at=FETCHED_AT)
    assert len(records) == 12
    for record in records:
        assert_valid_record(record)


def test_formats_are_recognised() -> None:
    assert parse.detect_format(fixture(JIKAN_ANIME)) == parse.JIKAN
    assert parse.detect_format(fixture(JIKAN_EPISODES)) == parse.JIKAN
    assert parse.detect_format(_bytes(MAL_V2_ANIME)) == parse.MAL_V2
    assert parse.detect_format(_bytes(MAL_V2_SEARCH)) == parse.MAL_V2
    with pytest.raises(ParseError):
        parse.detect_format(b'{"hello": "world"}')


# ============================================================================================ MAL API v2


def test_mal_v2_anime() -> None:
    record = assert_valid_record(parse.parse_anime(_bytes(MAL_V2_ANIME), fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.MAL, "30230")
    assert record.title == "Diamond no Ace: Second Season"
    assert record.titles == (
        "Ace of Diamond: Second Season",
        "ダイヤのA[エース] -SECOND SEASON-",
        "Ace of the Diamond: 2nd Season",
    )
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 51, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(2015, 4, 6), dt.date(2016, 3, 28))
    assert (record.season, record.year) == (Season.SPRING, 2015)
    assert record.score is not None and (record.score.value, record.score.votes) == (8.2, 32256)
    assert (record.rank, record.popularity) == (138, 1911)
    assert record.studios == ("Production I.G", "Madhouse")
    assert record.genres == ("Sports", "School", "Shounen")
    assert record.picture == "https://api-cdn.myanimelist.net/images/anime/9/74398l.jpg"
    assert record.duration_seconds == 1440
    assert record.relations[0].platform_id == PlatformId(Platform.MAL, "18689")
    assert record.relations[0].relation == "prequel"


def test_mal_v2_minimal_anime_fills_only_what_it_has() -> None:
    record = assert_valid_record(
        parse.parse_anime(b'{"id": 1, "title": "Cowboy Bebop"}', fetched_at=FETCHED_AT)
    )
    assert record.fields == {"title"}


def test_mal_v2_search() -> None:
    candidates = parse.parse_search(_bytes(MAL_V2_SEARCH))
    assert [c.platform_id.id for c in candidates] == ["21", "34566"]
    assert candidates[0].picture == "https://api-cdn.myanimelist.net/images/anime/6/73245.jpg"
    assert candidates[1].episodes is None  # MAL writes 0 for "unknown"
    with pytest.raises(ParseError):
        parse.parse_anime(_bytes(MAL_V2_SEARCH), fetched_at=FETCHED_AT)


# ============================================================================================ errors


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (404, b'{"message":"","error":"not_found"}', NotFound),
        (401, b'{"message":"token is invalid","error":"invalid_token"}', AuthRequired),
        (403, b'{"message":"","error":"forbidden"}', AuthRequired),
        (400, b'{"message":"invalid q","error":"bad_request"}', Unavailable),
        (
            404,
            b'{"status":404,"type":"BadResponseException","message":"Resource does not exist",'
            b'"error":"404 on x"}',
            NotFound,
        ),
        (
            429,
            b'{"status":429,"type":"RateLimitException","message":"You are being rate limited","error":null}',
            RateLimited,
        ),
        (
            503,
            b'{"status":503,"type":"ServiceUnavailableException","message":"down","error":null}',
            Unavailable,
        ),
        (500, b"", Unavailable),
    ],
)
def test_error_answers(status: int, body: bytes, error: type[Exception]) -> None:
    found = parse.detect_error(status, body, headers={"Retry-After": "7"})
    assert isinstance(found, error)
    if isinstance(found, RateLimited):
        assert found.retry_after == 7.0
    if body.startswith(b"{"):
        with pytest.raises(error):
            parse.parse_anime(body, fetched_at=FETCHED_AT)


def test_challenge_page_is_blocked() -> None:
    from anime_mcp.core.errors import Blocked

    page = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>"
    assert isinstance(parse.detect_error(403, page), Blocked)
    with pytest.raises(Blocked):
        parse.parse_anime(page, fetched_at=FETCHED_AT)


def test_normal_documents_are_not_errors() -> None:
    assert parse.detect_error(200, fixture(JIKAN_ANIME)) is None
    assert parse.detect_error(200, _bytes(MAL_V2_ANIME)) is None


@pytest.mark.parametrize("relative", fixtures("myanimelist/**/*.*"))
def test_myanimelist_pages_and_legacy_xml_are_typed_errors_for_the_api_parser(relative: str) -> None:
    # Web pages (for the scraper to come) and the long-dead XML API are not API JSON: a clear ParseError.
    with pytest.raises(ParseError):
        parse.parse_anime(fixture(relative), fetched_at=FETCHED_AT)


def test_jikan_titles_keep_their_languages() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(JIKAN_FULL), fetched_at=FETCHED_AT))
    # titles: Default "Cowboy Bebop", Japanese "カウボーイビバップ", English "Cowboy Bebop"
    assert [(t.language, t.text, t.kind) for t in record.localized_titles] == [
        ("ja-Latn", "Cowboy Bebop", "main"),
        ("ja", "カウボーイビバップ", "official"),
        ("en", "Cowboy Bebop", "official"),
    ]
    assert [s.language for s in record.synopses] == ["en"]
