"""The page parsers of aniSearch and the web fallbacks (MAL, AniDB, ANN, Simkl) against every recorded page.

The expected values were read off each page by hand (its information block, rating box and heading), not
taken from the parser: title, type, episodes, start year and the score in the site's own scale with its
votes. Every recorded page of these platforms is here, or in ``NOT_PARSED_HERE`` with its reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from shared_data import FIXTURES, require_shared

from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError, SourceError
from anime_mcp.core.models import AnimeType, Status
from anime_mcp.core.services.sources import document_family, source_for_document
from anime_mcp.core.sources import LocalizedText, Rating
from anime_mcp.plugins.sources.anidb.source import AnidbSource
from anime_mcp.plugins.sources.anidb_web import parse as anidb_web
from anime_mcp.plugins.sources.anidb_web.source import AnidbWebSource
from anime_mcp.plugins.sources.anisearch import parse as anisearch
from anime_mcp.plugins.sources.ann_web import parse as ann_web
from anime_mcp.plugins.sources.mal.source import MalSource
from anime_mcp.plugins.sources.mal_web import parse as mal_web
from anime_mcp.plugins.sources.mal_web.source import MalWebSource
from anime_mcp.plugins.sources.simkl_web import parse as simkl_web

require_shared(FIXTURES)
NOW = dt.datetime(2026, 6, 26, tzinfo=dt.UTC)
TV, MOVIE, OVA, ONA, SPECIAL, UNKNOWN = (
    AnimeType.TV,
    AnimeType.MOVIE,
    AnimeType.OVA,
    AnimeType.ONA,
    AnimeType.SPECIAL,
    AnimeType.UNKNOWN,
)
# file -> (title, type, episodes, start year, (score, votes) in the site's scale or None)
Expected = tuple[str, AnimeType | None, int | None, int | None, tuple[float, int | None] | None]

ANISEARCH: dict[str, Expected] = {
    "anime_10941_00-08.html": ("00:08", MOVIE, 1, 2014, (2.2, 47)),
    # nobody rated it: JSON-LD's "2.5 from 1 vote" sits beside an empty histogram and 0.00
    "anime_12224_biblia-koshodou-no-jiken-techou_upcoming.html": (
        "Biblia Koshodou no Jiken Techou",
        MOVIE,
        1,
        None,
        None,
    ),
    "anime_12290_ao-no-strada_cm.html": ("Ao no Strada", SPECIAL, 4, 2017, (1.8, 12)),
    "anime_12433_girlish-number-shura_aborted.html": ("Girlish Number Shura", TV, None, None, (3.7, 5)),
    "anime_13250_air-memories-misuzu_tv-special.html": ("Air: Soushuuhen", SPECIAL, 1, 2005, (2.7, 44)),
    "anime_13270_sakkai-eightraid_canceled.html": ("Sakkai Eightraid", ONA, 1, 2019, None),
    "anime_16578_kijin-gentou-shou_episodes-unknown.html": ("Kijin Gentou Shou", UNKNOWN, None, None, None),
    "anime_16925_ayakashi-triangle_on-hold.html": ("Ayakashi Triangle", TV, 12, 2023, (2.9, 145)),
    "anime_1721_case-closed_ongoing.html": ("Meitantei Conan", TV, 1100, 1996, (3.7, 4200)),
    "anime_20713_golden-kamuy-shimaenaga_no-picture.html": ("Golden Kamuy: Shimaenaga", OVA, 1, 2025, None),
    "anime_3135_kyou-kara-ore-wa_ova.html": ("Kyou kara Ore wa!!", OVA, 10, 1992, (3.4, 44)),
    "anime_3633_death-note.html": ("Death Note", TV, 37, 2006, (4.5, 13312)),
    "anime_4410_hack-gu-returner_jsonld-without-name.html": (
        ".hack//G.U. Returner",
        OVA,
        1,
        2007,
        (2.4, 247),
    ),
    "anime_4942_ghost-in-the-shell-2-0.html": ("Koukaku Kidoutai 2.0", MOVIE, 1, 2008, (3.7, 504)),
    "anime_5419_namakura-gatana_no-studios.html": (
        "Namakura Gatana: Hanawa Hekonai Meitou no Maki",
        MOVIE,
        1,
        1917,
        (1.8, 82),
    ),
    "anime_5801_oyako-club_1818-episodes.html": ("Oyako Club", TV, 1818, 1994, (1.8, 10)),
    "anime_602_mobile-suit-gundam-ii_movie.html": (
        "Kidou Senshi Gundam II: Ai Senshi Hen",
        MOVIE,
        1,
        1981,
        (3.0, 122),
    ),
    "anime_9830_aimai-elegy_music-video.html": ("Aimai Elegy", SPECIAL, 1, 2010, (2.9, 35)),
}
MAL: dict[str, Expected] = {
    "anime_10055_black-jack-heian-sento_movie.html": ("Black Jack: Heian Sento", MOVIE, 1, 1996, (6.37, 927)),
    "anime_1091_kidou-senshi-gundam-ii_movie.html": (
        "Kidou Senshi Gundam II: Ai Senshi-hen",
        MOVIE,
        1,
        1981,
        (7.33, 22120),
    ),
    "anime_12393_oyako-club_1818-episodes.html": ("Oyako Club", TV, 1818, 1994, (5.47, 432)),
    "anime_12659_nisoku-hokou_music.html": ("Nisoku Hokou", SPECIAL, 1, 2010, (6.51, 1333)),
    "anime_1535_death-note.html": ("Death Note", TV, 37, 2006, (8.62, 2752183)),
    "anime_1535_death-note_capture2.html": ("Death Note", TV, 37, 2006, (8.62, 2627506)),
    "anime_1575_code-geass.html": ("Code Geass: Hangyaku no Lelouch", TV, 25, 2006, (8.70, 1404199)),
    "anime_16498_shingeki-no-kyojin.html": ("Shingeki no Kyojin", TV, 25, 2013, (8.55, 2803588)),
    "anime_18507_free.html": ("Free!", TV, 12, 2013, (7.33, 441424)),
    "anime_21329_mushishi-hihamukage_tv-special.html": (
        "Mushishi: Hihamukage",
        SPECIAL,
        1,
        2014,
        (8.53, 67832),
    ),
    "anime_28487_ikite-iru_no-genres.html": ("Ikite Iru", OVA, 1, 1996, None),
    "anime_30088_ryoutei-no-aji_episodes-unknown.html": ("Ryoutei no Aji", SPECIAL, None, 2014, (6.74, 688)),
    "anime_30559_why_no-alt-titles.html": ("Why", MOVIE, 1, 1975, (4.70, 250)),
    "anime_31055_tobidasu-pripara_special-chars.html": (
        "Tobidasu PriPara: Mi~nna de Mezase! Idol☆Grand Prix",
        MOVIE,
        1,
        2015,
        (6.73, 496),
    ),
    "anime_38000_kimetsu-no-yaiba.html": ("Kimetsu no Yaiba", TV, 26, 2019, (8.46, 2100562)),
    "anime_38935_miru-tights_ona.html": ("Miru Tights", ONA, 12, 2019, (6.42, 53559)),
    "anime_40393_taka-no-tsumedan-odaman_ongoing.html": (
        "Taka no Tsumedan no Ike! ODAman",
        ONA,
        None,
        2018,
        None,
    ),
    "anime_54915_5-toubun-no-hanayome-special_no-score.html": (
        "5-toubun no Hanayome∽",
        SPECIAL,
        1,
        2023,
        None,
    ),
    "anime_55571_macross-shinsaku_no-picture.html": (
        "Macross (Shinsaku Animation)",
        UNKNOWN,
        None,
        None,
        None,
    ),
    "anime_55579_seasons-of-blossom_type-unknown.html": ("Seasons of Blossom", UNKNOWN, None, 2024, None),
    "anime_851_kyou-kara-ore-wa_ova.html": ("Kyou kara Ore wa!!", OVA, 10, 1993, (8.06, 11442)),
}
ANIDB: dict[str, Expected] = {
    "web_anime_10137_ikite-iru_no-picture.html": ("Ikite Iru", OVA, None, 1996, None),  # "N/A (2)"
    "web_anime_4563_death-note.html": ("Death Note", TV, 37, 2006, (8.58, 20205)),
    "web_anime_9987_shin-gekijouban-initial-d.html": (
        "Shin Gekijouban Initial D",
        MOVIE,
        3,
        2014,
        (6.88, 351),
    ),
}
ANN: dict[str, Expected] = {
    "web_anime_1375_tokimeki-tonight.html": ("Tokimeki Tonight", TV, 34, 1982, (6.939, 31)),
    "web_anime_182_kaminari-boy-pikkaribee.html": ("Kaminari Boy Pikkaribee", TV, 54, 1967, None),
    "web_anime_19256_yuuki-yuuna-washio-sumi_movie.html": (
        "Yūki Yūna wa Yūsha de Aru: Washio Sumi no Shō",
        MOVIE,
        None,
        2017,
        (7.725, 24),
    ),
    "web_anime_22002_ojamajo-doremi-owarai-gekijou_no-score.html": (
        "Ojamajo Doremi: Owarai Gekijō",
        ONA,
        26,
        2019,
        None,
    ),
    "web_anime_23344_pa-pa-pa-the-movie-perman_special-chars.html": (
        "Pa-Pa-Pa the ★ Movie: Perman",
        None,
        None,
        2003,
        None,
    ),
    "web_anime_23717_aika-special-trial_oav.html": ("AIKa: Special Trial", OVA, None, 1998, None),
    "web_anime_29052_sao-alternative-ggo-2_no-episodes.html": (
        "Sword Art Online Alternative: Gun Gale Online II",
        TV,
        None,
        2024,
        (7.354, 48),
    ),
    "web_anime_301_bubblegum-crash_oav.html": ("Bubblegum Crash", OVA, 3, 1991, (6.342, 382)),
    "web_anime_30584_frank_no-genres.html": ("Frank", OVA, None, 2005, None),
    "web_anime_4874_trinity-blood_no-picture.html": ("Trinity Blood", TV, 24, 2005, (7.266, 3279)),
    "web_anime_5358_namakura-gatana_no-studios.html": ("Namakura Gatana", MOVIE, None, 1917, (5.954, 20)),
    "web_anime_6592_death-note.html": ("Death Note", TV, 37, 2006, (8.771, 13139)),
    "web_anime_7921_miyori-in-the-sacred-forest_special.html": (
        "Miyori in the Sacred Forest",
        SPECIAL,
        None,
        2007,
        (6.892, 88),
    ),
    "web_anime_9701_clannad-after-story.html": ("Clannad After Story", TV, 25, 2008, (9.018, 5398)),
}
SIMKL: dict[str, Expected] = {
    "web_anime_1721823_quanzhi-fashi-vi_no-year.html": ("Quanzhi Fashi VI", ONA, 12, None, (7.5, 45)),
    "web_anime_2257510_burn-the-witch-0-8.html": ("Burn the Witch #0.8", SPECIAL, None, 2023, (7.4, 201)),
    "web_anime_2276538_raise-wa-tanin-ga-ii_ongoing.html": ("Raise wa Tanin ga Ii", TV, 12, 2024, (7.6, 37)),
    "web_anime_2451970_kakuriyo-no-yadomeshi-2_upcoming.html": (
        "Kakuriyo no Yadomeshi",
        TV,
        None,
        2025,
        (10.0, 3),
    ),
    "web_anime_37236_snow-halation_music-video.html": ("Snow Halation", SPECIAL, None, 2010, (7.1, 95)),
    "web_anime_37301_hajime-no-ippo-champion-road_special.html": (
        "Fighting Spirit: Champion Road",
        SPECIAL,
        None,
        2003,
        (8.2, 448),
    ),
    "web_anime_38356_kyou-kara-ore-wa_ova.html": ("Kyou kara Ore wa!!", OVA, 10, 1993, (7.9, 89)),
    "web_anime_39311_ochou-fujin-no-gensou_no-studios.html": (
        "Madame Butterfly's Illusion",
        MOVIE,
        None,
        1940,
        (4.4, 10),
    ),
    "web_anime_40190_death-note.html": ("Death Note", TV, 37, 2006, (8.7, 10355)),
    "web_anime_40927_oyako-club_1818-episodes.html": ("Oyako Club", TV, 1818, 1994, (4.5, 4)),
    "web_anime_41514_seitokai-no-ichizon-lv2_ona.html": (
        "Student Council's Discretion Lv. 2",
        ONA,
        10,
        2012,
        (7.1, 147),
    ),
    "web_anime_642681_kobito-to-ao-mushi_no-picture.html": ("Kobito to Ao Mushi", MOVIE, None, 1950, None),
}
CASES = [
    *((anisearch.parse_anime, "anisearch/anime", name, want, 5.0) for name, want in ANISEARCH.items()),
    *((mal_web.parse_anime, "myanimelist/anime", name, want, 10.0) for name, want in MAL.items()),
    *((anidb_web.parse_anime, "anidb/anime", name, want, 10.0) for name, want in ANIDB.items()),
    *((ann_web.parse_anime, "animenewsnetwork/anime", name, want, 10.0) for name, want in ANN.items()),
    *((simkl_web.parse_anime, "simkl/anime", name, want, 10.0) for name, want in SIMKL.items()),
]
WEB_ERRORS = [
    ("anidb/error/web_anime_14248_deleted-entry.html", NotFound),
    ("anidb/error/web_anime_15422_addition-pending.html", NotFound),
    ("anidb/error/web_anime_15569_adult-content-warning.html", AuthRequired),
    ("anidb/error/web_anime_4906_anti-leech.html", Blocked),
    ("anidb/error/web_nginx-403-forbidden.html", Blocked),
]
# Pages of these platforms that the tables above do not parse, and why (API documents are the API sources').
NOT_PARSED_HERE = {
    "animenewsnetwork/error/reports-masterlist_html-instead-of-xml.html": "not an anime page: see below",
    "anisearch/relations/relations_4942_ghost-in-the-shell-2-0.html": "a relations page: see below",
    "anisearch/relations/relations_10941_00-08_none.html": "a relations page: see below",
}


def read(path: str) -> bytes:
    return (FIXTURES / path).read_bytes()


@pytest.mark.parametrize(("parser", "folder", "name", "want", "scale"), CASES, ids=[c[2] for c in CASES])
def test_each_recorded_page_gives_the_values_read_off_it(
    parser: object, folder: str, name: str, want: Expected, scale: float
) -> None:
    title, kind, episodes, year, score = want
    record = parser(read(f"{folder}/{name}"), fetched_at=NOW)  # type: ignore[operator]
    assert (record.title, record.type, record.episodes, record.year) == (title, kind, episodes, year)
    expected = Rating(value=score[0], scale=scale, votes=score[1]) if score else None
    assert record.score == expected
    assert record.fetched_at == NOW and record.url.startswith("https://")


def test_every_web_page_of_these_platforms_is_parsed_by_a_test() -> None:
    pages = {
        str(p.relative_to(FIXTURES))
        for folder in ("anisearch", "myanimelist", "anidb", "animenewsnetwork", "simkl")
        for p in (FIXTURES / folder).rglob("*.html")
    }
    tested = {f"{c[1]}/{c[2]}" for c in CASES} | {path for path, _ in WEB_ERRORS} | set(NOT_PARSED_HERE)
    assert pages == tested


def test_anisearch_gives_english_and_german_titles_and_synopses() -> None:
    conan = anisearch.parse_anime(read("anisearch/anime/anime_1721_case-closed_ongoing.html"), fetched_at=NOW)
    assert LocalizedText("en", "Case Closed", "official") in conan.localized_titles
    assert LocalizedText("de", "Detektiv Conan", "official") in conan.localized_titles
    assert LocalizedText("ja", "名探偵コナン", "official") in conan.localized_titles
    assert conan.status is Status.ONGOING and conan.studios == ("TMS Entertainment Co., Ltd.",)
    note = anisearch.parse_anime(read("anisearch/anime/anime_3633_death-note.html"), fetched_at=NOW)
    by_language = {s.language: s.text for s in note.synopses}
    assert by_language["en"].startswith("Light Yagami is a high school student")
    assert by_language["de"].startswith("Light Yagami geht in die Highschool")
    assert "Source:" not in by_language["en"]  # the hidden credit line is not part of the text
    assert note.synopsis == by_language["en"]
    assert {"Crime Fiction", "Thriller", "Drama"} <= set(note.genres) and "Detective" in note.tags
    assert note.start_date == dt.date(2006, 10, 4) and note.duration_seconds == 23 * 60
    assert [
        (r.relation, r.title, r.platform_id and r.platform_id.id, r.media) for r in note.relations[1:3]
    ] == [
        ("summary", "Death Note: Relight - Visions of a God", "4441", "anime"),
        ("original work", "Death Note", None, "manga"),
    ]


def test_anisearch_relations_pages() -> None:
    found = anisearch.parse_relations(read("anisearch/relations/relations_4942_ghost-in-the-shell-2-0.html"))
    assert [(r.relation, r.title, r.platform_id and r.platform_id.id) for r in found] == [
        ("sequel", "Ghost in the Shell 2: Innocence", "2753"),
        ("remake", "Ghost in the Shell", "2088"),
    ]
    assert anisearch.parse_relations(read("anisearch/relations/relations_10941_00-08_none.html")) == []
    with pytest.raises(ParseError):
        anisearch.parse_relations(read("myanimelist/anime/anime_1535_death-note.html"))


def test_mal_pages_give_alternative_titles_studios_and_relations() -> None:
    note = mal_web.parse_anime(read("myanimelist/anime/anime_1535_death-note.html"), fetched_at=NOW)
    assert {("en", "Death Note"), ("und", "DN"), ("ja", "デスノート")} <= {
        (t.language, t.text) for t in note.localized_titles
    }
    assert note.studios == ("Madhouse",) and note.genres == ("Supernatural", "Suspense")
    assert (
        note.rank == 83 and note.start_date == dt.date(2006, 10, 4) and note.end_date == dt.date(2007, 6, 27)
    )
    assert [(r.relation, r.media) for r in note.relations] == [("adaptation", "manga"), ("summary", "anime")]


def test_a_desktop_mal_page_reads_by_the_same_labels() -> None:
    """MAL's desktop layout (span.dark_text labels, itemprop rating): a minimal page in its markup."""
    page = b"""<!DOCTYPE html><html><head><link rel="canonical" href="https://myanimelist.net/anime/5114/FMA">
    </head><body><h1 class="title-name h1_bold_none"><strong>Fullmetal Alchemist: Brotherhood</strong></h1>
    <div class="leftside"><div class="spaceit_pad"><span class="dark_text">English:</span>
    Fullmetal Alchemist: Brotherhood</div>
    <div class="spaceit_pad"><span class="dark_text">Type:</span> <a href="/x">TV</a></div>
    <div class="spaceit_pad"><span class="dark_text">Episodes:</span> 64</div>
    <div class="spaceit_pad"><span class="dark_text">Aired:</span> Apr 5, 2009 to Jul 4, 2010</div>
    <div class="spaceit_pad"><span class="dark_text">Studios:</span>
    <a href="/anime/producer/4">Bones</a></div>
    <div class="spaceit_pad po-r js-statistics-info" itemprop="aggregateRating"><span class="dark_text">Score:
    </span><span itemprop="ratingValue" class="score-label score-9">9.10</span><sup>1</sup> (scored by
    <span itemprop="ratingCount">2,161,346</span> users)</div></div></body></html>"""
    record = mal_web.parse_anime(page, fetched_at=NOW)
    assert (record.platform_id.id, record.title, record.type, record.episodes) == (
        "5114",
        "Fullmetal Alchemist: Brotherhood",
        TV,
        64,
    )
    assert (
        record.score == Rating(9.10, 10.0, 2161346) and record.studios == ("Bones",) and record.year == 2009
    )
    assert LocalizedText("en", "Fullmetal Alchemist: Brotherhood", "official") in record.localized_titles


