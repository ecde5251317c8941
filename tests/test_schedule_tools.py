"""airing_schedule, next_episode, seasonal_anime and where_to_watch through the tool catalogue, with the
recorded timetables and anime pages of ../shared/fixtures replayed (added with `sources recording add`'s
use case, the sources computing their own requests), on a catalogue cut from the real anime-offline-database
(only the entries these tests need, so the module stays fast)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import zstandard
from jsonschema import Draft202012Validator
from shared_data import CATALOGUE, FIXTURES, require_shared

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.core.models import CatalogueEntry, Season
from anime_mcp.entrypoints.bootstrap import App, Overrides, bootstrap
from anime_mcp.entrypoints.replay_setup import add_recorded_answer
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ConfigError, Settings
from anime_mcp.entrypoints.tools import ToolInputError, build_tools
from anime_mcp.testing import FakeCatalogue

JIKAN = {"ANIME_MCP_JIKAN_URL": "https://api.jikan.moe/v4"}  # MAL's schedules and pages come from Jikan
W38 = FIXTURES / "animeschedule" / "schedule" / "timetables_sub_2026-w38.json"
NO_TIMETABLE = FIXTURES / "animeschedule" / "error" / "timetables_not-found.txt"
MONDAY = FIXTURES / "jikan" / "schedule" / "schedules_monday_2026.json"
# The anime the recordings name, by their catalogue pages, and one past season whole.
WANTED_PAGES = (
    'https://myanimelist.net/anime/1"',  # Cowboy Bebop
    'https://myanimelist.net/anime/1535"',  # Death Note
    'https://myanimelist.net/anime/62852"',  # Ghost Concert: Missing Songs (Jikan's Monday, 00:30 JST)
    'https://myanimelist.net/anime/51553"',  # Tongari Boushi no Atelier (Jikan's Monday, 23:00 JST)
)
PAST_SEASON = (2017, Season.FALL)


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    """The catalogue's lines that name a wanted page or the past season, read by the real reader."""
    source = require_shared(CATALOGUE)
    lines = zstandard.ZstdDecompressor().decompress(source.read_bytes(), max_output_size=1 << 30).splitlines()
    season = f'"animeSeason":{{"season":"{PAST_SEASON[1].value}","year":{PAST_SEASON[0]}}}'.encode()
    kept = [lines[0]] + [
        line for line in lines[1:] if season in line or any(p.encode() in line for p in WANTED_PAGES)
    ]
    cut = tmp_path_factory.mktemp("catalogue") / "cut.jsonl"
    cut.write_bytes(b"\n".join(kept) + b"\n")
    return list(AodJsonlReader().read(cut, strict=True).entries)


def make_app(home: Path, entries: list[CatalogueEntry], plugins: str, **env: str) -> App:
    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": plugins, **env})
    catalogue = FakeCatalogue(entries)
    clock = VirtualClock(start=dt.datetime(2026, 9, 13, 12, tzinfo=dt.UTC))  # Sunday noon, UTC
    return bootstrap(settings, overrides=Overrides(catalogue=lambda: catalogue, clock=clock, env=JIKAN))


def record(app: App, folder: Path, source: str, call: str, document: Path, *, status: int = 200) -> None:
    added = add_recorded_answer(
        app,
        next(s for s in app.plugins.sources() if s.info.id == source),
        call,
        require_shared(document),
        folder,
        status=status,
    )
    assert added.request is not None, (call, added)


@pytest.fixture(scope="module")
def schedules(tmp_path_factory: pytest.TempPathFactory, entries: list[CatalogueEntry]) -> Iterator[Runtime]:
    """AnimeSchedule's week 38 of 2026 (week 37: its "no timetable" answer) and Jikan's Monday, replayed."""
    home, folder = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("recordings")
    recorder = make_app(home, entries, "animeschedule,mal")
    record(recorder, folder, "animeschedule", "schedule 2026-09-14 sub", W38)
    record(recorder, folder, "animeschedule", "schedule 2026-09-13 sub", NO_TIMETABLE, status=404)
    record(recorder, folder, "mal", "schedule 2026-09-14", MONDAY)
    app = make_app(home, entries, "animeschedule,mal", ANIME_MCP_REPLAY=str(folder))
    runtime = Runtime(app)
    yield runtime
    anyio.run(runtime.aclose)


