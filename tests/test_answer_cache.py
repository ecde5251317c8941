"""The caches of the serving path: whole query_anime answers (entrypoints/tools/answer_cache.py) on the real
tool over the fakes (tests/query_support.py), and query vectors in the ONNX embedder (the real model).
Each cache: a hit gives the same answer, a new snapshot (or nothing to invalidate) and the bound."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import pytest
from attrs import evolve
from query_support import NOW, fake_app, small_catalogue
from search_support import MINILM
from shared_data import require_shared

from anime_mcp.core.models import CatalogueEntry
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.entrypoints.tools.answer_cache import AnswerCache, cacheable


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    return small_catalogue(tmp_path_factory.mktemp("catalogue"))


def runtime_of(folder: Path, entries: list[CatalogueEntry], size: int) -> Runtime:
    app = fake_app(folder, entries)
    app.settings = evolve(app.settings, serve=ServeSettings(warm_up=False, answer_cache=size))
    return Runtime(app)


def ask(runtime: Runtime, text: str, **arguments: Any) -> dict[str, Any]:
    tools = build_tools(runtime)

    async def run() -> dict[str, Any]:
        return (await tools.call(runtime, "query_anime", {"text": text, "now": NOW, **arguments})).output

    return anyio.run(run)


def test_a_repeated_question_is_answered_from_the_cache_with_the_same_answer(
    tmp_path: Path, entries: list[CatalogueEntry]
) -> None:
    runtime = runtime_of(tmp_path, entries, 8)
    tools = build_tools(runtime)
    uncached = runtime_of(tmp_path / "plain", entries, 0)

    async def run() -> list[dict[str, Any]]:
        return [
            (await tools.call(runtime, "query_anime", {"text": "anime like Death Note", "now": NOW})).output
            for _ in range(3)
        ]

    first, second, third = anyio.run(run)
    assert second is first and third is first  # served from memory
    assert first == ask(uncached, "anime like Death Note")  # and the same as an answer made afresh
    assert first["results"] and first["metadata"]["tools"] == ["find_similar_anime"]


def test_answers_are_made_again_for_a_new_snapshot(tmp_path: Path, entries: list[CatalogueEntry]) -> None:
    runtime = runtime_of(tmp_path, entries, 8)
    tools = build_tools(runtime)

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        arguments = {"text": "psychological thriller", "now": NOW}
        before = (await tools.call(runtime, "query_anime", arguments)).output
        again = (await tools.call(runtime, "query_anime", arguments)).output
        runtime._snapshot = evolve(runtime.snapshot(), generation="another")  # as after an ingest
        after = (await tools.call(runtime, "query_anime", arguments)).output
        return before, again, after

    before, again, after = anyio.run(run)
    assert again is before
    assert after is not before and after == before  # made again (the index is the same here)


def test_arguments_and_the_asker_s_date_are_part_of_the_key(
    tmp_path: Path, entries: list[CatalogueEntry]
) -> None:
    runtime = runtime_of(tmp_path, entries, 8)
    ten = ask(runtime, "psychological thriller")
    three = ask(runtime, "psychological thriller", limit=3)
    assert len(three["results"]) == 3 and three["results"] == ten["results"][:3]
    later = ask(runtime, "psychological thriller", now="2027-01-05T12:00:00+00:00")
    assert later is not ten


def test_the_cache_keeps_at_most_its_size_least_recently_used_out() -> None:
    cache, snapshot = AnswerCache(2), object()
    assert cache.get(snapshot, ("a",)) is None
    for key in ("a", "b"):
        cache.put(snapshot, (key,), {"key": key})
    assert cache.get(snapshot, ("a",)) == {"key": "a"}  # a is now the most recent
    cache.put(snapshot, ("c",), {"key": "c"})
    assert len(cache) == 2
    assert cache.get(snapshot, ("b",)) is None and cache.get(snapshot, ("c",)) == {"key": "c"}
    assert cache.get(object(), ("a",)) is None and len(cache) == 0  # another snapshot: emptied
    off = AnswerCache(0)
    off.get(snapshot, ("a",))
    off.put(snapshot, ("a",), {})
    assert len(off) == 0


def test_large_answers_count_as_many_so_the_cache_holds_a_bounded_number_of_results() -> None:
    cache, snapshot = AnswerCache(4), object()
    cache.get(snapshot, ("start",))
    ten = {"results": list(range(10))}
    for key in "abcd":
        cache.put(snapshot, (key,), ten)
    assert len(cache) == 4 and cache.weight == 44 == cache.budget  # four answers of ten results fit
    cache.put(snapshot, ("big",), {"results": list(range(30))})
    assert len(cache) == 2 and cache.weight == 11 + 31  # three answers of ten made room for thirty results
    assert cache.get(snapshot, ("d",)) is ten and cache.get(snapshot, ("a",)) is None
    cache.put(snapshot, ("d",), ten)  # the same key again: weighed once
    assert cache.weight == 42
    alone = AnswerCache(1)
    alone.get(snapshot, ("x",))
    alone.put(snapshot, ("huge",), {"results": list(range(100))})
    assert len(alone) == 1  # one answer larger than the budget is still kept, alone


def test_only_offline_answers_are_kept() -> None:
    def answer(tools: list[str], **beside: Any) -> dict[str, Any]:
        return {"metadata": {"tools": tools}, "degradation": None, "clarification": None, **beside}

    assert cacheable(answer(["search_anime"]))
    assert cacheable(answer(["get_anime_by_id", "find_similar_anime"]))
    assert not cacheable(answer(["get_anime_by_id", "get_anime_details"]))
    assert not cacheable(answer(["airing_schedule"]))
    assert not cacheable(answer([]))
    assert not cacheable(answer(["search_anime"], degradation={"level": "partial"}))


def test_the_embedder_remembers_query_vectors_by_text_within_its_bound() -> None:
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder

    embedder = OnnxTextEmbedder(require_shared(MINILM), threads=1)
    embedder.query_cache_size = 2
    first = embedder.embed_query("death note")
    assert embedder.embed_query("death note") == first  # a hit: the same vector
    fresh = embedder.embed_array(["death note"])[0].tolist()
    assert first == pytest.approx(fresh, abs=1e-6)
    first.append(0.0)  # a caller's copy: changing it does not change the cache
    assert len(embedder.embed_query("death note")) == embedder.dimension
    embedder.embed_query("cowboy bebop")
    embedder.embed_query("monster")
    assert list(embedder._queries) == ["cowboy bebop", "monster"]


def test_a_repeated_search_anime_is_answered_from_memory_until_the_snapshot_changes(
    tmp_path: Path, entries: list[CatalogueEntry]
) -> None:
    runtime = runtime_of(tmp_path, entries, 8)
    tools = build_tools(runtime)
    uncached = runtime_of(tmp_path / "plain", entries, 0)
    arguments = {"query": "notebook", "filters": {"types": ["TV"]}, "limit": 5}

    async def run(on: Runtime, changed: bool = False) -> list[dict[str, Any]]:
        each = build_tools(on) if on is not runtime else tools
        answers = [(await each.call(on, "search_anime", arguments)).output for _ in range(2)]
        other = {**arguments, "filters": {"types": ["MOVIE"]}}
        answers.append((await each.call(on, "search_anime", other)).output)
        if changed:
            on._snapshot = evolve(on.snapshot(), generation="another")  # as after an ingest
            answers.append((await each.call(on, "search_anime", arguments)).output)
        return answers

    first, second, movie, after = anyio.run(run, runtime, True)
    fresh, fresh_again, fresh_movie = anyio.run(run, uncached)
    assert second is first  # from memory
    assert after is not first and after == first  # made again for the new snapshot (same index here)
    assert movie is not first and movie == fresh_movie  # other filters: another key
    assert first == fresh and fresh_again is not fresh  # the same answer; answer_cache=0 keeps nothing
    assert first["results"]
