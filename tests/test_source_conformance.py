"""Every built-in source passes the conformance kit against the real recordings in ../shared/fixtures.

Each recording is paired with the request that produced it (from ../shared/fixtures/MANIFEST.md) and the
call of the source that should make that request. Where the capturing project's request differs from ours
in parameters that do not identify the anime (Kitsu's ``include=``, AniList's query text), the recording
names only the identifying part. The MAL API v2 documents are hand-written from MAL's API reference
(tests/data/mal_api_v2/README.md): no MAL v2 recording exists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

from shared_data import require_shared

from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError
from anime_mcp.plugins.sources.anidb.source import AnidbSource
from anime_mcp.plugins.sources.anidb_web.source import AnidbWebSource
from anime_mcp.plugins.sources.anilist.source import AnilistSource
from anime_mcp.plugins.sources.animeplanet.source import AnimePlanetSource
from anime_mcp.plugins.sources.animeschedule.source import AnimeScheduleSource
from anime_mcp.plugins.sources.anisearch.source import AnisearchSource
from anime_mcp.plugins.sources.ann.source import AnnSource
from anime_mcp.plugins.sources.ann_web.source import AnnWebSource
from anime_mcp.plugins.sources.kitsu.source import KitsuSource
from anime_mcp.plugins.sources.livechart.source import LiveChartSource
from anime_mcp.plugins.sources.mal.source import MalSource
from anime_mcp.plugins.sources.mal_web.source import MalWebSource
from anime_mcp.plugins.sources.notify.source import NotifySource
from anime_mcp.plugins.sources.simkl.source import SimklSource
from anime_mcp.plugins.sources.simkl_web.source import SimklWebSource
from anime_mcp.testing import Recording, SourceConformance

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
MAL_V2_DATA = Path(__file__).resolve().parent / "data" / "mal_api_v2"
JSON = {"content-type": "application/json"}
XML = {"content-type": "text/xml; charset=utf-8"}

require_shared(FIXTURES)  # fails the run, never skips, without ../shared


def files(pattern: str) -> list[Path]:
    found = sorted(FIXTURES.glob(pattern))
    assert found, f"no recording matches {pattern}"
    return found


def leading_id(path: Path, prefix: str) -> str:
    match = re.match(rf"{prefix}_([A-Za-z0-9-]+?)_", path.name)
    assert match, path.name
    return match.group(1)


# --- MyAnimeList through a Jikan-compatible API (the recordings are Jikan's) ------------------------
JIKAN = "https://api.jikan.moe/v4"


class TestJikanConformance(SourceConformance):
    source = MalSource()
    env: ClassVar[Mapping[str, str]] = {"ANIME_MCP_JIKAN_URL": JIKAN}
    root = FIXTURES
    recordings = (
        Recording(
            "jikan/anime/anime-full_1_cowboy-bebop_2025.json",
            f"GET {JIKAN}/anime/1/full",
            call="fetch mal:1",
            headers=JSON,
        ),
        Recording(
            "jikan/anime/anime_1_cowboy-bebop_2026.json", f"GET {JIKAN}/anime/1", call="ping", headers=JSON
        ),
        Recording(
            "jikan/episodes/episodes_1_cowboy-bebop_2026.json",
            f"GET {JIKAN}/anime/1/episodes",
            call="episodes mal:1",
            kind="episodes",
            headers=JSON,
        ),
        Recording(
            "jikan/schedule/schedules_monday_2026.json",
            f"GET {JIKAN}/schedules?filter=monday",
            call="schedule 2026-04-27 raw",
            kind="schedule",
            headers=JSON,
        ),
        Recording(
            "jikan/characters/characters_1_cowboy-bebop_2026.json",
            f"GET {JIKAN}/anime/1/characters",
            kind="characters",
            headers=JSON,
            unused_reason="characters are parsed, but SourceRecord carries no credits yet",
        ),
        Recording(
            "jikan/staff/staff_1_cowboy-bebop_2026.json",
            f"GET {JIKAN}/anime/1/staff",
            kind="staff",
            headers=JSON,
            unused_reason="staff are parsed, but SourceRecord carries no credits yet",
        ),
    )


# --- MyAnimeList through the official API v2 (hand-written from the API reference) -----------------
MAL = "https://api.myanimelist.net/v2"


class TestMalApiV2Conformance(SourceConformance):
    source = MalSource()
    env: ClassVar[Mapping[str, str]] = {"ANIME_MCP_MAL_CLIENT_ID": "test-client-id"}
    root = MAL_V2_DATA
    recordings = (
        Recording("anime_30230.json", f"GET {MAL}/anime/30230", call="fetch mal:30230", headers=JSON),
        Recording("anime_1_ping.json", f"GET {MAL}/anime/1?fields=id,title", call="ping", headers=JSON),
        Recording(
            "search_diamond.json",
            f"GET {MAL}/anime?q=diamond no ace",
            call="search diamond no ace",
            kind="search",
            headers=JSON,
        ),
        Recording(
            "season_2015_spring.json",
            f"GET {MAL}/anime/season/2015/spring",
            call="season 2015 spring",
            kind="season",
            headers=JSON,
        ),
        Recording(
            "error_not_found.json",
            f"GET {MAL}/anime/99999999",
            call="fetch mal:99999999",
            status=404,
            headers=JSON,
            expect=NotFound,
        ),
    )


# --- AniList ---------------------------------------------------------------------------------------
ANILIST = "POST https://graphql.anilist.co/"


def anilist_recordings() -> tuple[Recording, ...]:
    found = []
    for path in files("anilist/anime/media_*.json"):
        ident = leading_id(path, "media")
        if path.name.endswith("_small-query.json"):
            found.append(
                Recording(
                    path,
                    ANILIST,
                    call="ping",
                    json={"variables": {"id": 1}},
                    body_contains="title { romaji } }",
                    headers=JSON,
                )
            )
        else:
            found.append(
                Recording(
                    path,
                    ANILIST,
                    call=f"fetch anilist:{ident}",
                    json={"variables": {"id": int(ident)}},
                    headers=JSON,
                )
            )
    found.append(
        Recording(
            "anilist/season/page_season_fall-2017_releasing.json",
            ANILIST,
            call="season 2017 fall",
            kind="season",
            headers=JSON,
            json={"variables": {"season": "FALL", "seasonYear": 2017, "page": 1}},
        )
    )
    return tuple(found)


class TestAnilistConformance(SourceConformance):
    source = AnilistSource()
    root = FIXTURES
    recordings = anilist_recordings()


# --- Kitsu ------------------------------------------------------------------------------------------
KITSU = "https://kitsu.app/api/edge/anime"


class TestKitsuConformance(SourceConformance):
    source = KitsuSource()
    root = FIXTURES
    recordings = (
        *(
            Recording(
                path,
                f"GET {KITSU}?filter[id]={leading_id(path, 'anime')}",
                call=f"fetch kitsu:{leading_id(path, 'anime')}",
                headers=JSON,
            )
            for path in files("kitsu/anime/anime_*.json")
        ),
        Recording(
            "kitsu/error/dead-entry_49936_empty-data.json",
            f"GET {KITSU}?filter[id]=49936",
            call="fetch kitsu:49936",
            kind="anime",
            headers=JSON,
            expect=NotFound,
        ),
    )


# --- AniDB ------------------------------------------------------------------------------------------
ANIDB = "GET http://api.anidb.net:9001/httpapi?request=anime&client=animemcptest&clientver=1&protover=1"
WEB_PAGE = "AniDB web page: the HTML scraping source will request it; the API parser recognises it"


def anidb_recordings() -> tuple[Recording, ...]:
    found = [
        Recording(
            path,
            f"{ANIDB}&aid={leading_id(path, 'anime')}",
            call=(f"fetch anidb:{aid}", f"episodes anidb:{aid}")
            if (aid := leading_id(path, "anime")) == "1560"
            else f"fetch anidb:{aid}",
            headers=XML,
        )
        for path in files("anidb/anime/anime_*.xml")
    ]
    found += [
        Recording(
            "anidb/error/error_anime-not-found.xml",
            f"{ANIDB}&aid=99999",
            call="fetch anidb:99999",
            kind="error",
            headers=XML,
            expect=NotFound,
        ),
        Recording(
            "anidb/error/web_anime_14248_deleted-entry.html",
            "GET https://anidb.net/anime/14248",
            kind="error",
            expect=NotFound,
            unused_reason=WEB_PAGE,
        ),
        Recording(
            "anidb/error/web_anime_15422_addition-pending.html",
            "GET https://anidb.net/anime/15422",
            kind="error",
            expect=NotFound,
            unused_reason=WEB_PAGE,
        ),
        Recording(
            "anidb/error/web_anime_15569_adult-content-warning.html",
            "GET https://anidb.net/anime/15569",
            kind="error",
            expect=AuthRequired,
            unused_reason=WEB_PAGE,
        ),
        Recording(
            "anidb/error/web_anime_4906_anti-leech.html",
            "GET https://anidb.net/anime/4906",
            kind="error",
            expect=Blocked,
            unused_reason=WEB_PAGE,
        ),
        Recording(
            "anidb/error/web_nginx-403-forbidden.html",
            "GET https://anidb.net/anime/1",
            kind="error",
            status=403,
            expect=Blocked,
            unused_reason=WEB_PAGE,
        ),
    ]
    return tuple(found)


class TestAnidbConformance(SourceConformance):
    source = AnidbSource()
    env: ClassVar[Mapping[str, str]] = {
        "ANIME_MCP_ANIDB_CLIENT": "animemcptest",
        "ANIME_MCP_ANIDB_CLIENTVER": "1",
    }
    root = FIXTURES
    recordings = anidb_recordings()


# --- Anime News Network -----------------------------------------------------------------------------
ANN = "GET https://cdn.animenewsnetwork.com/encyclopedia"


class TestAnnConformance(SourceConformance):
    source = AnnSource()
    root = FIXTURES
    recordings = (
        Recording(
            "animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",
            f"{ANN}/api.xml?anime=1/5/100/4658",
            call="fetch_many ann:1 ann:5 ann:100 ann:4658",
            headers=XML,
        ),
        Recording(
            "animenewsnetwork/error/api_warning_people-ignored.xml",
            f"{ANN}/api.xml?people=260/261/431",
            kind="error",
            expect=NotFound,
            headers=XML,
            unused_reason="a people request: the source never asks for people, the parser must cope",
        ),
        Recording(
            "animenewsnetwork/error/reports-masterlist_html-instead-of-xml.html",
            f"{ANN}/reports.xml?tag=masterlist&nlist=all",
            kind="error",
            expect=ParseError,
            unused_reason="the reports endpoint is not used by the source; HTML instead of XML must "
            "be a typed error",
        ),
    )


# --- AnimeSchedule.net ------------------------------------------------------------------------------
AS = "https://animeschedule.net/api/v3"


class TestAnimeScheduleConformance(SourceConformance):
    source = AnimeScheduleSource()
    env: ClassVar[Mapping[str, str]] = {"ANIME_MCP_ANIMESCHEDULE_TOKEN": "test-token"}
    root = FIXTURES
    recordings = (
        Recording(
            "animeschedule/anime/anime_cowboy-bebop.json",
            f"GET {AS}/anime/cowboy-bebop",
            call="fetch animeschedule:cowboy-bebop",
            headers=JSON,
        ),
        Recording(
            "animeschedule/schedule/timetables_sub_2026-w01.json",
            f"GET {AS}/timetables/sub?year=2026&week=1&tz=UTC",
            call="schedule 2026-01-01 sub",
            kind="schedule",
            headers=JSON,
        ),
        Recording(
            "animeschedule/schedule/timetables_sub_2026-w38.json",
            f"GET {AS}/timetables/sub?year=2026&week=38&tz=UTC",
            call="schedule 2026-09-14 sub",
            kind="schedule",
            headers=JSON,
        ),
        # The recorded week was not written down; any week without data answers the same 404 body.
        Recording(
            "animeschedule/error/timetables_not-found.txt",
            f"GET {AS}/timetables/sub?year=2030&week=1&tz=UTC",
            call="schedule 2030-01-01 sub",
            kind="error",
            status=404,
            expect=NotFound,
        ),
        Recording(
            "animeschedule/search/anime-search_anidb-4880_naruto-shippuuden.json",
            f"GET {AS}/anime?anidb-ids=4880",
            kind="search",
            headers=JSON,
            unused_reason="a lookup by AniDB id (anidb-ids=), which the Source port does not offer",
        ),
        Recording(
            "animeschedule/error/anime-search_not-found.txt",
            f"GET {AS}/anime?anidb-ids=1",
            kind="error",
            status=404,
            expect=NotFound,
            unused_reason="the 404 of a lookup by AniDB id, which the Source port does not offer",
        ),
    )


# --- Simkl ------------------------------------------------------------------------------------------
SIMKL = "https://api.simkl.com"


class TestSimklConformance(SourceConformance):
    source = SimklSource()
    env: ClassVar[Mapping[str, str]] = {"ANIME_MCP_SIMKL_CLIENT_ID": "test-client-id"}
    root = FIXTURES
    recordings = (
        Recording(
            "simkl/anime/api_anime_40398_hunter-x-hunter_extended.json",
            f"GET {SIMKL}/anime/40398?extended=full",
            call="fetch simkl:40398",
            headers=JSON,
        ),
        Recording(
            "simkl/anime/api_anime_40398_hunter-x-hunter_summary.json",
            f"GET {SIMKL}/anime/40398",
            call="ping",
            headers=JSON,
        ),
        Recording(
            "simkl/search/api_search-anime_hunter-x-hunter_extended.json",
            f"GET {SIMKL}/search/anime?q=Hunter x Hunter: Greed Island&extended=full",
            call="search Hunter x Hunter: Greed Island",
            kind="search",
            headers=JSON,
        ),
        Recording(
            "simkl/episodes/api_anime-episodes_shingeki-no-kyojin.json",
            f"GET {SIMKL}/anime/episodes/39687?extended=full",
            call="episodes simkl:39687",
            kind="episodes",
            headers=JSON,
        ),
        Recording(
            "simkl/search/api_anime-best.json",
            f"GET {SIMKL}/anime/best/all?type=all",
            kind="search",
            headers=JSON,
            unused_reason="the 'best anime' list: parsed, but no port call asks for it",
        ),
    )


# --- notify.moe -------------------------------------------------------------------------------------
NOTIFY = "https://notify.moe/api"


def notify_recordings() -> tuple[Recording, ...]:
    with_relations = {"uLs5tKiig", "--eZhFiig"}
    found = []
    for path in files("notify/anime/anime_*.json"):
        ident = path.name.removeprefix("anime_").split("_")[0]
        call = f"fetch notify:{ident} title,relations" if ident in with_relations else f"fetch notify:{ident}"
        found.append(Recording(path, f"GET {NOTIFY}/anime/{ident}", call=call, headers=JSON))
    for ident in sorted(with_relations):
        path = next(iter(files(f"notify/relations/animerelations_{ident}_*.json")))
        found.append(
            Recording(
                path,
                f"GET {NOTIFY}/animerelations/{ident}",
                call=f"fetch notify:{ident} title,relations",
                kind="relations",
                headers=JSON,
            )
        )
    return tuple(found)


class TestNotifyConformance(SourceConformance):
    source = NotifySource()
    root = FIXTURES
    recordings = notify_recordings()


# --- aniSearch and the web-page fallbacks of API platforms (scraped: HTML pages) ----------------------
HTML = {"content-type": "text/html; charset=utf-8"}
WEB_ERRORS = {  # AniDB's error pages, served with the status AniDB sends
    "web_anime_14248_deleted-entry.html": (NotFound, 200),
    "web_anime_15422_addition-pending.html": (NotFound, 200),
    "web_anime_15569_adult-content-warning.html": (AuthRequired, 200),
    "web_anime_4906_anti-leech.html": (Blocked, 200),
    "web_nginx-403-forbidden.html": (Blocked, 403),
}


def anisearch_recordings() -> tuple[Recording, ...]:
    found = []
    for path in files("anisearch/anime/anime_*.html"):
        aid = leading_id(path, "anime")
        calls = (f"fetch anisearch:{aid}", f"fetch anisearch:{aid} relations")
        with_relations = (FIXTURES / "anisearch" / "relations").glob(f"relations_{aid}_*.html")
        found.append(
            Recording(
                path,
                f"GET https://www.anisearch.com/anime/{aid}",
                call=calls if any(with_relations) else calls[0],
                headers=HTML,
            )
        )
    found += [
        Recording(
            path,
            f"GET https://www.anisearch.com/anime/{leading_id(path, 'relations')}/relations",
            call=f"fetch anisearch:{leading_id(path, 'relations')} relations",
            kind="relations",
            headers=HTML,
        )
        for path in files("anisearch/relations/relations_*.html")
    ]
    return tuple(found)


class TestAnisearchConformance(SourceConformance):
    source = AnisearchSource()
    root = FIXTURES
    recordings = anisearch_recordings()


def web_recordings(pattern: str, prefix: str, platform: str, url: str) -> tuple[Recording, ...]:
    found = []
    for path in files(pattern):
        if path.parent.name == "error":
            expect, status = WEB_ERRORS[path.name]
            number = re.search(r"_(\d+)_", path.name)
            pid = number.group(1) if number else "1"
            found.append(
                Recording(
                    path,
                    f"GET {url.format(pid)}",
                    call=f"fetch {platform}:{pid}",
                    kind="error",
                    status=status,
                    expect=expect,
                    headers=HTML,
                )
            )
            continue
        pid = leading_id(path, prefix)
        request = f"GET {url.format(pid)}"
        if any(r.request == request for r in found):  # a second capture of the same page
            reason = "a second capture of a page another recording answers; parsed by the parse check"
            found.append(Recording(path, request, headers=HTML, unused_reason=reason))
            continue
        found.append(Recording(path, request, call=f"fetch {platform}:{pid}", headers=HTML))
    return tuple(found)


class TestMalWebConformance(SourceConformance):
    source = MalWebSource()
    root = FIXTURES
    recordings = web_recordings(
        "myanimelist/anime/anime_*.html", "anime", "mal", "https://myanimelist.net/anime/{}"
    )


class TestAnidbWebConformance(SourceConformance):
    source = AnidbWebSource()
    root = FIXTURES
    recordings = web_recordings("anidb/*/web_*.html", "web_anime", "anidb", "https://anidb.net/anime/{}")


class TestAnnWebConformance(SourceConformance):
    source = AnnWebSource()
    root = FIXTURES
    recordings = (
        *web_recordings(
            "animenewsnetwork/anime/web_anime_*.html",
            "web_anime",
            "ann",
            "https://www.animenewsnetwork.com/encyclopedia/anime.php?id={}",
        ),
        Recording(
            "animenewsnetwork/error/reports-masterlist_html-instead-of-xml.html",
            "GET https://www.animenewsnetwork.com/encyclopedia/reports.xml?tag=masterlist&nlist=all",
            kind="error",
            expect=ParseError,
            headers=HTML,
            unused_reason="an encyclopedia page that is not an anime's: the page parser refuses it",
        ),
    )


class TestSimklWebConformance(SourceConformance):
    source = SimklWebSource()
    root = FIXTURES
    recordings = web_recordings(
        "simkl/anime/web_anime_*.html", "web_anime", "simkl", "https://simkl.com/anime/{}"
    )


# --- Anime-Planet and LiveChart.me (scraped pages; robots.txt is never asked of a replay) ---------------
PAGE_HTML = {"content-type": "text/html; charset=utf-8"}
ANIMEPLANET_PAGE = "GET https://www.anime-planet.com/anime/{}"
LIVECHART_PAGE = "GET https://www.livechart.me/anime/{}"


def page_recordings(pattern: str, source: str, request: str) -> list[Recording]:
    """One page per anime: the id is the file name's part after ``anime_`` (a slug or a number)."""
    recordings = []
    for path in files(pattern):
        ident = path.name.removeprefix("anime_").split("_")[0].removesuffix(".html")
        recordings.append(
            Recording(
                str(path.relative_to(FIXTURES)),
                request.format(ident),
                call=f"fetch {source}:{ident}",
                headers=PAGE_HTML,
            )
        )
    return recordings