def call(runtime: Runtime, tool: str, **arguments: object) -> dict[str, Any]:
    tools = build_tools(runtime)
    result = anyio.run(lambda: tools.call(runtime, tool, arguments, face="test"))
    Draft202012Validator(tools.get(tool).output_schema).validate(result.output)
    return dict(result.output)


def shown(answer: dict[str, Any]) -> list[tuple[str, str, int | None, str]]:
    return [
        (e["date"] + " " + e["airs_at"][11:16], e["title"], e["episode"], e["status"])
        for e in answer["episodes"]
    ]


def test_a_day_in_new_york_includes_the_00_30_jst_broadcast_of_the_next_japanese_day(
    schedules: Runtime,
) -> None:
    answer = call(schedules, "airing_schedule", date="2026-09-14", timezone="America/New_York")
    assert answer["window"] == {"start": "2026-09-14T00:00:00-04:00", "end": "2026-09-15T00:00:00-04:00"}
    animeschedule = [e for e in answer["episodes"] if e["sources"][0]["source"] == "animeschedule"]
    assert shown({"episodes": animeschedule}) == [
        ("2026-09-14 07:05", "Hokuto no Ken: Kenougun Zako-tachi no Banka Part 2", 11, "finished"),
        ("2026-09-14 08:30", "Toumei na Yoru ni Kakeru Kimi to, Me ni Mienai Koi wo Shita.", 11, "finished"),
        ("2026-09-14 11:30", "BLEACH: Sennen Kessen-hen - Kashin-tan", 9, "delayed"),
    ]
    bleach = animeschedule[2]
    assert bleach["airs_at_jst"] == "2026-09-15T00:30:00+09:00"  # Tuesday in Japan, Monday in New York
    assert bleach["delayed_until"] == "2026-10-19" and bleach["air_type"] == "sub"
    assert bleach["platforms"] == ["Apple TV", "Hulu", "YouTube", "Disney+"]
    assert (
        bleach["sources"][0]["url"] == "https://animeschedule.net/anime/bleach-sennen-kessen-hen-kashin-tan"
    )
    # Jikan's Monday broadcasts from 13:00 JST on fall on Monday in New York; its Tuesday was not recorded.
    mal = [
        (e["title"], e["airs_at"][11:16], e["anime_id"], e["exact"])
        for e in answer["episodes"]
        if e not in animeschedule
    ]
    assert ("Tongari Boushi no Atelier", "10:00", "mal-51553", False) in mal
    assert all(title != "Ghost Concert: Missing Songs" for title, *_ in mal)  # 00:30 JST: Sunday in New York
    assert [(g["source"], g["day"]) for g in answer["gaps"]] == [("mal", "2026-09-15")]
    outcomes = {o["source"]: o["status"] for o in answer["degradation"]["outcomes"]}
    assert outcomes == {"animeschedule": "contributed", "mal": "contributed"}
    assert answer["degradation"]["level"] == "partial"  # a day of Jikan's is missing


def test_the_same_day_in_tokyo_ends_before_the_00_30_broadcast(schedules: Runtime) -> None:
    answer = call(
        schedules, "airing_schedule", date="2026-09-14", timezone="Asia/Tokyo", platforms=["crunchyroll"]
    )
    assert shown(answer) == [
        ("2026-09-14 21:30", "Toumei na Yoru ni Kakeru Kimi to, Me ni Mienai Koi wo Shita.", 11, "finished")
    ]
    everything = call(schedules, "airing_schedule", date="2026-09-14", timezone="Asia/Tokyo", air_type="sub")
    titles = [e["title"] for e in everything["episodes"]]
    assert titles == [
        "Hokuto no Ken: Kenougun Zako-tachi no Banka Part 2",
        "Toumei na Yoru ni Kakeru Kimi to, Me ni Mienai Koi wo Shita.",
    ]  # sub only: Jikan's broadcasts are the raw Japanese airings
    # Week 37 has no timetable: an empty week, not a failure.
    assert everything["degradation"]["outcomes"][0] == {
        **everything["degradation"]["outcomes"][0],
        "status": "contributed",
    }
    tuesday = call(schedules, "airing_schedule", date="2026-09-15", timezone="Asia/Tokyo", air_type="sub")
    assert shown(tuesday) == [("2026-09-15 00:30", "BLEACH: Sennen Kessen-hen - Kashin-tan", 9, "delayed")]


