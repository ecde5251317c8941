"""Kitsu JSON:API parsers against the recordings in ../shared/fixtures/kitsu.

The recordings hold anime answers only (with genres, categories, productions and relationships
included). Episodes pages, streaming links, mappings and error documents have no recording: the documents
below are written by hand in the shape of Kitsu's published JSON:API documentation
(https://kitsu.docs.apiary.io: ``/anime/{id}/episodes`` with ``links.next``,
``/anime/{id}/streaming-links?include=streamer``, ``include=mappings``, ``{"errors": [...]}``).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import AuthRequired, NotFound, RateLimited, Unavailable
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.kitsu import parse

require_fixtures()

DEATH_NOTE = "kitsu/anime/anime_1376_death-note.json"
DEAD = "kitsu/error/dead-entry_49936_empty-data.json"
URL = "https://kitsu.app/api/edge/anime?filter[id]=1376&include=categories,genres"

# Hand-written in the shape of Kitsu's documentation: not recordings.
EPISODES_PAGE = {
    "data": [
        {
            "id": "63217",
            "type": "episodes",
            "attributes": {
                "canonicalTitle": "Rebirth",
                "titles": {"en_jp": "Shinsei", "en_us": "Rebirth", "ja_jp": "新生"},
                "number": 1,
                "seasonNumber": 1,
                "relativeNumber": 1,
                "synopsis": "Light Yagami finds the Death Note.",
                "airdate": "2006-10-04",
                "length": 23,
            },
        },
        {
            "id": "63218",
            "type": "episodes",
            "attributes": {"canonicalTitle": None, "number": 2, "airdate": None},
        },
    ],
    "meta": {"count": 37},
    "links": {
        "first": "https://kitsu.app/api/edge/anime/1376/episodes?page%5Blimit%5D=2&page%5Boffset%5D=0",
        "next": "https://kitsu.app/api/edge/anime/1376/episodes?page%5Blimit%5D=2&page%5Boffset%5D=2",
        "last": "https://kitsu.app/api/edge/anime/1376/episodes?page%5Blimit%5D=2&page%5Boffset%5D=36",
    },
}
STREAMING_LINKS = {
    "data": [
        {
            "id": "201",
            "type": "streamingLinks",
            "attributes": {
                "url": "http://www.hulu.com/death-note",
                "subs": ["en"],
                "dubs": ["ja", "en"],
                "regions": ["us", "CA", None],
            },
            "relationships": {"streamer": {"data": {"type": "streamers", "id": "1"}}},
        },
        {
            "id": "202",
            "type": "streamingLinks",
            "attributes": {"url": "https://www.netflix.com/title/70204970"},
        },
    ],
    "included": [{"id": "1", "type": "streamers", "attributes": {"siteName": "Hulu"}}],
}


def _with_mappings() -> bytes:
    doc = json.loads(fixture(DEATH_NOTE))
    doc["data"][0]["relationships"]["mappings"] = {
        "data": [
            {"type": "mappings", "id": "m1"},
            {"type": "mappings", "id": "m2"},
            {"type": "mappings", "id": "m3"},
        ]
    }
    doc["included"] += [
        {
            "id": "m1",
            "type": "mappings",
            "attributes": {"externalSite": "myanimelist/anime", "externalId": "1535"},
        },
        {"id": "m2", "type": "mappings", "attributes": {"externalSite": "anidb", "externalId": "4563"}},
        {
            "id": "m3",
            "type": "mappings",
            "attributes": {"externalSite": "thetvdb/series", "externalId": "79481"},
        },
    ]
    return json.dumps(doc).encode()


@pytest.mark.parametrize("relative", fixtures("kitsu/anime/*.json"))
def test_every_recorded_anime_parses(relative: str) -> None:
    kitsu_id = relative.split("_")[1]
    record = assert_valid_record(
        parse.parse_anime(
            fixture(relative),
            url=f"https://kitsu.app/api/edge/anime?filter[id]={kitsu_id}",
            fetched_at=FETCHED_AT,
        )
    )
    assert record.platform_id == PlatformId(Platform.KITSU, kitsu_id)
    assert record.title


def test_death_note() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(DEATH_NOTE), url=URL, fetched_at=FETCHED_AT))
    assert record.url == "https://kitsu.app/anime/1376"
    assert record.title == "Death Note"
    assert record.titles == ("デスノート", "DN")
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 37, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(2006, 10, 4), dt.date(2007, 6, 27))
    assert (record.season, record.year) == (Season.FALL, 2006)
    assert record.score is not None
    assert (record.score.value, record.score.scale, record.score.votes) == (83.29, 100.0, 319240)
    assert (record.rank, record.popularity) == (56, 6)
    assert record.studios == ("MADHOUSE",)  # "MADHOUSE" and "Madhouse" rows are one studio
    assert set(record.genres) == {"Mystery", "Supernatural", "Police", "Psychological", "Thriller"}
    assert "Japan" in record.tags
    assert record.picture == "https://media.kitsu.app/anime/poster_images/1376/original.png"
    assert record.duration_seconds == 23 * 60
    summary = next(r for r in record.relations if r.relation == "summary")
    assert (
        summary.platform_id == PlatformId(Platform.KITSU, "2707") and summary.title == "Death Note: Rewrite"
    )
    manga = next(r for r in record.relations if r.media == "manga")
    assert manga.platform_id is None and manga.url == "https://kitsu.app/manga/57"
    assert {"cross_ids", "streaming"}.isdisjoint(record.fields)  # not included in the request


def test_mappings_become_cross_ids() -> None:
    record = assert_valid_record(parse.parse_anime(_with_mappings(), url=URL, fetched_at=FETCHED_AT))
    assert record.cross_ids == (PlatformId(Platform.MAL, "1535"), PlatformId(Platform.ANIDB, "4563"))


def test_edge_cases() -> None:
    bare = assert_valid_record(
        parse.parse_anime(fixture("kitsu/anime/anime_45567_a-pawn_no-included.json"), fetched_at=FETCHED_AT)
    )
    assert bare.genres == () and bare.studios == ()  # empty relationship data: Kitsu said "none"
    no_score = parse.parse_anime(
        fixture("kitsu/anime/anime_44117_fei-ren-zai-4_no-score.json"), fetched_at=FETCHED_AT
    )
    assert no_score.score is None and "score" not in no_score.fields
    null_status = parse.parse_anime(
        fixture("kitsu/anime/anime_42059_haikyuu-to-the-top_status-null.json"), fetched_at=FETCHED_AT
    )
    assert null_status.status is None
    tba = parse.parse_anime(
        fixture("kitsu/anime/anime_49913_heroine-seijo-all-works-maid_tba.json"), fetched_at=FETCHED_AT
    )
    assert tba.status is Status.UNKNOWN and tba.start_date is None
    airing = parse.parse_anime(fixture("kitsu/anime/anime_12_one-piece_current.json"), fetched_at=FETCHED_AT)
    assert airing.status is Status.ONGOING and airing.episodes is None
    music = parse.parse_anime(fixture("kitsu/anime/anime_11791_nirvana_music.json"), fetched_at=FETCHED_AT)
    assert music.type is AnimeType.SPECIAL
    doraemon = parse.parse_anime(
        fixture("kitsu/anime/anime_5443_doraemon-2005_current.json"), fetched_at=FETCHED_AT
    )
    assert doraemon.studios == ("Studio Pierrot", "Shin-Ei Animation")
    twice = parse.parse_anime(
        fixture("kitsu/anime/anime_11913_mahoutsukai-no-yome-hoshi-matsu-hito_ova.json"),
        fetched_at=FETCHED_AT,
    )
    assert twice.studios == ("Wit Studio",)


def test_deleted_entry_is_not_found() -> None:
    with pytest.raises(NotFound):
        parse.parse_anime(fixture(DEAD), fetched_at=FETCHED_AT)
    assert parse.parse_search(fixture(DEAD)) == []


def test_search_candidates() -> None:
    (candidate,) = parse.parse_search(fixture(DEATH_NOTE))
    assert candidate.platform_id == PlatformId(Platform.KITSU, "1376")
    assert (candidate.title, candidate.year, candidate.episodes) == ("Death Note", 2006, 37)


def test_episodes_page_follows_links_next() -> None:
    page = parse.parse_episodes(json.dumps(EPISODES_PAGE).encode())
    assert page.next_url == EPISODES_PAGE["links"]["next"]  # type: ignore[index]
    assert page.total == 37
    first, second = page.items
    assert (first.number, first.title, first.aired, first.duration_seconds) == (
        1,
        "Rebirth",
        dt.date(2006, 10, 4),
        1380,
    )
    assert set(first.titles) == {"Shinsei", "新生"}
    assert (second.number, second.title, second.aired) == (2, None, None)
    last = dict(EPISODES_PAGE, links={"first": "x"})
    assert parse.parse_episodes(json.dumps(last).encode()).next_url is None


def test_streaming_links() -> None:
    hulu, netflix = parse.parse_streaming_links(json.dumps(STREAMING_LINKS).encode())
    assert (hulu.service, hulu.url, hulu.subtitles, hulu.dubs) == (
        "Hulu",
        "http://www.hulu.com/death-note",
        ("en",),
        ("ja", "en"),
    )
    assert hulu.regions == ("US", "CA") and netflix.regions == ()  # Kitsu's regions, upper-cased
    assert netflix.service == "www.netflix.com"  # no streamer included: the host names the service


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (
            404,
            b'{"errors":[{"title":"Record not found","detail":"The record identified by 999999 could not be '
            b'found.","code":"404","status":"404"}]}',
            NotFound,
        ),
        (429, b'{"errors":[{"title":"Too Many Requests","status":"429"}]}', RateLimited),
        (401, b'{"errors":[{"title":"Invalid token","status":"401"}]}', AuthRequired),
        (500, b'{"errors":[{"title":"Internal Server Error","status":"500"}]}', Unavailable),
        (502, b"<html><body>Bad gateway</body></html>", Unavailable),
    ],
)
def test_error_answers(status: int, body: bytes, error: type[Exception]) -> None:
    assert isinstance(parse.detect_error(status, body), error)
    if body.startswith(b"{"):
        with pytest.raises(error):
            parse.parse_anime(body, fetched_at=FETCHED_AT)


def test_normal_answer_is_no_error() -> None:
    assert parse.detect_error(200, fixture(DEATH_NOTE)) is None


def test_titles_keep_their_languages() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(DEATH_NOTE), fetched_at=FETCHED_AT))
    # "titles": {"en": "Death Note", "en_jp": "Death Note", "en_us": "Death Note", "ja_jp": "デスノート"},
    # "canonicalTitle": "Death Note", "abbreviatedTitles": ["DN"]
    assert [(t.language, t.text, t.kind) for t in record.localized_titles] == [
        ("en", "Death Note", "main"),
        ("ja-Latn", "Death Note", "official"),
        ("ja", "デスノート", "official"),
        ("und", "DN", "synonym"),
    ]
    assert [s.language for s in record.synopses] == ["en"] and record.synopses[0].text == record.synopsis
