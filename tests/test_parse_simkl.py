"""Simkl API parsers against the recordings in ../shared/fixtures/simkl (``api_*`` files; ``web_*`` pages
are for the scraper to come). The error bodies have no recording: they are written from Simkl's documented
error shape ``{"error": ..., "code": ..., "message": ...}``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, RateLimited
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.simkl import parse

require_fixtures()

EXTENDED = "simkl/anime/api_anime_40398_hunter-x-hunter_extended.json"
SUMMARY = "simkl/anime/api_anime_40398_hunter-x-hunter_summary.json"
SEARCH = "simkl/search/api_search-anime_hunter-x-hunter_extended.json"
BEST = "simkl/search/api_anime-best.json"
EPISODES = "simkl/episodes/api_anime-episodes_shingeki-no-kyojin.json"


def test_extended_anime() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(EXTENDED), fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.SIMKL, "40398")
    assert record.url == "https://simkl.com/anime/40398"
    assert record.title == "Hunter x Hunter"
    assert {"HUNTERxHUNTER", "HxH 2011"} <= set(record.titles)
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 148, Status.FINISHED)
    assert (record.start_date, record.season, record.year) == (dt.date(2011, 10, 2), Season.FALL, 2011)
    assert record.score is not None
    assert (record.score.value, record.score.scale, record.score.votes) == (8.9, 10.0, 1060)  # Simkl's own
    assert record.rank == 3
    assert record.genres[:2] == ("Action", "Adventure")
    assert record.picture == "https://simkl.in/posters/47/4724614865ae6564c_m.jpg"
    assert record.duration_seconds == 25 * 60
    assert record.synopsis is not None and "<br>" not in record.synopsis
    assert record.cross_ids == (
        PlatformId(Platform.MAL, "11061"),
        PlatformId(Platform.ANIDB, "8550"),
        PlatformId(Platform.ANN, "13262"),
    )


def test_summary_anime_fills_little() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(SUMMARY), fetched_at=FETCHED_AT))
    assert record.fields == {"title", "year"}
    assert (record.title, record.year) == ("Hunter x Hunter", 2011)


def test_search_and_best_lists() -> None:
    found = parse.parse_search(fixture(SEARCH))
    assert [(c.platform_id.id, c.title) for c in found][1] == ("40695", "Hunter x Hunter: Greed Island")
    assert found[0].platform_id.id == "37720"
    first = found[0]
    assert (first.title, first.type, first.year, first.episodes) == (
        "Hunter x Hunter: Greed Island Final",
        AnimeType.OVA,
        2004,
        14,
    )
    assert "Greed Island Final" in first.titles and first.score is not None and first.score.value == 8.2
    best = parse.parse_search(fixture(BEST))
    assert len(best) == 60
    assert (best[0].platform_id.id, best[0].title) == ("41586", "Hagane no Renkinjutsushi")


def test_episodes() -> None:
    page = parse.parse_episodes(fixture(EPISODES))
    assert len(page.items) == 38 and page.next_url is None
    first = page.items[0]
    assert first.number == 1 and first.title is not None and first.title.startswith("To You, 2000 Years")
    assert first.aired == dt.date(2013, 4, 7)
    assert first.aired_at == dt.datetime(2013, 4, 6, 16, 58, tzinfo=dt.UTC)
    assert {e.kind for e in page.items} == {"regular", "special"}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, b'{"error":"client_id_failed","code":401,"message":"Unauthorized client id"}', AuthRequired),
        (404, b'{"error":"not_found","code":404,"message":"Not found"}', NotFound),
        (429, b'{"error":"rate_limited","code":429,"message":"Slow down"}', RateLimited),
    ],
)
def test_error_answers(status: int, body: bytes, error: type[Exception]) -> None:
    assert isinstance(parse.detect_error(status, body), error)
    with pytest.raises(error):
        parse.parse_anime(body, fetched_at=FETCHED_AT)


def test_empty_answers() -> None:
    for body in (b"null", b"[]", b"{}"):
        with pytest.raises(NotFound):
            parse.parse_anime(body, fetched_at=FETCHED_AT)
    assert parse.parse_search(b"[]") == []
    assert parse.detect_error(200, fixture(EXTENDED)) is None


@pytest.mark.parametrize("relative", fixtures("simkl/anime/web_*.html"))
def test_web_pages_are_typed_errors_for_the_api_parser(relative: str) -> None:
    with pytest.raises(ParseError):
        parse.parse_anime(fixture(relative), fetched_at=FETCHED_AT)
