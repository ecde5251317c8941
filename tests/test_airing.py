"""The pure rules behind the schedule tools: day boundaries in a timezone, weekly slots, status, merging by
anime with provenance (core.airing); the legal-service allow-list and region grouping (core.streaming); the
season calendar (core.seasons)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from anime_mcp.core.airing import (
    AiringStatus,
    AnimeRef,
    Found,
    airing_status,
    day_window,
    days_to_ask,
    keep,
    merge_airings,
    occurrences,
)
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.seasons import is_live, next_season, season_of
from anime_mcp.core.sources import StreamingLink
from anime_mcp.core.streaming import canonical_service, group_offers, legal_service, offers_of

NEW_YORK, TOKYO, BERLIN = ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo"), ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
BLEACH = PlatformId("animeschedule", "bleach")


def slot(**fields: object) -> AiringSlot:
    base: dict[str, object] = {"platform_id": BLEACH, "title": "BLEACH"}
    return AiringSlot(**(base | fields))  # type: ignore[arg-type]


def zone(name: str) -> dt.tzinfo | None:
    return ZoneInfo(name)


def test_a_day_is_midnight_to_midnight_in_its_zone_across_summer_time() -> None:
    window = day_window(dt.date(2026, 3, 8), dt.date(2026, 3, 8), NEW_YORK)  # clocks go forward: 23 hours
    assert (window.end - window.start) == dt.timedelta(hours=23)
    assert window.start == dt.datetime(2026, 3, 8, 5, tzinfo=dt.UTC)
    assert days_to_ask(day_window(dt.date(2026, 9, 14), dt.date(2026, 9, 14), NEW_YORK)) == [
        dt.date(2026, 9, 14),
        dt.date(2026, 9, 15),
    ]
    with pytest.raises(ValueError, match="before it starts"):
        day_window(dt.date(2026, 9, 2), dt.date(2026, 9, 1), NEW_YORK)


def test_a_00_30_jst_broadcast_airs_the_previous_day_in_new_york() -> None:
    airs = slot(airs_at=dt.datetime(2026, 9, 14, 15, 30, tzinfo=dt.UTC))  # Tuesday 00:30 in Tokyo
    monday_ny = day_window(dt.date(2026, 9, 14), dt.date(2026, 9, 14), NEW_YORK)
    monday_tokyo = day_window(dt.date(2026, 9, 14), dt.date(2026, 9, 14), TOKYO)
    assert len(occurrences(airs, monday_ny, zone)) == 1 and occurrences(airs, monday_tokyo, zone) == []


def test_a_weekly_slot_occurs_on_each_of_its_weekdays_in_the_window() -> None:
    weekly = slot(weekday=0, local_time=dt.time(0, 30), timezone="Asia/Tokyo")  # Mondays 00:30 JST
    window = day_window(dt.date(2026, 9, 1), dt.date(2026, 9, 15), BERLIN)
    found = occurrences(weekly, window, zone)
    # Monday 00:30 in Tokyo is Sunday 17:30 in Berlin (summer time): Sundays 6 and 13 September
    assert [(m.astimezone(BERLIN).isoformat(), exact) for m, exact in found] == [
        ("2026-09-06T17:30:00+02:00", False),
        ("2026-09-13T17:30:00+02:00", False),
    ]
    assert (
        occurrences(slot(weekday=0, local_time=dt.time(1), timezone="Nowhere/Else"), window, lambda _: None)
        == []
    )


def test_status_prefers_the_sources_word_then_the_delay_window_then_the_clock() -> None:
    at = dt.datetime(2026, 9, 14, 15, 30, tzinfo=dt.UTC)
    window = {"delayed_from": dt.date(2026, 9, 14), "delayed_until": dt.date(2026, 10, 19)}
    assert airing_status(slot(**window), at, NOW) is AiringStatus.DELAYED
    assert airing_status(slot(status="delayed-air"), at, NOW) is AiringStatus.DELAYED
    old_delay = {"delayed_from": dt.date(2026, 1, 1), "delayed_until": dt.date(2026, 1, 8)}
    assert airing_status(slot(status="unaired", **old_delay), at, NOW) is AiringStatus.ON_TIME
    assert airing_status(slot(status="aired"), at, NOW) is AiringStatus.FINISHED
    assert airing_status(slot(), at, at + dt.timedelta(seconds=1)) is AiringStatus.FINISHED
    assert airing_status(slot(), at, NOW) is AiringStatus.ON_TIME


def test_one_entry_per_anime_episode_with_every_source_that_lists_it() -> None:
    ref = AnimeRef("mal-1", "Cowboy Bebop", tags=frozenset({"space"}))
    anilist, mal = PlatformId("anilist", "1"), PlatformId("mal", "1")
    at = dt.datetime(2026, 9, 14, 14, tzinfo=dt.UTC)  # Monday 23:00 JST
    found = [
        Found("anilist", AiringSlot(anilist, "Cowboy Bebop", airs_at=at, episode=3, episodes=3)),
        Found(
            "mal", AiringSlot(mal, "Cowboy Bebop", weekday=0, local_time=dt.time(23), timezone="Asia/Tokyo")
        ),
        Found(
            "animeschedule",
            slot(
                kind=AirKind.SUB,
                airs_at=at,
                episode=9,
                status="delayed-air",
                streaming=(StreamingLink("Crunchyroll", "https://crunchyroll.com/x"),),
            ),
        ),
    ]
    window = day_window(dt.date(2026, 9, 14), dt.date(2026, 9, 14), TOKYO)
    merged = merge_airings(found, window, anime_of={anilist: ref, mal: ref}, zone_of=zone, now=NOW)
    assert [(e.title, e.kind.value, e.episode, e.sources, e.final) for e in merged] == [
        ("BLEACH", "sub", 9, ("animeschedule",), False),
        ("Cowboy Bebop", "raw", 3, ("anilist", "mal"), True),
    ]
    bebop = merged[1]
    assert bebop.listings[0].exact and not bebop.listings[1].exact and bebop.anime == ref
    assert keep(merged, platforms=["crunchyroll"]) == [merged[0]]
    assert keep(merged, kind=AirKind.RAW, tags=["Space"]) == [bebop]
    assert keep(merged, tags=["space"], kind=AirKind.SUB) == []


def test_only_allow_listed_services_count_by_name_or_host() -> None:
    assert (
        legal_service(StreamingLink("Crunchyroll", "http://www.crunchyroll.com/cowboy-bebop"))
        == "Crunchyroll"
    )
    assert legal_service(StreamingLink("Amazon", "amzn.to/4bN8k0Y")) == "Amazon Prime Video"
    assert legal_service(StreamingLink("Some Site", "https://beta.crunchyroll.com/x")) == "Crunchyroll"
    assert legal_service(StreamingLink("9anime", "https://9anime.example/watch/1")) is None
    assert (
        canonical_service("bilibili tv") == "Bilibili TV"
        and canonical_service("BiliBili TV") == "Bilibili TV"
    )


def test_offers_group_by_region_and_say_what_is_unknown() -> None:
    links = [
        ("kitsu", StreamingLink("Crunchyroll", "https://crunchyroll.com/a", regions=("us", "GB"))),
        ("anilist", StreamingLink("Netflix", "https://netflix.com/title/1")),
        ("mal", StreamingLink("Netflix", "https://www.netflix.com/title/1/")),  # the same page again
        ("mal", StreamingLink("Pirate Bay", "https://pirate.example/a")),
    ]
    offers, unlisted = offers_of(links)
    assert [(o.service, o.source) for o in offers] == [("Crunchyroll", "kitsu"), ("Netflix", "anilist")]
    grouped = group_offers(offers, regions=["us", "de"], unlisted=unlisted)
    assert list(grouped.by_region) == ["US"] and grouped.unknown_regions == ("DE",)
    assert [o.service for o in grouped.unstated] == ["Netflix"] and grouped.unlisted == 1
    assert group_offers(offers, services=["netflix"]).by_region == {}


def test_the_season_calendar() -> None:
    assert season_of(dt.date(2026, 9, 30)) == (2026, Season.SUMMER)
    assert season_of(dt.date(2026, 10, 1)) == (2026, Season.FALL)
    assert next_season(2026, Season.FALL) == (2027, Season.WINTER)
    today = dt.date(2026, 12, 6)
    assert is_live(2026, Season.FALL, today) and is_live(2027, Season.WINTER, today)
    assert not is_live(2026, Season.SUMMER, today) and not is_live(2027, Season.SPRING, today)