def test_a_week_in_tokyo_reports_delays_with_their_new_dates(schedules: Runtime) -> None:
    answer = call(
        schedules,
        "airing_schedule",
        date="2026-09-14",
        date_to="2026-09-20",
        timezone="Asia/Tokyo",
        air_type="sub",
    )
    assert [(e["title"][:20], e["status"], e["delayed_until"], e["final"]) for e in answer["episodes"]] == [
        ("Hokuto no Ken: Kenou", "finished", None, False),
        ("Toumei na Yoru ni Ka", "finished", None, False),
        ("BLEACH: Sennen Kesse", "delayed", "2026-10-19", False),
        ("Ganso! Bandori-chan", "on_time", None, False),  # its delay window (January) is long past
        ("Seihantai na Kimi to", "delayed", "2026-09-27", False),
    ]
    text = anyio.run(
        lambda: build_tools(schedules).call(
            schedules, "airing_schedule", {"date": "2026-09-20", "timezone": "Asia/Tokyo", "air_type": "sub"}
        )
    ).text
    assert "Seihantai na Kimi to Boku 2nd Season ep 12, sub, delayed until 2026-09-27" in text


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"date": "2026-09-14", "timezone": "Mars/Olympus"}, "timezone"),
        ({"date": "2026-09-14", "timezone": "../../etc/passwd"}, "timezone"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "2026-09-14", "date_to": "2026-09-01"}, "date_to"),
        ({"date": "2026-01-01", "date_to": "2026-03-01"}, "date_to"),
        ({"air_type": "hardsub"}, "air_type"),
    ],
)
def test_bad_schedule_input_names_the_field(
    schedules: Runtime, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ToolInputError) as raised:
        call(schedules, "airing_schedule", **arguments)
    assert raised.value.field == field


def test_next_episode_from_a_weekly_broadcast_slot(schedules: Runtime) -> None:
    answer = call(schedules, "next_episode", anime_id="mal:51553", timezone="Europe/Berlin")
    assert answer["anime_id"] == "mal-51553" and answer["unknown"] == ["sub", "dub"]
    (raw,) = answer["next"]
    # Clock: Sunday 2026-09-13 12:00 UTC; Mondays at 23:00 JST = 16:00 in Berlin (summer time).
    assert raw["airs_at"] == "2026-09-14T16:00:00+02:00" and raw["airs_at_jst"] == "2026-09-14T23:00:00+09:00"
    assert raw["air_type"] == "raw" and raw["status"] == "on_time" and not raw["exact"]
    assert [s["source"] for s in raw["sources"]] == ["mal"]


@pytest.fixture(scope="module")
def streaming(tmp_path_factory: pytest.TempPathFactory, entries: list[CatalogueEntry]) -> Iterator[Runtime]:
    """Cowboy Bebop's AniList, Jikan and Kitsu pages, Death Note's Kitsu page, replayed."""
    home, folder = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("recordings")
    plugins = "anilist,kitsu,mal"
    recorder = make_app(home, entries, plugins)
    record(
        recorder,
        folder,
        "anilist",
        "fetch anilist:1 streaming",
        FIXTURES / "anilist/anime/media_1_cowboy-bebop.json",
    )
    record(
        recorder,
        folder,
        "mal",
        "fetch mal:1 streaming",
        FIXTURES / "jikan/anime/anime-full_1_cowboy-bebop_2025.json",
    )
    record(
        recorder,
        folder,
        "kitsu",
        "fetch kitsu:1 streaming",
        FIXTURES / "kitsu/anime/anime_1_cowboy-bebop.json",
    )
    record(
        recorder,
        folder,
        "kitsu",
        "fetch kitsu:1376 streaming",
        FIXTURES / "kitsu/anime/anime_1376_death-note.json",
    )
    runtime = Runtime(make_app(home, entries, plugins, ANIME_MCP_REPLAY=str(folder)))
    yield runtime
    anyio.run(runtime.aclose)


