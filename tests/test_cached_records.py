"""Records say how they were served: real sources (Kitsu, AniDB) fetched through a real ``MemoryCache`` from
their recorded Death Note answers, on a virtual clock. A repeat is served from the cache with its age and no
new upstream request; after the freshness, a failing platform yields the stale record, marked so; enrichment
over such sources is ``cache_only`` when every answer was cached and ``partial`` with a mix; the tools'
output shows it. And every installed source is cached: each one's repeat fetch goes nowhere upstream."""

from __future__ import annotations

import datetime as dt

import anyio
import attrs
import httpx
import pytest
import test_source_conformance as conformance
from jsonschema import Draft202012Validator
from shared_data import FIXTURES, require_shared
from test_ratings import death_note_entry

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, make_async_client
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.degradation import Level, contributed
from anime_mcp.core.errors import NotFound, ParseError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.services.enrichment import enrich
from anime_mcp.core.sources import CacheInfo, SourceRecord
from anime_mcp.entrypoints.testing import FakeCatalogue
from anime_mcp.entrypoints.tools.enrichment_tools import (
    degradation_to_dict,
    merged_field_to_dict,
    render_details,
    table_to_dict,
)
from anime_mcp.entrypoints.tools.schemas import DEGRADATION, PROVENANCE
from anime_mcp.plugins.sources.anidb.source import AnidbSource
from anime_mcp.plugins.sources.kitsu import parse as kitsu_parse
from anime_mcp.plugins.sources.kitsu.source import KitsuSource
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection
from anime_mcp.ports.source import Source
from anime_mcp.testing import CHECKS, CheckFailed, KitConfig

pytestmark = pytest.mark.anyio

