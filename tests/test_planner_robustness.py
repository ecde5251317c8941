"""Any text gives a valid plan in bounded time: noise, 100 kB, lone surrogates, control characters."""

from __future__ import annotations

import datetime as dt
import json
import time

from hypothesis import given, settings
from hypothesis import strategies as st
from planner_support import VOCABULARY, planned

from anime_mcp.core.planning import ContextResult, PlanContext, QueryPlan, plan
from anime_mcp.core.planning.model import Intent

WORD_TEXT = (
    "anime like Death Note not no top 5 best the 90s 2010ish around 2015 between and after before fall "
    "spring this last next season week Friday today tomorrow JST in New York US on MAL AP ANN LiveChart "
    "Netflix shonen sci-fi slice of life KyoAni MAPPA movies OVAs currently airing finished upcoming less "
    "than 24 episodes more score 8+ 'Monster' \"One Piece\" mal:1535 https://anilist.co/anime/21 second "
    "one my childhood born 1995 ago years compare vs which is better where can I watch news about"
)
WORDS = st.sampled_from(WORD_TEXT.split())


def assert_valid(result: QueryPlan) -> None:
    data = result.to_json()
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # serialisable, no lone surrogates left
    assert Intent(data["intent"])
    assert 1 <= data["limit"] <= 100
    f = data["filters"]
    for key in ("year_min", "year_max", "episodes_min", "episodes_max"):
        assert f[key] is None or isinstance(f[key], int)
    assert all(isinstance(t["text"], str) and t["text"] for t in data["titles"])
    if data["date_from"] is not None:
        assert dt.date.fromisoformat(data["date_from"]) <= dt.date.fromisoformat(data["date_to"])


@given(st.text(max_size=400))
def test_any_text_gives_a_valid_plan(text: str) -> None:
    assert_valid(planned(text))


@given(st.lists(WORDS, max_size=40).map(" ".join))
def test_any_mix_of_the_planners_own_words_gives_a_valid_plan(text: str) -> None:
    assert_valid(planned(text))


@settings(max_examples=20)
@given(st.text(alphabet=st.characters(blacklist_categories=()), min_size=1, max_size=64), st.integers(1, 12))
def test_pointers_never_leave_the_previous_results(text: str, count: int) -> None:
    results = [ContextResult(f"mal-{i}", f"Title {i}") for i in range(1, count + 1)]
    result = planned(f"{text} the third one", context=PlanContext(results=results))
    assert {t.anime_id for t in result.titles if t.text.endswith("one")} <= {r.anime_id for r in results}


def test_100_kb_of_noise_and_hostile_characters_is_planned_quickly() -> None:
    hostile = [
        "x" * 100_000,
        "\ud800\udfff top 5 \x00\x1b[31m anime \u202e" * 5_000,
        "Death Note " * 10_000,
        "2010 " * 20_000,
        "not " * 25_000,
        "a" + "\u0301" * 100_000,
    ]
    for text in hostile:
        started = time.perf_counter()
        assert_valid(plan(text, vocabulary=VOCABULARY, now=dt.datetime(2026, 11, 21, tzinfo=dt.UTC)))
        assert time.perf_counter() - started < 1.0


def test_a_naive_now_and_an_unknown_zone_still_plan() -> None:
    result = plan("what airs today?", vocabulary=VOCABULARY, now=dt.datetime(2026, 11, 21, 8), tz="Mars/Base")
    assert result.date_from == "2026-11-21"