class TestAnimePlanetConformance(SourceConformance):
    source = AnimePlanetSource()
    root = FIXTURES
    recordings = (
        *page_recordings("animeplanet/anime/anime_*.html", "animeplanet", ANIMEPLANET_PAGE),
        Recording(
            "animeplanet/error/dead-entry_search-results-komi-san.html",
            ANIMEPLANET_PAGE.format("komi-san"),
            call="fetch animeplanet:komi-san",
            expect=NotFound,
            headers=PAGE_HTML,
        ),
    )


class TestLiveChartConformance(SourceConformance):
    source = LiveChartSource()
    root = FIXTURES
    recordings = (
        *page_recordings("livechart/anime/anime_*.html", "livechart", LIVECHART_PAGE),
        Recording(
            "livechart/error/anime_1_excluded-from-database.html",
            LIVECHART_PAGE.format("1"),
            call="fetch livechart:1",
            expect=NotFound,
            headers=PAGE_HTML,
        ),
    )


def test_every_built_in_source_runs_the_kit() -> None:
    """A source added to plugins/sources (one entry-point line) fails here until it has a kit class."""
    from importlib.metadata import entry_points

    built_in = {ep.name for ep in entry_points(group="anime_mcp") if ".plugins.sources." in ep.value}
    tested = {
        cls.source.info.id
        for cls in globals().values()
        if isinstance(cls, type) and issubclass(cls, SourceConformance) and cls is not SourceConformance
    }
    assert built_in <= tested, f"no conformance class for {sorted(built_in - tested)}"
