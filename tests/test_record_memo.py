"""Parsed records kept beside the response cache (``RecordMemo``): a repeat answered from the cache is not
parsed again, says the same as the cache would (age, ``fetched_at``), and is never kept past the freshness
of its answers, when one of its answers is stale, or when a request of the fetch failed."""

from __future__ import annotations

import contextlib
import datetime as dt

import attrs
import pytest
from test_cached_records import KITSU_PID, Upstream, bound

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http.record_memo import RecordMemo
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.errors import SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import CacheInfo, SourceRecord
from anime_mcp.plugins.sources.kitsu import parse as kitsu_parse
from anime_mcp.plugins.sources.kitsu.source import KitsuSource

pytestmark = pytest.mark.anyio
T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def record(title: str = "Death Note") -> SourceRecord:
    return SourceRecord(KITSU_PID, "https://kitsu.app/anime/1376", T0, {"title"}, title=title)


def test_a_kept_record_says_its_age_until_its_answers_stop_being_fresh() -> None:
    memo = RecordMemo()
    memo.put("k", record(), stored_at=T0.timestamp(), fresh_until=T0.timestamp() + 100)
    got = memo.get("k", T0 + dt.timedelta(seconds=40))
    assert got is not None and got.cache == CacheInfo(age_seconds=40.0) and got.fetched_at == T0
    assert memo.get("k", T0 + dt.timedelta(seconds=100)) is None  # freshness over: dropped
    assert len(memo) == 0 and memo.hits == 1


def test_a_kept_record_comes_back_whole_with_only_its_provenance_time_and_age_changed() -> None:
    memo = RecordMemo()
    full = attrs.evolve(
        record(), fields={"title", "episodes", "synopsis"}, episodes=37, synopsis="A notebook", titles=("DN",)
    )
    stored = T0 - dt.timedelta(seconds=30)  # the oldest answer behind it was stored before the fetch ended
    memo.put("k", attrs.evolve(full, cache=CacheInfo(0.0)), stored_at=stored.timestamp(), fresh_until=1e12)
    for age in (40.0, 41.5):  # each repeat its own age; the same record otherwise
        got = memo.get("k", stored + dt.timedelta(seconds=age))
        assert got == attrs.evolve(full, fetched_at=stored, cache=CacheInfo(age_seconds=age))


def test_the_memo_is_bounded_least_recently_used_first_out() -> None:
    memo = RecordMemo(max_entries=2)
    for key in "abc":
        memo.put(key, record(key), stored_at=0.0, fresh_until=T0.timestamp() + 10)
    assert memo.get("a", T0) is None and memo.get("b", T0) is not None and len(memo) == 2
    with pytest.raises(ValueError, match="max_entries"):
        RecordMemo(max_entries=0)


async def test_a_repeat_within_freshness_is_not_parsed_again(monkeypatch: pytest.MonkeyPatch) -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    parses: list[int] = []
    real = kitsu_parse.parse_anime

    def counting(*args: object, **kwargs: object) -> SourceRecord:
        parses.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(kitsu_parse, "parse_anime", counting)
    first = await kitsu.fetch(KITSU_PID)
    clock.advance(600)
    second = await kitsu.fetch(KITSU_PID)
    assert len(parses) == 1 and upstream.to("kitsu.app") == 1
    assert second.cache == CacheInfo(age_seconds=600) and second.fetched_at == first.fetched_at
    assert attrs.evolve(second, cache=None) == first
    clock.advance(3 * 86400)  # past the metadata lifetime: the memo lets go, the answer is fetched again
    third = await kitsu.fetch(KITSU_PID)
    assert third.cache is None and upstream.to("kitsu.app") == 2 and len(parses) == 2


async def test_a_stale_record_is_not_kept() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    await kitsu.fetch(KITSU_PID)
    clock.advance(3 * 86400 + 60)
    upstream.down.add("kitsu.app")
    stale = await kitsu.fetch(KITSU_PID)
    assert stale.cache is not None and stale.cache.stale
    upstream.down.clear()
    live = await kitsu.fetch(KITSU_PID)  # the platform is back: a stale record was not kept
    assert live.cache is None


class TwoRequestKitsu(KitsuSource):
    """Kitsu that asks a second, optional document and goes on without it when that request fails (as MAL
    does for characters): the record is built, but lacks something, so it must not be kept."""

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        built = await super()._fetch(pid, fields)
        with contextlib.suppress(SourceError):
            await self.http.get("https://extra.example.org/optional")  # Upstream: 404, a typed failure
        return built


async def test_a_record_built_despite_a_failed_request_is_not_kept() -> None:
    clock = VirtualClock()
    upstream = Upstream()
    runtime_sources = bound(upstream, clock, MemoryCache(clock))
    source = TwoRequestKitsu().bind(runtime_sources["kitsu"].runtime)  # type: ignore[attr-defined]
    await source.fetch(PlatformId(Platform.KITSU, "1376"))
    assert len(source.http.records) == 0
    again = await source.fetch(PlatformId(Platform.KITSU, "1376"))  # built again from the cached answers
    assert again.cache is not None and source.http.records.hits == 0 and len(source.http.records) == 0