@pytest.mark.parametrize(("path", "error"), WEB_ERRORS)
def test_anidb_error_pages_are_typed_errors(path: str, error: type[SourceError]) -> None:
    with pytest.raises(error):
        anidb_web.parse_anime(read(path), fetched_at=NOW)


def test_an_encyclopedia_page_that_is_no_anime_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        ann_web.parse_anime(
            read("animenewsnetwork/error/reports-masterlist_html-instead-of-xml.html"), fetched_at=NOW
        )


def test_documents_are_told_apart_and_go_to_the_right_source_of_the_platform() -> None:
    sources = [MalSource(), MalWebSource(), AnidbSource(), AnidbWebSource()]
    page = read("myanimelist/anime/anime_1535_death-note.html")
    xml = read("anidb/anime/anime_4563_death-note.xml")
    assert (document_family(page), document_family(xml), document_family(b' {"a": 1}')) == (
        "html",
        "xml",
        "json",
    )
    assert source_for_document(sources, "mal", page).info.id == "mal_web"  # type: ignore[union-attr]
    assert source_for_document(sources, "mal", b'{"id": 1}').info.id == "mal"  # type: ignore[union-attr]
    assert source_for_document(sources, "anidb_web", xml).info.id == "anidb"  # type: ignore[union-attr]
    web = read("anidb/anime/web_anime_4563_death-note.html")
    assert source_for_document(sources, "anidb", web).info.id == "anidb_web"  # type: ignore[union-attr]
    assert source_for_document(sources, "anidb", web, format="anidb-xml").info.id == "anidb"  # type: ignore[union-attr]
    assert source_for_document(sources, "kitsu", page) is None


def test_sources_parse_reads_either_kind_of_document_for_a_platform(tmp_path: Path) -> None:
    import json

    from anime_mcp.entrypoints.cli.app import cli

    env = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": "anidb,anidb_web,mal,mal_web"}
    runner = CliRunner()
    for file in ("anidb/anime/web_anime_4563_death-note.html", "anidb/anime/anime_4563_death-note.xml"):
        result = runner.invoke(cli, ["sources", "parse", "anidb", str(FIXTURES / file), "--json"], env=env)
        assert result.exit_code == 0, result.output
        parsed = json.loads(result.stdout)
        assert parsed["title"] == "Death Note" and parsed["episodes"] == 37
    page = FIXTURES / "myanimelist/anime/anime_1535_death-note.html"
    result = runner.invoke(cli, ["sources", "parse", "mal", str(page), "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["score"] == {"value": 8.62, "scale": 10.0, "votes": 2752183}
