"""Pre-warming (issue 14, item 7): real Kitsu and AniDB sources replayed from their recorded answers
(../shared/fixtures) fill the cache for the season's anime, skip what is fresh, keep to their share of the
rate-limit budget (counted against a tight limit), stop when a user request arrives or the window ends;
the schedule waits for quiet and its period; and it is off unless turned on."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import anyio
import attrs
import httpx
import pytest
from shared_data import FIXTURES, require_shared
from test_ratings import death_note_entry

from anime_mcp.adapters.clock import SystemClock, VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.http.replay import ReplayTransport
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.models import CatalogueEntry, Season
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.seasons import season_of
from anime_mcp.core.services.prewarm import DONE, MostAsked, PrewarmReport, prewarm
from anime_mcp.core.services.seasons import SeasonCatalogue
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.replay_setup import replay_transport
from anime_mcp.entrypoints.rest.prewarm_schedule import (
    USER_REQUEST,
    WINDOW_ENDED,
    Activity,
    ActivityMiddleware,
    prewarm_round,
    round_stop,
    run_prewarm_schedule,
)
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ReplaySettings, ServeSettings, Settings
from anime_mcp.entrypoints.testing import FakeCatalogue
from anime_mcp.plugins.sources.anidb.source import AnidbSource
from anime_mcp.plugins.sources.kitsu.source import KitsuSource
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.source import RateLimit, RemembersRecords, Source

KITSU = {  # Kitsu id -> the recorded answer (all but Cowboy Bebop aired in fall 2006 or later)
    "1376": "anime_1376_death-note.json",
    "1415": "anime_1415_code-geass.json",
    "1": "anime_1_cowboy-bebop.json",
    "10": "anime_10_monster.json",
    "41370": "anime_41370_kimetsu-no-yaiba.json",
}
ANIDB_DEATH_NOTE = "anime_4563_death-note.xml"
ANIDB_ENV = {"ANIME_MCP_ANIDB_CLIENT": "testclient", "ANIME_MCP_ANIDB_CLIENTVER": "1"}


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """A replay folder with the real Kitsu answers above and AniDB's Death Note."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    lines = []
    for kitsu_id, name in KITSU.items():
        (folder / name).write_bytes(require_shared(FIXTURES / "kitsu" / "anime" / name).read_bytes())
        lines.append({"request": f"GET https://kitsu.app/api/edge/anime?filter[id]={kitsu_id}", "file": name})
    anidb = require_shared(FIXTURES / "anidb" / "anime" / ANIDB_DEATH_NOTE).read_bytes()
    (folder / ANIDB_DEATH_NOTE).write_bytes(anidb)
    lines.append({"request": "GET http://api.anidb.net:9001/httpapi?aid=4563", "file": ANIDB_DEATH_NOTE})
    (folder / "recordings.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    return folder


def entry(kitsu_id: str, *, year: int = 2006, season: Season = Season.FALL) -> CatalogueEntry:
    """A catalogue entry with this Kitsu id (Death Note's also carries its AniDB id)."""
    base = death_note_entry()
    if kitsu_id == "1376":
        return base
    return attrs.evolve(
        base,
        title=f"kitsu {kitsu_id}",
        sources=(PlatformId(Platform.KITSU, kitsu_id),),
        season=attrs.evolve(base.season, year=year, season=season),
    )


class Replayed:
    """Kitsu and AniDB bound to one runtime over the replay transport (virtual clock, memory cache)."""

    def __init__(self, folder: Path, *, kitsu_limit: int | None = None, latency: float = 0.0) -> None:
        self.transport: ReplayTransport = replay_transport(ReplaySettings(dir=folder, latency=latency))
        # a replay latency is real time: then the runtime's clock is too (a virtual one would jump ahead)
        self.clock: Clock = VirtualClock() if latency == 0 else SystemClock()
        overrides: dict[str, dict[str, object]] = {"kitsu": {"max_retries": 0}, "anidb": {"max_retries": 0}}
        if kitsu_limit is not None:
            overrides["kitsu"]["rate_limits"] = (RateLimit(requests=kitsu_limit, per_seconds=3600),)
        self.runtime = HttpRuntime(
            client=make_async_client(self.transport),
            clock=self.clock,
            env=ANIDB_ENV,
            cache=MemoryCache(self.clock),
            overrides=overrides,
        )
        self.sources: dict[str, Source] = {
            "kitsu": KitsuSource().bind(self.runtime),
            "anidb": AnidbSource().bind(self.runtime),
        }

    def requests_to(self, host: str) -> int:
        return sum(1 for r in self.transport.requests if r.url.host == host)

    def remembered(self, source: str, pid: PlatformId) -> bool:
        found = self.sources[source]
        return isinstance(found, RemembersRecords) and found.remembered(pid) is not None

    async def prewarm(
        self, entries: list[CatalogueEntry], stop: Callable[[], str | None] = lambda: None
    ) -> PrewarmReport:
        return await prewarm(entries, self.sources, self.runtime, share=0.5, stop=stop)


def test_the_seasons_anime_are_fetched_into_the_cache_once(recordings: Path) -> None:
    catalogue = FakeCatalogue([entry("1376"), entry("1415"), entry("1", year=1998, season=Season.SPRING)])
    season, _ = SeasonCatalogue().season(catalogue, 2006, Season.FALL)
    assert {e.title for e in season} == {"Death Note", "kitsu 1415"}

    async def main() -> None:
        replayed = Replayed(recordings)
        first = await replayed.prewarm(season)
        assert first == PrewarmReport(fetched=3, stopped=DONE)  # Kitsu twice, AniDB once
        assert replayed.remembered("kitsu", PlatformId(Platform.KITSU, "1376"))
        assert replayed.remembered("kitsu", PlatformId(Platform.KITSU, "1415"))
        assert replayed.remembered("anidb", PlatformId(Platform.ANIDB, "4563"))
        assert not replayed.remembered("kitsu", PlatformId(Platform.KITSU, "1"))  # another season
        sent = len(replayed.transport.requests)
        assert sent == 3
        again = await replayed.prewarm(season)
        assert again == PrewarmReport(fresh=3)  # already fresh: nothing asked
        assert len(replayed.transport.requests) == sent
        # a user's question now is answered from the cache
        record = await replayed.sources["kitsu"].fetch(PlatformId(Platform.KITSU, "1415"))
        assert record.cache is not None and len(replayed.transport.requests) == sent

    anyio.run(main)


def test_pre_warming_keeps_to_its_share_of_the_budget(recordings: Path) -> None:
    entries = [entry(k) for k in ("1415", "1", "10", "41370")]

    async def main() -> None:
        replayed = Replayed(recordings, kitsu_limit=4)  # 4 requests an hour: 2 for pre-warming
        report = await replayed.prewarm(entries)
        assert (report.fetched, report.over_budget) == (2, 2)
        assert replayed.requests_to("kitsu.app") == 2
        assert replayed.runtime.budget_used("kitsu") == 0.5
        # the other half stays for users: their next two requests go at once, no wait on the limiter
        for kitsu_id in ("10", "41370"):
            await replayed.sources["kitsu"].fetch(PlatformId(Platform.KITSU, kitsu_id))
        assert replayed.clock.monotonic() == 0.0 and replayed.requests_to("kitsu.app") == 4
        # users have spent the budget: the next round asks Kitsu nothing, AniDB still has room
        report = await replayed.prewarm([entry("1415"), entry("1376")])
        assert (report.fresh, report.over_budget, report.fetched) == (1, 1, 1)
        assert replayed.requests_to("kitsu.app") == 4 and replayed.requests_to("api.anidb.net") == 1

    anyio.run(main)


def test_a_source_already_half_used_by_users_is_not_asked(recordings: Path) -> None:
    async def main() -> None:
        replayed = Replayed(recordings, kitsu_limit=4)
        for kitsu_id in ("1", "10"):  # users' requests
            await replayed.sources["kitsu"].fetch(PlatformId(Platform.KITSU, kitsu_id))
        report = await replayed.prewarm([entry("1415"), entry("41370")])
        assert (report.fetched, report.over_budget) == (0, 2)
        assert replayed.requests_to("kitsu.app") == 2

    anyio.run(main)


def test_a_round_stops_when_a_user_request_arrives(recordings: Path) -> None:
    entries = [entry(k) for k in ("1415", "1", "10", "41370")]

    async def main() -> None:
        replayed = Replayed(recordings, latency=0.2)  # each upstream answer takes 200 ms
        activity = Activity()
        stop = round_stop(activity, window=60)
        reports: list[PrewarmReport] = []

        async def run() -> None:
            reports.append(await replayed.prewarm(entries, stop))

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            while not replayed.transport.requests:
                await anyio.sleep(0.01)
            activity.begin()  # a user's request arrives while the first fetch is in flight
        assert reports[0].stopped == USER_REQUEST and reports[0].fetched == 1
        assert len(replayed.transport.requests) == 1

    anyio.run(main)


def test_a_round_stops_when_its_window_ends() -> None:
    now = [0.0]
    activity = Activity(clock=lambda: now[0])
    stop = round_stop(activity, window=30)
    assert stop() is None
    now[0] = 30.0
    assert stop() == WINDOW_ENDED


def test_most_asked_keeps_the_most_asked_within_its_capacity() -> None:
    asked = MostAsked(capacity=4)
    for anime_id, times in (("a", 5), ("b", 3), ("c", 1), ("d", 4)):
        for _ in range(times):
            asked.note(anime_id)
    assert asked.top(2) == ["a", "d"]
    asked.note("e")  # five ids: the less asked half is forgotten
    assert asked.top(10) == ["a", "d"]


def test_the_schedule_waits_for_quiet_and_its_period() -> None:
    settings = ServeSettings(prewarm=True, prewarm_quiet=60, prewarm_every=30)
    now = [0.0]
    activity = Activity(clock=lambda: now[0])
    rounds: list[float] = []
    busy_until = 100.0  # a user request in flight until t=100

    async def sleep(seconds: float) -> None:
        now[0] += seconds
        if activity.in_flight and now[0] >= busy_until:
            activity.end()
        if len(rounds) == 2:
            raise anyio.get_cancelled_exc_class()()

    async def round_(runtime: object, act: Activity, serve: ServeSettings) -> PrewarmReport:
        rounds.append(now[0])
        return PrewarmReport()

    async def main() -> None:
        activity.begin()
        try:
            await run_prewarm_schedule(None, activity, settings, sleep=sleep, round_=round_)  # type: ignore[arg-type]
        except anyio.get_cancelled_exc_class():
            pass

    anyio.run(main)
    assert rounds[0] >= 160  # 60 s of quiet after the request ended at 100
    assert rounds[1] - rounds[0] >= 30 * 60  # then not before the period


def test_activity_counts_user_requests_not_probes() -> None:
    activity = Activity()

    async def endpoint(scope: object, receive: object, send: Callable[..., object]) -> None:
        assert activity.in_flight == (0 if scope["path"] in ("/health", "/-/plugins") else 1)  # type: ignore[index]
        await send({"type": "http.response.start", "status": 204, "headers": []})  # type: ignore[operator]
        await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

    app = ActivityMiddleware(endpoint, activity=activity)  # type: ignore[arg-type]

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            before = activity.last
            for path in ("/health", "/-/plugins"):
                assert (await client.get(path)).status_code == 204
            assert activity.last == before
            assert (await client.post("/api/query", json={})).status_code == 204
            assert activity.last > before and activity.in_flight == 0

    anyio.run(main)


def test_pre_warming_is_off_by_default_and_configurable(tmp_path: Path) -> None:
    assert Settings.load(environ={"ANIME_MCP_HOME": str(tmp_path)}).serve.prewarm is False
    config = "[serve]\nprewarm_share = 0.25\nprewarm_top = 10\n"
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")
    env = {
        "ANIME_MCP_HOME": str(tmp_path),
        "ANIME_MCP_PREWARM": "1",
        "ANIME_MCP_PREWARM_QUIET": "5",
        "ANIME_MCP_PREWARM_EVERY": "10",
    }
    serve = Settings.load(environ=env).serve
    assert (serve.prewarm, serve.prewarm_quiet, serve.prewarm_every) == (True, 5.0, 10.0)
    assert (serve.prewarm_share, serve.prewarm_top) == (0.25, 10)


def test_a_round_in_serve_warms_the_most_asked_then_the_current_season(
    recordings: Path, tmp_path: Path
) -> None:
    """The composed round: a real Runtime over the replayed sources; candidates from its season index and
    its most-asked counter."""
    year, season = season_of(dt.datetime.now(dt.UTC).date())
    current = [entry(k, year=year, season=season) for k in ("1415", "10")]
    asked = entry("1", year=1998, season=Season.SPRING)
    catalogue = FakeCatalogue([*current, asked, entry("41370", year=1990)])
    env = {
        "ANIME_MCP_HOME": str(tmp_path / "home"),
        "ANIME_MCP_REPLAY": str(recordings),
        "ANIME_MCP_LOAD_PLUGINS": "aod_catalogue,caches,kitsu",
    }
    app = bootstrap(Settings.load(environ=env), overrides=Overrides(catalogue=lambda: catalogue, env={}))
    runtime = Runtime(app)
    runtime.asked.note(asked.anime_id)
    settings = ServeSettings(prewarm=True, prewarm_quiet=60)

    async def main() -> None:
        # Kitsu's own limit is 4 a second: half of it now, the rest left for users
        report = await prewarm_round(runtime, Activity(), settings)
        assert report == PrewarmReport(fetched=2, over_budget=1)
        http = runtime.http_runtime
        assert http is not None and http.budget_used("kitsu") == 0.5
        kitsu = runtime.sources()["kitsu"]
        assert isinstance(kitsu, RemembersRecords)
        assert kitsu.remembered(PlatformId(Platform.KITSU, "1")) is not None  # the most asked went first
        await anyio.sleep(1.05)  # the one-second window has passed: the next round finishes the season
        assert await prewarm_round(runtime, Activity(), settings) == PrewarmReport(fetched=1, fresh=2)
        for kitsu_id in ("1", "1415", "10"):
            assert kitsu.remembered(PlatformId(Platform.KITSU, kitsu_id)) is not None
        assert kitsu.remembered(PlatformId(Platform.KITSU, "41370")) is None  # neither asked nor current
        await runtime.aclose()

    anyio.run(main)
