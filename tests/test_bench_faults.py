"""Injected faults in replay (``ANIME_MCP_REPLAY_FAULTS``, ``bench --replay-faults``): the setting is read
and checked, the draw is deterministic and near its share, and a real source replayed from Kitsu's recorded
Death Note answer meets each fault as it would meet the real one (an error status, a timeout, a reset)."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import httpx
import pytest
from shared_data import FIXTURES, require_shared

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.http.faults import Fault, FaultInjector, parse_faults
from anime_mcp.adapters.http.replay import ReplayTransport
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.errors import RateLimited, Unavailable
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.entrypoints.replay_setup import replay_transport
from anime_mcp.entrypoints.settings import ConfigError, ReplaySettings, Settings
from anime_mcp.plugins.sources.kitsu.source import KitsuSource
from anime_mcp.ports.source import Source

KITSU_DOCUMENT = FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"
DEATH_NOTE = PlatformId(Platform.KITSU, "1376")


@pytest.fixture
def recordings(tmp_path: Path) -> Path:
    """A replay folder whose one recording is Kitsu's real Death Note answer."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "death-note.json").write_bytes(require_shared(KITSU_DOCUMENT).read_bytes())
    line = {"request": "GET https://kitsu.app/api/edge/anime?filter[id]=1376", "file": "death-note.json"}
    (folder / "recordings.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    return folder


def request(number: int) -> httpx.Request:
    return httpx.Request("GET", f"https://kitsu.app/api/edge/anime?filter[id]={number}")


def test_faults_are_read_as_kinds_and_shares() -> None:
    assert parse_faults("503:0.1, timeout:0.05,RESET:0.02,429:0") == (
        Fault("503", 0.1),
        Fault("timeout", 0.05),
        Fault("reset", 0.02),
        Fault("429", 0.0),
    )
    assert parse_faults("") == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("503", "write KIND:SHARE"),
        ("200:0.1", "HTTP status 400-599"),
        ("slow:0.1", "HTTP status 400-599"),
        ("503:lots", "a number from 0 to 1"),
        ("503:1.5", "a number from 0 to 1"),
        ("503:0.6,timeout:0.6", "more than 1"),
    ],
)
def test_a_bad_fault_is_a_clear_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(text)


def test_the_draw_is_deterministic_and_near_its_share() -> None:
    faults = parse_faults("503:0.1,timeout:0.05")

    def picks(seed: int) -> list[str | None]:
        injector = FaultInjector(faults, seed=seed)
        return [getattr(injector.pick(request(n)), "kind", None) for n in range(4000)]

    first = picks(seed=1)
    assert picks(seed=1) == first  # the same run, the same faults
    assert picks(seed=2) != first
    assert 0.08 < first.count("503") / 4000 < 0.12
    assert 0.035 < first.count("timeout") / 4000 < 0.065


def test_a_repeated_request_draws_again_so_a_retry_can_succeed() -> None:
    injector = FaultInjector(parse_faults("503:0.5"))
    outcomes = {injector.pick(request(1)) is None for _ in range(40)}
    assert outcomes == {True, False}
    assert 0 < injector.injected["503"] < 40


def test_settings_carry_the_faults_to_the_replay_transport(tmp_path: Path, recordings: Path) -> None:
    env = {
        "ANIME_MCP_HOME": str(tmp_path / "home"),
        "ANIME_MCP_REPLAY": str(recordings),
        "ANIME_MCP_REPLAY_FAULTS": "503:0.1,reset:0.01",
        "ANIME_MCP_REPLAY_FAULT_SEED": "7",
    }
    replay = Settings.load(environ=env).replay
    assert (replay.faults, replay.fault_seed) == ("503:0.1,reset:0.01", 7)
    injector = replay_transport(replay).faults
    assert injector is not None and injector.seed == 7 and len(injector.faults) == 2
    assert replay_transport(ReplaySettings(dir=recordings)).faults is None  # off unless asked
    with pytest.raises(ConfigError, match=r"ANIME_MCP_REPLAY_FAULTS.*'boom'"):
        replay_transport(ReplaySettings(dir=recordings, faults="boom"))
    with pytest.raises(ConfigError, match="ANIME_MCP_REPLAY_FAULT_SEED"):
        Settings.load(environ={**env, "ANIME_MCP_REPLAY_FAULT_SEED": "-1"})


def kitsu_over(
    recordings: Path, faults: str, retries: int = 0, seed: int = 0
) -> tuple[Source, ReplayTransport]:
    transport = replay_transport(ReplaySettings(dir=recordings, faults=faults, fault_seed=seed))
    clock = VirtualClock()  # backoff sleeps are virtual
    runtime = HttpRuntime(
        client=make_async_client(transport),
        clock=clock,
        env={},
        cache=MemoryCache(clock),
        overrides={"kitsu": {"max_retries": retries, "failure_threshold": 100}},
    )
    return KitsuSource().bind(runtime), transport


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        ("503:1", Unavailable, "503"),
        ("429:1", RateLimited, None),
        ("timeout:1", Unavailable, "timed out"),
        ("reset:1", Unavailable, "connection reset"),
    ],
)
def test_a_replayed_source_meets_each_fault_as_upstream(
    recordings: Path, fault: str, error: type[Exception], message: str | None
) -> None:
    async def main() -> None:
        kitsu, _ = kitsu_over(recordings, fault)
        with pytest.raises(error, match=message):
            await kitsu.fetch(DEATH_NOTE)
        healthy, _ = kitsu_over(recordings, "")
        assert (await healthy.fetch(DEATH_NOTE)).title == "Death Note"

    anyio.run(main)


def test_retries_get_through_a_share_of_faults(recordings: Path) -> None:
    async def main() -> None:
        met = 0
        for seed in range(8):  # a fault on half the attempts; three retries
            kitsu, transport = kitsu_over(recordings, "503:0.3,timeout:0.2", retries=3, seed=seed)
            assert (await kitsu.fetch(DEATH_NOTE)).title == "Death Note"
            assert transport.faults is not None
            injected = sum(transport.faults.injected.values())
            assert injected == len(transport.requests) - 1  # every fault was retried, then answered
            met += injected
        assert met >= 2

    anyio.run(main)
