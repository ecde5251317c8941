"""Anime-Planet and LiveChart.me pages parsed into records, checked against values read by hand from every
recorded page (title, type, episodes, start year, score in the site's own scale), plus the fields each page
kind is there for (dead entries, missing JSON-LD, Cloudflare-hidden names, upcoming and ongoing entries)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest

from anime_mcp.adapters.scraping import decode_cf_email
from anime_mcp.core.errors import Blocked, NotFound, ParseError
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import Rating, StreamingLink
from anime_mcp.plugins.sources.animeplanet import parse as animeplanet
from anime_mcp.plugins.sources.livechart import parse as livechart
from tests.shared_data import FIXTURES, require_shared

NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    b"<script>window._cf_chl_opt={cvId:'3'};</script></body></html>"
)
T, MOVIE, OVA, ONA, SPECIAL, UNKNOWN = (
    AnimeType.TV,
    AnimeType.MOVIE,
    AnimeType.OVA,
    AnimeType.ONA,
    AnimeType.SPECIAL,
    AnimeType.UNKNOWN,
)


def page(path: str) -> bytes:
    return require_shared(FIXTURES / path).read_bytes()


Row = tuple[str, str, AnimeType, int | None, int | None, tuple[float, int] | None]

# file, slug, title, type, episodes, start year, (stars out of 5, votes)
ANIME_PLANET: list[Row] = [
    ("ahiru-rikusentai_no-studios", "Ahiru Rikusentai", MOVIE, 1, 1940, (2.827, 91)),
    ("black-jack-heian-sento_movie", "Black Jack: Heian Sento", MOVIE, 1, 2000, (3.198, 114)),
    (
        "code-geass-lelouch-of-the-rebellion-r2",
        "Code Geass: Lelouch of the Rebellion R2",
        T,
        25,
        2008,
        (4.469, 59231),
    ),
    ("demon-slayer-kimetsu-no-yaiba", "Demon Slayer: Kimetsu no Yaiba", T, 26, 2019, (4.484, 62080)),
    ("detective-conan_ongoing", "Detective Conan", T, None, 1996, (3.985, 12681)),
    ("dog-signal_no-picture", "Dog Signal", T, None, 2023, None),
    ("hanamonogatari_tv-special", "Hanamonogatari", SPECIAL, 5, 2014, (4.046, 6838)),
    ("mainichi-jk-kikaku_no-tags", "Mainichi JK Kikaku", SPECIAL, None, None, None),
    ("malice-doll_email-protected", "Malice@Doll", OVA, 3, 2001, (2.513, 348)),
    (
        "mobile-suit-gundam-ii-soldiers-of-sorrow_movie",
        "Mobile Suit Gundam II: Soldiers of Sorrow",
        MOVIE,
        1,
        1981,
        (3.652, 1712),
    ),
    (
        "natsumes-book-of-friends-season-6-specials_dvd-special",
        "Natsume's Book of Friends Season 6 Specials",
        SPECIAL,
        2,
        2017,
        (4.321, 1612),
    ),
    ("planetarian_web", "Planetarian", ONA, 5, 2016, (3.802, 2558)),
    ("shelter_music-video", "Shelter", SPECIAL, 1, 2016, (4.233, 9342)),
    ("solo-leveling_upcoming", "Solo Leveling", T, None, 2024, None),
    ("the-elder-sister-like-one_tba", "The Elder Sister-Like One", OVA, None, None, None),
    ("the-idolmaster-million-live_no-jsonld", "The iDOLM@STER Million Live!", T, None, 2023, None),
]


@pytest.mark.parametrize("row", ANIME_PLANET, ids=lambda row: row[0])
def test_anime_planet_pages_read_as_a_person_reads_them(row: Row) -> None:
    name, title, kind, episodes, year, score = row
    record = animeplanet.parse_anime(page(f"animeplanet/anime/anime_{name}.html"), fetched_at=NOW)
    slug = name.split("_", maxsplit=1)[0]
    assert record.platform_id == PlatformId(Platform.ANIMEPLANET, slug)
    assert (record.title, record.type, record.episodes, record.year) == (title, kind, episodes, year)
    assert record.score == (Rating(score[0], 5.0, score[1]) if score else None)
    assert record.url == f"https://anime-planet.com/anime/{slug}"


def test_every_anime_planet_page_is_in_the_table() -> None:
    recorded = {p.name for p in (FIXTURES / "animeplanet/anime").glob("*.html")}
    assert recorded == {f"anime_{row[0]}.html" for row in ANIME_PLANET}


def test_anime_planet_gives_the_details_of_an_entry() -> None:
    record = animeplanet.parse_anime(
        page("animeplanet/anime/anime_code-geass-lelouch-of-the-rebellion-r2.html"), fetched_at=NOW
    )
    assert record.titles == ("Code Geass: Hangyaku no Lelouch R2",)
    assert (record.start_date, record.end_date) == (dt.date(2008, 4, 6), dt.date(2008, 9, 28))
    assert (record.season, record.status, record.rank) == (Season.SPRING, Status.FINISHED, 24)
    assert record.studios == ("Sunrise",)
    assert record.tags[:3] == ("Mecha", "Sci Fi", "Conspiracy") and len(record.tags) == 15
    assert record.synopsis is not None and record.synopsis.startswith(
        "Area 11 is still under Britannian rule"
    )
    assert "’" in record.synopsis  # &rsquo; decoded
    assert (
        record.picture is not None
        and "/anime/primary/code-geass-lelouch-of-the-rebellion-r2-1" in record.picture
    )
    prequel = record.relations[0]
    assert (prequel.relation, prequel.title) == ("prequel", "Code Geass: Lelouch of the Rebellion")
    assert prequel.platform_id == PlatformId(Platform.ANIMEPLANET, "code-geass-lelouch-of-the-rebellion")


def test_anime_planet_edge_cases() -> None:
    def parsed(name: str):  # type: ignore[no-untyped-def]
        return animeplanet.parse_anime(page(f"animeplanet/anime/anime_{name}.html"), fetched_at=NOW)

    conan = parsed("detective-conan_ongoing")  # "1081+ eps", "1996 - ?": airing, no final count
    assert (conan.status, conan.episodes, conan.titles) == (
        Status.ONGOING,
        None,
        ("Case Closed", "Meitantei Conan"),
    )
    assert conan.studios == ("V1 Studio", "TMS Entertainment")
    assert parsed("dog-signal_no-picture").picture is None  # the default picture is no picture
    assert parsed("ahiru-rikusentai_no-studios").studios == ()
    assert parsed("ahiru-rikusentai_no-studios").duration_seconds == 13 * 60
    assert parsed("mobile-suit-gundam-ii-soldiers-of-sorrow_movie").duration_seconds == 135 * 60
    assert parsed("mainichi-jk-kikaku_no-tags").tags == ()
    assert parsed("the-elder-sister-like-one_tba").status is Status.UPCOMING
    idolmaster = parsed("the-idolmaster-million-live_no-jsonld")  # no JSON-LD: the page says it all
    assert (idolmaster.season, idolmaster.studios, idolmaster.synopsis) == (Season.FALL, ("Shirogumi",), None)
    assert idolmaster.tags == ("Idols", "Music", "Showbiz", "CG Animation")
    assert decode_cf_email("d994b8b5b0babc999db6b5b5") == "Malice@Doll"


def test_an_anime_planet_dead_entry_is_not_found() -> None:
    body = page("animeplanet/error/dead-entry_search-results-komi-san.html")
    with pytest.raises(NotFound):
        animeplanet.parse_anime(body, fetched_at=NOW)
    assert isinstance(animeplanet.detect_error(200, body), NotFound)
    assert animeplanet.detect_error(200, page("animeplanet/anime/anime_planetarian_web.html")) is None


# file, id, title, type, episodes, start year, (score out of 10, votes)
LIVECHART: list[Row] = [
    (
        "10384_tomodachi-no-imouto_not-yet-released",
        "Tomodachi no Imouto ga Ore ni dake Uzai",
        T,
        None,
        None,
        None,
    ),
    ("10429_shikaru-neko_tv-short", "Shikaru Neko", T, None, 2021, None),
    ("10959_kyouki-sanmyaku-pilot_no-tags", "Kyouki Sanmyaku: Naked Peak (Pilot)", ONA, 1, 2023, None),
    (
        "11084_kimetsu-katanakaji-no-sato",
        "Kimetsu no Yaiba: Katanakaji no Sato-hen",
        T,
        11,
        2023,
        (8.71, 4030),
    ),
    ("11982_girls-band-cry_type-unknown", "GIRLS BAND CRY", UNKNOWN, None, None, None),
    (
        "11988_yarinaoshi-reijou_tba",
        "Yarinaoshi Reijou wa Ryuutei Heika wo Kouryakuchuu",
        UNKNOWN,
        None,
        None,
        None,
    ),
    (
        "2685_yuri-on-ice-movie_canceled-no-season",
        "Yuri!!! on ICE the Movie: Ice Adolescence",
        MOVIE,
        None,
        None,
        None,
    ),
    ("321_one-piece_ongoing", "One Piece", T, None, 1999, (9.10, 8352)),
    ("3437_death-note", "Death Note", T, 37, 2006, (8.66, 6896)),
    (
        "5926_kidou-senshi-gundam-ii_movie",
        "Kidou Senshi Gundam II: Ai Senshi-hen",
        MOVIE,
        None,
        1981,
        (7.67, 80),
    ),
    ("6239_kyou-kara-ore-wa_ova", "Kyou kara Ore wa!!", OVA, 10, 1992, (7.78, 52)),
    ("6767_black-jack-heian-sento_movie", "Black Jack: Heian Sento", MOVIE, None, 1996, None),
    (
        "8081_love-live-final-opening-animation_special-chars",
        "Love Live! μ's Final Love Live! Opening Animation",
        SPECIAL,
        1,
        2016,
        None,
    ),
    ("8435_namakura-gatana_no-studios", "Namakura Gatana", MOVIE, None, 1917, (7.52, 103)),
    ("8695_miru-tights_web-short", "Miru Tights", ONA, 12, 2019, (7.26, 653)),
]


@pytest.mark.parametrize("row", LIVECHART, ids=lambda row: row[0])
def test_livechart_pages_read_as_a_person_reads_them(row: Row) -> None:
    name, title, kind, episodes, year, score = row
    record = livechart.parse_anime(page(f"livechart/anime/anime_{name}.html"), fetched_at=NOW)
    assert record.platform_id == PlatformId(Platform.LIVECHART, name.split("_", maxsplit=1)[0])
    assert (record.title, record.type, record.episodes, record.year) == (title, kind, episodes, year)
    assert record.score == (Rating(score[0], 10.0, score[1]) if score else None)


def test_every_livechart_page_is_in_the_table() -> None:
    recorded = {p.name for p in (FIXTURES / "livechart/anime").glob("*.html")}
    assert recorded == {f"anime_{row[0]}.html" for row in LIVECHART}


def test_livechart_gives_the_details_of_an_entry() -> None:
    record = livechart.parse_anime(page("livechart/anime/anime_3437_death-note.html"), fetched_at=NOW)
    assert record.titles == ("デスノート",)
    assert {(t.language, t.text) for t in record.localized_titles} == {
        ("ja-Latn", "Death Note"),
        ("ja", "デスノート"),
    }
    assert (record.start_date, record.season, record.status) == (
        dt.date(2006, 10, 3),
        Season.FALL,
        Status.FINISHED,
    )
    assert (record.studios, record.duration_seconds) == (("MADHOUSE",), 23 * 60)
    assert record.genres == ("Detective", "Mystery", "Psychological", "Supernatural", "Suspense")
    assert record.tags == ("Shounen",)  # the chips beyond the genres
    assert record.synopsis is not None and "the book's claim is true" in record.synopsis
    assert (
        record.picture
        == "https://u.livechart.me/anime/3437/poster_image/ea9acd1ccea844fd9c4debde5e8e631e.png/large.jpg"
    )
    assert {str(pid) for pid in record.cross_ids} >= {"mal:1535", "anilist:1535", "anidb:4563", "kitsu:1376"}
    assert [(r.title, str(r.platform_id)) for r in record.relations] == [
        ("Death Note: Rewrite", "livechart:3808")
    ]


def test_livechart_edge_cases() -> None:
    def parsed(name: str):  # type: ignore[no-untyped-def]
        return livechart.parse_anime(page(f"livechart/anime/anime_{name}.html"), fetched_at=NOW)

    kimetsu = parsed("11084_kimetsu-katanakaji-no-sato")
    assert kimetsu.streaming == (
        StreamingLink("Crunchyroll", "https://www.crunchyroll.com/series/GY5P48XEY"),
    )
    assert ("en", "Demon Slayer: Kimetsu no Yaiba Swordsmith Village Arc") in {
        (t.language, t.text) for t in kimetsu.localized_titles
    }
    one_piece = parsed("321_one-piece_ongoing")
    assert (one_piece.status, one_piece.episodes) == (Status.ONGOING, None)
    assert "ProSieben MAXX" in {s.service for s in one_piece.streaming}
    assert parsed("10384_tomodachi-no-imouto_not-yet-released").status is Status.UPCOMING
    assert parsed("10429_shikaru-neko_tv-short").duration_seconds == 30
    assert parsed("10959_kyouki-sanmyaku-pilot_no-tags").duration_seconds == 4 * 60 + 32
    assert parsed("10959_kyouki-sanmyaku-pilot_no-tags").tags == ()
    assert parsed("5926_kidou-senshi-gundam-ii_movie").duration_seconds == 2 * 3600 + 15 * 60
    yuri = parsed("2685_yuri-on-ice-movie_canceled-no-season")  # canceled: no status we have a word for
    assert (yuri.status, yuri.season, yuri.start_date) == (None, None, None)
    assert parsed("8435_namakura-gatana_no-studios").studios == ()
    assert (
        parsed("8081_love-live-final-opening-animation_special-chars").picture is None
    )  # the default poster
    black_jack = parsed("6767_black-jack-heian-sento_movie")  # premiere "1996": a year, no date
    assert (black_jack.start_date, black_jack.year) == (None, 1996)


def test_a_livechart_excluded_entry_is_not_found() -> None:
    body = page("livechart/error/anime_1_excluded-from-database.html")
    with pytest.raises(NotFound):
        livechart.parse_anime(body, fetched_at=NOW)
    assert isinstance(livechart.detect_error(200, body), NotFound)
    assert livechart.detect_error(200, page("livechart/anime/anime_3437_death-note.html")) is None


@pytest.mark.parametrize("parser", [animeplanet.parse_anime, livechart.parse_anime])
def test_challenge_pages_are_blocked_and_other_pages_a_parse_error(parser) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Blocked):
        parser(CHALLENGE, fetched_at=NOW)
    with pytest.raises(ParseError):
        parser(b"<html><body><p>nothing here</p></body></html>", fetched_at=NOW)
    with pytest.raises(ParseError):
        parser(page("anidb/anime/web_anime_4563_death-note.html"), fetched_at=NOW)


def test_a_truncated_page_is_read_or_refused_never_crashes() -> None:
    body = page("livechart/anime/anime_3437_death-note.html")
    for cut in (100, 5_000, 20_000, len(body) // 2):
        with contextlib.suppress(ParseError):
            livechart.parse_anime(body[:cut], fetched_at=NOW)