def test_where_to_watch_lists_legal_links_with_provenance(streaming: Runtime) -> None:
    answer = call(streaming, "where_to_watch", anime_id="Cowboy Bebop")
    assert answer["anime_id"] == "mal-1" and answer["by_region"] == {}  # no source states regions
    offers = {(o["service"], o["provenance"]["source"]) for o in answer["region_not_stated"]}
    assert offers == {
        ("Adult Swim", "anilist"),
        ("Amazon Prime Video", "anilist"),
        ("Crunchyroll", "anilist"),
        ("Crunchyroll", "mal"),
        ("Funimation", "anilist"),
        ("Hulu", "anilist"),
        ("Netflix", "anilist"),
        ("Tubi TV", "anilist"),
        ("Tubi TV", "mal"),
    }  # Netflix's one URL, listed by AniList and Jikan, once
    anilist = next(o for o in answer["region_not_stated"] if o["provenance"]["source"] == "anilist")
    assert (
        anilist["provenance"]["url"] == "https://anilist.co/anime/1" and anilist["provenance"]["fetched_at"]
    )
    assert answer["answer"] == "listed" and answer["left_out"] == 0
    us = call(
        streaming, "where_to_watch", anime_id="mal:1", region="us", platforms=["netflix", "crunchyroll"]
    )
    assert us["region"] == "US" and us["answer"] == "region not stated" and us["unknown_regions"] == ["US"]
    assert sorted({o["service"] for o in us["region_not_stated"]}) == ["Crunchyroll", "Netflix"]


def test_where_to_watch_says_so_when_no_source_lists_a_link(streaming: Runtime) -> None:
    answer = call(streaming, "where_to_watch", anime_id="mal:1535", region="DE")
    assert answer["answer"] == "unknown for this region" and answer["unknown_regions"] == ["DE"]
    assert answer["by_region"] == {} and answer["region_not_stated"] == []
    outcomes = {o["source"]: o for o in answer["degradation"]["outcomes"]}
    assert outcomes["kitsu"]["status"] == "contributed"
    text = anyio.run(
        lambda: build_tools(streaming).call(
            streaming, "where_to_watch", {"anime_id": "mal:1535", "region": "DE"}
        )
    ).text
    assert "unknown in DE: no source lists a legal streaming link" in text


def test_seasonal_anime_for_a_past_season_matches_the_catalogue(
    schedules: Runtime, entries: list[CatalogueEntry]
) -> None:
    year, season = PAST_SEASON
    in_season = [e for e in entries if e.season.season is season and e.season.year == year]
    by_score = sorted(
        in_season,
        key=lambda e: (-(e.score.arithmetic_mean if e.score else -1), -len(e.ids()), e.title.casefold()),
    )
    answer = call(schedules, "seasonal_anime", year=year, season=season.value, limit=100)
    assert answer["matched"] == len(in_season) > 250 and answer["live"] is False
    assert [r["anime_id"] for r in answer["results"]] == [e.anime_id for e in by_score[:100]]
    assert all(r["season"] == "FALL" and r["year"] == 2017 for r in answer["results"])
    assert answer["degradation"] == {"level": "full", "outcomes": [], "deadline_seconds": 3.0}
    tv = call(schedules, "seasonal_anime", year=year, season="FALL", type="TV", sort="popularity", limit=5)
    assert tv["matched"] == sum(1 for e in in_season if e.type.value == "TV")
    counts = [len(r["ids"]) for r in tv["results"]]
    assert all(r["type"] == "TV" for r in tv["results"]) and counts == sorted(counts, reverse=True)


def test_the_default_timezone_is_a_checked_setting(schedules: Runtime, tmp_path: Path) -> None:
    answer = call(schedules, "airing_schedule", date="2026-09-15", air_type="sub")
    assert answer["timezone"] == "UTC" and answer["window"]["start"] == "2026-09-15T00:00:00+00:00"
    assert [e["title"] for e in answer["episodes"]] == []  # BLEACH is Monday 15:30 in UTC
    tokyo = Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_TIMEZONE": "Asia/Tokyo"})
    assert tokyo.serve.timezone == "Asia/Tokyo"
    with pytest.raises(ConfigError, match="ANIME_MCP_TIMEZONE must be an IANA timezone name"):
        Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_TIMEZONE": "Mars/Olympus"})
