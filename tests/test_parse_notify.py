"""notify.moe API parsers against the recordings in ../shared/fixtures/notify.

There is no recorded notify.moe error answer; the "not found" bodies below are generic.
"""

from __future__ import annotations

import datetime as dt

import pytest
from parser_support import FETCHED_AT, assert_valid_record, fixture, fixtures, require_fixtures

from anime_mcp.core.errors import NotFound, Unavailable
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.notify import parse

require_fixtures()

DEATH_NOTE = "notify/anime/anime_0-A-5Fimg_death-note.json"


@pytest.mark.parametrize("relative", fixtures("notify/anime/*.json"))
def test_every_recorded_anime_parses(relative: str) -> None:
    record = assert_valid_record(parse.parse_anime(fixture(relative), fetched_at=FETCHED_AT))
    assert record.platform_id.platform is Platform.NOTIFY
    assert relative.startswith(f"notify/anime/anime_{record.platform_id.id}_")
    assert "studios" not in record.fields  # notify.moe lists company ids only


def test_death_note() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(DEATH_NOTE), fetched_at=FETCHED_AT))
    assert record.platform_id == PlatformId(Platform.NOTIFY, "0-A-5Fimg")
    assert record.url == "https://notify.moe/anime/0-A-5Fimg"
    assert record.title == "Death Note"
    assert set(record.titles) == {"デスノート", "ですのーと", "DN"}
    assert (record.type, record.episodes, record.status) == (AnimeType.TV, 37, Status.FINISHED)
    assert (record.start_date, record.end_date) == (dt.date(2006, 10, 4), dt.date(2007, 6, 27))
    assert (record.season, record.year) == (Season.FALL, 2006)
    assert record.score is not None
    assert (round(record.score.value, 2), record.score.scale, record.score.votes) == (8.62, 10.0, 1361)
    assert record.genres == ("Mystery", "Police", "Psychological", "Supernatural", "Thriller")
    assert record.picture == "https://media.notify.moe/images/anime/large/0-A-5Fimg.png"
    assert record.duration_seconds == 23 * 60
    assert set(record.cross_ids) == {
        PlatformId(Platform.MAL, "1535"),
        PlatformId(Platform.ANILIST, "1535"),
        PlatformId(Platform.ANIDB, "4563"),
        PlatformId(Platform.KITSU, "1376"),
    }


def test_edge_cases() -> None:
    def record(name: str) -> object:
        return assert_valid_record(parse.parse_anime(fixture(f"notify/anime/{name}"), fetched_at=FETCHED_AT))

    upcoming = record("anime_xnKYKwHVg_bartender-kami-no-glass_upcoming.json")
    assert upcoming.status is Status.UPCOMING and upcoming.episodes is None  # type: ignore[attr-defined]
    assert (upcoming.year, upcoming.season, upcoming.start_date) == (2024, Season.SPRING, None)  # type: ignore[attr-defined]
    assert upcoming.score is None  # type: ignore[attr-defined]  # unrated
    tba = record("anime_DCzg6xMnR_beastars-final-season_tba.json")
    assert tba.status is Status.UNKNOWN and tba.year == 2024 and tba.season is None  # type: ignore[attr-defined]
    current = record("anime_CqN9Rja7R_kimetsu-katanakaji-no-sato_current.json")
    assert current.status is Status.ONGOING and current.episodes is None and current.end_date is None  # type: ignore[attr-defined]
    nulls = record("anime_rTgwpFmmg_kobutori-1957_nulls.json")
    assert "genres" not in nulls.fields and nulls.score is None  # type: ignore[attr-defined]
    music = record("anime_Ff1bpKmmR_0_music.json")
    assert music.title == '"0"' and music.type is AnimeType.SPECIAL  # type: ignore[attr-defined]


def test_relations() -> None:
    relations = parse.parse_relations(fixture("notify/relations/animerelations_uLs5tKiig_free.json"))
    assert [(r.relation, r.platform_id) for r in relations][:3] == [
        ("other", PlatformId(Platform.NOTIFY, "vvIppKiiR")),
        ("side story", PlatformId(Platform.NOTIFY, "I2ihtKimg")),
        ("sequel", PlatformId(Platform.NOTIFY, "CsBopKmmR")),
    ]
    assert (
        parse.parse_relations(fixture("notify/relations/animerelations_--eZhFiig_union_items-null.json"))
        == []
    )


def test_error_answers() -> None:
    assert isinstance(parse.detect_error(404, b"Not found"), NotFound)
    assert isinstance(parse.detect_error(502, b""), Unavailable)
    for body in (b"Not found", b"null"):
        with pytest.raises(NotFound):
            parse.parse_anime(body, fetched_at=FETCHED_AT)
    assert parse.detect_error(200, fixture(DEATH_NOTE)) is None


def test_titles_keep_their_languages() -> None:
    record = assert_valid_record(parse.parse_anime(fixture(DEATH_NOTE), fetched_at=FETCHED_AT))
    # "title": {"canonical": "Death Note", "romaji": "Death Note", "english": "Death Note",
    #           "japanese": "デスノート", "hiragana": "ですのーと", "synonyms": ["DN"]}
    assert [(t.language, t.text, t.kind) for t in record.localized_titles] == [
        ("ja-Latn", "Death Note", "main"),
        ("en", "Death Note", "official"),
        ("ja", "デスノート", "official"),
        ("ja-Hira", "ですのーと", "reading"),
        ("und", "DN", "synonym"),
    ]
