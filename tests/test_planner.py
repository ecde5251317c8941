"""The query planner on questions of the judged set's kinds, worded differently (a small real vocabulary:
tests/planner_support.py). Each case lists only what it is about."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from planner_support import NOW, VOCABULARY, planned

from anime_mcp.core.planning import ContextResult, PlanContext, plan

CASES: list[tuple[str, dict[str, Any]]] = [
    # intents and titles
    ("lookup kitsu:1535", {"intent": "lookup", "ids": ["mal-1535"]}),
    ("https://myanimelist.net/anime/21/One_Piece", {"intent": "lookup", "ids": ["mal-21"]}),
    ("Tell me about Monster", {"intent": "lookup", "ids": ["mal-19"]}),
    ("shows similar to Steins;Gate please", {"intent": "similar", "ids": ["mal-9253"]}),
    ("If I liked Code Geass, what should I watch?", {"intent": "similar", "ids": ["mal-1575"]}),
    ("what should I watch tonight? something funny", {"intent": "recommend", "tags": ["comedy"]}),
    ("there was this anime where a boy finds a notebook that kills people", {"intent": "narrative"}),
    ("Cowboy Bebop vs Naruto, which is better?", {"intent": "compare", "ids": ["mal-1", "mal-20"]}),
    ("Death Note or Monster?", {"intent": "compare", "ids": ["mal-1535", "mal-19"]}),
    # "vs" inside the title named is no comparison
    ("sekai no ijin vs alien", {"intent": "lookup", "ids": ["mal-41000"]}),
    ("Sekai no Ijin vs. Alien vs Naruto", {"intent": "compare", "ids": ["mal-41000", "mal-20"]}),
    ("how does Naruto stack up against One Piece", {"intent": "compare", "ids": ["mal-20", "mal-21"]}),
    ("MyAnimeList score of Death Note", {"intent": "source_detail", "sources": ["mal"], "fields": ["score"]}),
    ("what does LiveChart say about Frieren", {"intent": "source_detail", "sources": ["livechart"]}),
    (
        "Is Naruto on Crunchyroll in the UK?",
        {"intent": "streaming", "platforms": ["crunchyroll"], "region": "GB"},
    ),
    ("any news on One Piece?", {"intent": "news", "ids": ["mal-21"]}),
    (
        "synopsis of Attack on Titan",
        {"intent": "source_detail", "ids": ["mal-16498"], "fields": ["synopsis"]},
    ),
    ("what's new this season", {"intent": "seasonal", "season": "FALL", "year": (2026, 2026)}),
    ("next season's anime", {"season": "WINTER", "year": (2027, 2027)}),
    ("anime from last season", {"season": "SUMMER", "year": (2026, 2026)}),
    ("", {"intent": "clarify"}),
    ("?!", {"intent": "clarify"}),
    # years
    ("mecha shows between 1995 and 2003", {"year": (1995, 2003), "tags": ["mecha"]}),
    ("romance anime 2015–2020", {"year": (2015, 2020)}),
    ("isekai since 2018", {"year": (2018, None)}),
    ("anime released after 2019", {"year": (2020, None)}),
    ("fantasy made before 1990", {"year": (None, 1989)}),
    ("that show from around 2007", {"year": (2005, 2009)}),
    ("a 2012ish comedy", {"year": (2010, 2014)}),
    ("80s sci-fi movies", {"year": (1980, 1989), "types": ["MOVIE"], "tags": ["sci-fi"]}),
    ("late nineties anime", {"year": (1996, 1999)}),
    ("anime that came out 10 years ago", {"year": (2016, 2016)}),
    ("shows from the past 3 years", {"year": (2023, 2026)}),
    ("anime I grew up with, I was born in 2000", {"year": (2006, 2014)}),
    ("spring 2019 anime", {"season": "SPRING", "year": (2019, 2019)}),
    ("autumn of 2021", {"season": "FALL", "year": (2021, 2021)}),
    # days and zones
    ("what airs on Monday?", {"intent": "schedule", "date": ("2026-11-23", "2026-11-23")}),
    ("schedule for next week", {"date": ("2026-11-23", "2026-11-29")}),
    ("what aired yesterday", {"date": ("2026-11-20", "2026-11-20")}),
    ("episodes airing this weekend", {"date": ("2026-11-21", "2026-11-22")}),
    ("today's anime in JST", {"timezone": "Asia/Tokyo", "date": ("2026-11-21", "2026-11-21")}),
    ("when does Frieren air in Los Angeles", {"timezone": "America/Los_Angeles", "intent": "schedule"}),
    ("what airs tomorrow Tokyo time", {"timezone": "Asia/Tokyo", "date": ("2026-11-22", "2026-11-22")}),
    # tags, studios, kinds, counts
    ("shounen with no ecchi", {"tags": ["shounen"], "exclude_tags": ["ecchi"]}),
    ("shonen action", {"tags": ["shounen", "action"]}),
    ("horror or comedy anime", {"any_tags": ["horror", "comedy"]}),
    ("slice-of-life shows", {"tags": ["slice of life"]}),
    ("science fiction OVAs", {"tags": ["sci-fi"], "types": ["OVA"]}),
    ("TV series by MAPPA", {"types": ["TV"], "studios": ["mappa"]}),
    ("Studio MAPPA works", {"studios": ["mappa"]}),
    ("Ghibli films", {"studios": ["studio ghibli"], "types": ["MOVIE"]}),
    ("currently airing sports anime", {"statuses": ["ONGOING"], "tags": ["sports"]}),
    ("finished shows with at least 100 episodes", {"statuses": ["FINISHED"], "episodes": (100, None)}),
    ("anime with fewer than 13 eps", {"episodes": (None, 12)}),
    ("12-episode romance", {"episodes": (12, 12)}),
    ("give me 7 horror anime", {"limit": 7}),
    ("top five comedies of 2010", {"limit": 5, "sort": "score", "year": (2010, 2010)}),
    ("most popular isekai", {"sort": "popularity", "tags": ["isekai"]}),
    ("trending anime right now", {"sort": "trending"}),
    ("anime rated 8 or higher", {"score_min": 8.0}),
    ("manga adaptations from 2005", {"source_material": "manga", "year": (2005, 2005)}),
    ("sports anime, but not Naruto", {"exclude_titles": ["Naruto"]}),
    ("a movie about dreams", {"ids": [], "types": ["MOVIE"]}),
    ("Spy x Family in German dub", {"ids": ["mal-50265"], "language": "de"}),
    (
        "anime like Spirited Away on Netflix",
        {"intent": "similar", "platforms": ["netflix"], "ids": ["mal-199"]},
    ),
    ("Summer Wars streaming", {"ids": ["mal-5681"], "intent": "streaming"}),
    ("compare Fullmetal Alchemist 2003 with Brotherhood", {"ids": ["mal-121", "mal-5114"]}),
    # words that are titles but mean something else here
    ("top anime list this season", {"ids": [], "sort": "score"}),
    ("anime about dreams and tokyo", {"ids": []}),
    ("in Tokyo, what airs today?", {"ids": [], "timezone": "Asia/Tokyo"}),
]


def check(text: str, expected: dict[str, Any]) -> None:
    result = planned(text).to_json()
    f = result["filters"]
    ids = [t["anime_id"] for t in result["titles"]]
    actual = {
        "intent": result["intent"],
        "ids": ids,
        "sources": result["sources"],
        "fields": result["fields"],
        "platforms": result["platforms"],
        "region": result["region"],
        "language": result["language"],
        "season": f["season"],
        "year": (f["year_min"], f["year_max"]),
        "date": (result["date_from"], result["date_to"]),
        "timezone": result["timezone"],
        "tags": f["include_tags"],
        "any_tags": f["any_tags"],
        "exclude_tags": f["exclude_tags"],
        "types": f["types"],
        "statuses": f["statuses"],
        "studios": f["studios"],
        "episodes": (f["episodes_min"], f["episodes_max"]),
        "limit": result["limit"],
        "sort": result["sort"],
        "score_min": f["score_min"],
        "exclude_titles": f["exclude_titles"],
        "source_material": f["source_material"],
    }
    for key, want in expected.items():
        if key in ("tags", "any_tags", "exclude_tags", "sources", "fields", "platforms", "studios"):
            assert set(want) <= set(actual[key]), (key, result)
        elif key == "ids" and want:
            assert set(want) <= set(ids), (key, result)
        elif key == "source_material":
            assert want in actual[key], (key, result)
        else:
            assert actual[key] == want, (key, result)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] or "<empty>" for c in CASES])
def test_the_planner_understands(text: str, expected: dict[str, Any]) -> None:
    check(text, expected)


def test_the_second_one_resolves_to_the_second_result() -> None:
    context = PlanContext(
        results=[ContextResult("mal-1535", "Death Note"), ContextResult("mal-19", "Monster")]
    )
    result = planned("What about the second one?", context=context)
    assert [(t.anime_id, t.title) for t in result.titles] == [("mal-19", "Monster")]
    assert result.intent.value == "lookup"


def test_a_pointer_without_earlier_results_asks_back() -> None:
    result = planned("what about the second one?")
    assert result.intent.value == "clarify"
    assert result.clarification


def test_that_one_follows_the_previous_plan() -> None:
    previous = planned("where can I watch Monster?")
    result = planned("and is that one finished?", context=PlanContext(previous=previous))
    assert [t.anime_id for t in result.titles] == ["mal-19"]


def test_relative_days_are_resolved_in_the_askers_time_zone() -> None:
    late = dt.datetime(2026, 11, 21, 23, 30, tzinfo=dt.UTC)  # already Sunday in Tokyo
    assert planned("what airs today?", now=late, tz="Asia/Tokyo").date_from == "2026-11-22"
    assert planned("what airs today?", now=late, tz="UTC").date_from == "2026-11-21"
    assert planned("what airs today?", now=late).timezone == "UTC"


def test_the_json_form_has_exactly_the_issues_keys() -> None:
    result = planned("dark psychological anime like Death Note").to_json()
    assert list(result) == [
        "intent", "titles", "filters", "sources", "fields", "platforms", "region", "date_from", "date_to",
        "timezone", "language", "sort", "limit", "keywords", "clarification",
    ]  # fmt: skip
    assert list(result["filters"]) == [
        "year_min", "year_max", "season", "types", "statuses", "include_tags", "any_tags", "exclude_tags",
        "studios", "episodes_min", "episodes_max", "score_min", "exclude_titles", "source_material",
    ]  # fmt: skip
    assert result["titles"] == [{"text": "Death Note", "anime_id": "mal-1535", "title": "Death Note"}]
    assert result["keywords"] == "dark"


def test_the_same_text_gives_the_same_plan() -> None:
    text = "best shoujo romance of the 2000s on Netflix in the US"
    assert planned(text) == planned(text)


def test_a_reference_the_catalogue_lacks_keeps_what_was_written() -> None:
    result = plan("mal:999999", vocabulary=VOCABULARY, now=NOW)
    assert result.intent.value == "lookup"
    assert [(t.text, t.anime_id) for t in result.titles] == [("mal:999999", None)]