KITSU_BODY = require_shared(FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json").read_bytes()
ANIDB_BODY = require_shared(FIXTURES / "anidb" / "anime" / "anime_4563_death-note.xml").read_bytes()
KITSU_PID = PlatformId(Platform.KITSU, "1376")
DAY = 86400.0
ANIDB_ENV = {"ANIME_MCP_ANIDB_CLIENT": "testclient", "ANIME_MCP_ANIDB_CLIENTVER": "1"}


class Upstream:
    """Kitsu and AniDB answering their recordings; a host in ``down`` answers 503, in ``garbled`` a 200
    that is not the document."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.down: set[str] = set()
        self.garbled: set[str] = set()
        self.empty: set[str] = set()  # hosts answering 200 with Kitsu's "no such anime" body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        host = request.url.host
        if host in self.down:
            return httpx.Response(503, content=b"Service Unavailable")
        if host in self.empty:
            return httpx.Response(
                200, headers={"content-type": "application/vnd.api+json"}, content=b'{"data": null}'
            )
        if host in self.garbled:
            return httpx.Response(200, headers={"content-type": "application/json"}, content=b"[1, 2")
        if host == "kitsu.app":
            return httpx.Response(
                200, headers={"content-type": "application/vnd.api+json"}, content=KITSU_BODY
            )
        if host == "api.anidb.net":
            return httpx.Response(200, headers={"content-type": "text/xml"}, content=ANIDB_BODY)
        return httpx.Response(404)

    def to(self, host: str) -> int:
        return sum(1 for r in self.requests if r.url.host == host)


def bound(upstream: Upstream, clock: VirtualClock, cache: MemoryCache | None = None) -> dict[str, Source]:
    """Kitsu and AniDB on one runtime with a memory cache; no retries, so a failure is one request."""
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(upstream)),
        clock=clock,
        env=ANIDB_ENV,
        cache=cache if cache is not None else MemoryCache(clock),
        overrides={"kitsu": {"max_retries": 0}, "anidb": {"max_retries": 0}},
    )
    return {"kitsu": KitsuSource().bind(runtime), "anidb": AnidbSource().bind(runtime)}


# --- one source's records ----------------------------------------------------------------------------
async def test_a_repeat_fetch_is_served_from_the_cache_with_its_age_and_the_same_data() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    first = await kitsu.fetch(KITSU_PID)
    assert first.cache is None and first.fetched_at == clock.now() and upstream.to("kitsu.app") == 1
    clock.advance(600)
    second = await kitsu.fetch(KITSU_PID)
    assert upstream.to("kitsu.app") == 1  # nothing new went upstream
    assert second.cache == CacheInfo(age_seconds=600, stale=False)
    assert second.fetched_at == first.fetched_at  # when the answer was stored, not now
    assert attrs.evolve(second, cache=None) == first  # the same data


async def test_a_failing_platform_after_freshness_yields_the_stale_record_with_its_age() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    first = await kitsu.fetch(KITSU_PID)
    clock.advance(3 * DAY + 3600)  # past the 3-day metadata lifetime, within the 7-day grace
    upstream.down.add("kitsu.app")
    stale = await kitsu.fetch(KITSU_PID)
    assert upstream.to("kitsu.app") == 2  # it asked, the platform failed, the stored answer stood in
    assert stale.cache == CacheInfo(age_seconds=3 * DAY + 3600, stale=True)
    assert stale.fetched_at == first.fetched_at and stale.title == first.title
    upstream.down.clear()
    live = await kitsu.fetch(KITSU_PID)
    assert live.cache is None and live.fetched_at == clock.now() and upstream.to("kitsu.app") == 3


async def test_anidb_keeps_its_one_day_cap() -> None:
    clock, upstream = VirtualClock(), Upstream()
    anidb = bound(upstream, clock)["anidb"]
    pid = PlatformId(Platform.ANIDB, "4563")
    await anidb.fetch(pid)
    clock.advance(DAY - 1)
    assert (await anidb.fetch(pid)).cache == CacheInfo(DAY - 1)
    clock.advance(1)
    assert (await anidb.fetch(pid)).cache is None and upstream.to("api.anidb.net") == 2


async def test_an_unreadable_answer_is_not_served_again_from_the_cache() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    upstream.garbled.add("kitsu.app")
    with pytest.raises(ParseError):
        await kitsu.fetch(KITSU_PID)
    upstream.garbled.clear()
    record = await kitsu.fetch(KITSU_PID)  # the garbled 200 was dropped: asked again, read fine
    assert record.cache is None and record.title == "Death Note" and upstream.to("kitsu.app") == 2


async def test_a_200_saying_no_such_anime_is_kept_as_not_found_for_a_day_not_as_data_for_days() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    upstream.empty.add("kitsu.app")
    with pytest.raises(NotFound):
        await kitsu.fetch(KITSU_PID)
    upstream.empty.clear()  # the anime appears upstream meanwhile
    clock.advance(DAY / 2)
    with pytest.raises(NotFound):  # within the not-found lifetime: the kept verdict, no new request
        await kitsu.fetch(KITSU_PID)
    assert upstream.to("kitsu.app") == 1
    clock.advance(DAY / 2 + 1)  # past one day (metadata would be kept three): asked again, found
    record = await kitsu.fetch(KITSU_PID)
    assert record.title == "Death Note" and record.cache is None and upstream.to("kitsu.app") == 2


async def test_ping_always_asks_the_platform_and_a_page_of_search_needs_nothing() -> None:
    clock, upstream = VirtualClock(), Upstream()
    kitsu = bound(upstream, clock)["kitsu"]
    await kitsu.ping()
    await kitsu.ping()
    assert upstream.to("kitsu.app") == 2  # a health check is never answered by the cache
    await kitsu.search("Death Note")
    await kitsu.search("Death Note")
    assert upstream.to("kitsu.app") == 3  # searches are cached too (their results carry no record)


# --- enrichment over cached sources -------------------------------------------------------------------
WANTED = frozenset({"synopsis", "score", "episodes"})


async def test_enrichment_from_cached_records_is_cache_only_and_says_how_old() -> None:
    clock, upstream = VirtualClock(), Upstream()
    sources = bound(upstream, clock)
    catalogue = FakeCatalogue([death_note_entry()])
    live = await enrich("mal:1535", catalogue, sources, fields=WANTED)
    assert live.level is Level.FULL and all(not o.from_cache for o in live.outcomes if o.contributed)
    clock.advance(90)
    cached = await enrich("mal:1535", catalogue, sources, fields=WANTED)
    assert cached.level is Level.CACHE_ONLY and len(upstream.requests) == 2  # one per platform, once
    for source in ("kitsu", "anidb"):
        assert cached.outcome(source) == contributed(source, from_cache=True, age_seconds=90)
        assert cached.outcome(source).note == "served from cache, 1 min old"  # type: ignore[union-attr]
    synopsis = cached.merged.synopsis
    assert synopsis is not None and synopsis.provenance.from_cache
    assert synopsis.provenance.age_seconds == 90 and not synopsis.provenance.stale
    kitsu_rating = cached.ratings.get("kitsu")
    assert kitsu_rating is not None and kitsu_rating.provenance.age_seconds == 90

    clock.advance(4 * DAY)  # past both freshnesses (AniDB: a day, Kitsu: 3 days); both platforms down
    upstream.down |= {"kitsu.app", "api.anidb.net"}
    stale = await enrich("mal:1535", catalogue, sources, fields=WANTED)
    assert stale.level is Level.CACHE_ONLY
    outcome = stale.outcome("kitsu")
    assert outcome is not None and outcome.stale and outcome.age_seconds == 4 * DAY + 90
    assert outcome.note == "served from cache, 4 d old, platform failing" and outcome.reason is None
    assert stale.ratings.reason("kitsu") is None  # a stale score is still the platform's own score


async def test_a_remembered_record_answers_without_a_request_and_the_repeat_skips_the_fan_out() -> None:
    clock, upstream = VirtualClock(), Upstream()
    sources = bound(upstream, clock)
    kitsu = sources["kitsu"]
    remembered = kitsu.remembered  # type: ignore[attr-defined]  # HttpSource's RemembersRecords capability
    assert remembered(KITSU_PID, WANTED) is None  # nothing fetched yet: nothing to remember
    first = await kitsu.fetch(KITSU_PID, WANTED)
    clock.advance(45)
    kept = remembered(KITSU_PID, WANTED)
    assert kept == attrs.evolve(first, cache=CacheInfo(age_seconds=45))  # the fetch's record, 45 s old
    assert remembered(KITSU_PID, frozenset({"title"})) is None  # another set of fields: another record
    assert remembered(PlatformId(Platform.ANIDB, "4563"), WANTED) is None  # not this source's platform

    catalogue = FakeCatalogue([death_note_entry()])
    await enrich("mal:1535", catalogue, sources, fields=WANTED)  # AniDB's answer joins Kitsu's
    asked = len(upstream.requests)

    class Refusing:
        """Kitsu and AniDB as they are, except that a fetch fails the test: a repeat must not need one."""

        def __init__(self, source: Source) -> None:
            self.source = source
            self.info = source.info
            self.remembered = source.remembered  # type: ignore[attr-defined]

        async def fetch(self, pid: PlatformId, fields: frozenset[str] = frozenset()) -> SourceRecord:
            raise AssertionError(f"{pid} was fetched although its record was remembered")

    clock.advance(15)
    repeat = await enrich("mal:1535", catalogue, {k: Refusing(v) for k, v in sources.items()}, fields=WANTED)  # type: ignore[misc]
    assert len(upstream.requests) == asked and repeat.level is Level.CACHE_ONLY
    assert repeat.outcome("kitsu") == contributed("kitsu", from_cache=True, age_seconds=60)
    assert repeat.merged.synopsis is not None and repeat.merged.synopsis.provenance.age_seconds in (15, 60)


async def test_enrichment_with_one_cached_and_one_live_record_is_partial() -> None:
    clock, upstream = VirtualClock(), Upstream()
    sources = bound(upstream, clock)
    await sources["kitsu"].fetch(KITSU_PID, WANTED)  # Kitsu's answer is in the cache already
    clock.advance(30)
    result = await enrich("mal:1535", FakeCatalogue([death_note_entry()]), sources, fields=WANTED)
    assert result.level is Level.PARTIAL
    kitsu, anidb = result.outcome("kitsu"), result.outcome("anidb")
    assert kitsu is not None and kitsu.from_cache and kitsu.age_seconds == 30
    assert anidb is not None and not anidb.from_cache and anidb.age_seconds is None and anidb.note is None


async def test_the_tool_output_shows_from_cache_and_the_age() -> None:
    clock, upstream = VirtualClock(), Upstream()
    sources = bound(upstream, clock)
    catalogue = FakeCatalogue([death_note_entry()])
    await enrich("mal:1535", catalogue, sources, fields=WANTED)
    clock.advance(2 * 3600)
    upstream.down.add("kitsu.app")  # fresh for Kitsu (3 days): the failure is never even seen
    result = await enrich("mal:1535", catalogue, sources, fields=WANTED)
    degradation = degradation_to_dict(result)
    Draft202012Validator(DEGRADATION).validate(degradation)
    outcomes = {o["source"]: o for o in degradation["outcomes"]}
    assert degradation["level"] == "cache_only"
    assert outcomes["kitsu"] | {"source": None} == {
        "source": None,
        "status": "contributed",
        "reason": None,
        "retry_after": None,
        "from_cache": True,
        "age_seconds": 7200.0,
        "stale": False,
        "note": "served from cache, 2 h old",
    }
    synopsis = merged_field_to_dict(result.merged.synopsis)  # type: ignore[arg-type]
    Draft202012Validator(PROVENANCE).validate(synopsis["provenance"])
    assert synopsis["provenance"]["from_cache"] and synopsis["provenance"]["age_seconds"] == 7200.0
    ratings = table_to_dict(result.ratings)
    (kitsu_row,) = [r for r in ratings["ratings"] if r["source"] == "kitsu"]
    stored_at = (clock.now() - dt.timedelta(hours=2)).isoformat()
    assert kitsu_row["provenance"] | {"url": None} == {
        "source": "kitsu",
        "url": None,
        "fetched_at": stored_at,
        "from_cache": True,
        "age_seconds": 7200.0,
        "stale": False,
    }
    text = render_details(
        {
            "anime_id": result.entry.anime_id,
            "title": result.entry.title,
            "fields": {"synopsis": synopsis},
            "missing": [],
            "ratings": ratings,
            "degradation": degradation,
        }
    )
    assert "answer: cache_only" in text and "kitsu (served from cache, 2 h old)" in text


# --- every installed source is cached -------------------------------------------------------------------
def installed_sources() -> list[Source]:
    host = PluginHost(trace=False)
    host.load_entry_points(PluginSelection())
    return host.sources()


def kit_config(source: Source) -> KitConfig:
    """The recordings test_source_conformance proves this source with."""
    for suite in vars(conformance).values():
        proves = isinstance(suite, type) and issubclass(suite, conformance.SourceConformance)
        if proves and type(getattr(suite, "source", None)) is type(source):
            return KitConfig(source=source, recordings=suite.recordings, env=suite.env, root=suite.root)
    raise AssertionError(f"{source.info.id} has no conformance suite with recordings to prove it is cached")


def test_every_installed_source_answers_a_repeat_fetch_from_the_cache() -> None:
    sources = installed_sources()
    assert {s.info.id for s in sources} >= {"anidb", "anilist", "kitsu", "mal", "ann", "notify"}
    for source in sources:
        # the kit's cache check: a repeat of a recorded fetch sends no request and the record says
        # CacheInfo(60 s), fetched_at when stored, the same data otherwise
        anyio.run(CHECKS["cache"], kit_config(source))


def test_policies_cap_or_opt_out_but_never_disable_by_default() -> None:
    assert HttpPolicy().cacheable and HttpPolicy().cache_ttl is None
    assert AnidbSource.policy.cache_ttl == DAY  # AniDB asks clients to cache for a day: its cap
    with pytest.raises(ValueError, match="cacheable = false"):
        HttpPolicy(cache_ttl=0)


class StampedKitsu(KitsuSource):
    """A source that makes every request unique (a timestamp in the query): nothing can be cached."""

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        params = {"filter[id]": pid.id, "stamp": str(self.now().timestamp())}
        response = await self.http.get("https://kitsu.app/api/edge/anime", params=params)
        return kitsu_parse.parse_anime(response.content, url=response.url, fetched_at=self.now())


def test_the_kit_fails_a_source_whose_repeat_cannot_be_cached_unless_it_opts_out() -> None:
    config = attrs.evolve(kit_config(KitsuSource()), source=StampedKitsu())
    with pytest.raises(CheckFailed, match="went upstream again"):
        anyio.run(CHECKS["cache"], config)

    class LiveOnlyKitsu(StampedKitsu):
        policy = attrs.evolve(StampedKitsu.policy, cacheable=False)

    anyio.run(CHECKS["cache"], attrs.evolve(config, source=LiveOnlyKitsu()))
