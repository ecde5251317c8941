"""Replay standing in for a slow upstream: injected latency, a log of every request shared by processes, and
the Redis namespace of a replayed folder (so replayed and live processes never share answers)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from anime_mcp.adapters.http.replay import RECORDINGS_FILE, Recording, ReplayTransport, add_recording
from anime_mcp.entrypoints.replay_setup import replay_namespace, replay_transport
from anime_mcp.entrypoints.settings import ConfigError, ReplaySettings, Settings

pytestmark = pytest.mark.anyio


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "recordings"
    folder.mkdir()
    (folder / "one.json").write_text('{"id": 1}')
    add_recording(folder, Recording(file="one.json", request="GET https://api.test/anime?id=1"))
    return folder


async def test_latency_and_the_upstream_log(tmp_path: Path) -> None:
    folder, log = _folder(tmp_path), tmp_path / "upstream.jsonl"
    transport = replay_transport(ReplaySettings(dir=folder, latency=0.05, log=log))
    async with httpx.AsyncClient(transport=transport) as client:
        started = time.monotonic()
        answer = await client.get("https://elsewhere.test/anime", params={"id": "1"})
        assert answer.json() == {"id": 1} and time.monotonic() - started >= 0.05
        with pytest.raises(httpx.TransportError, match=r"no recording of GET https://api\.test/anime\?id=2"):
            await client.get("https://api.test/anime", params={"id": "2"})
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert [(line["request"], line["status"], line["pid"]) for line in lines] == [
        ("GET https://elsewhere.test/anime?id=1", 200, os.getpid()),
        ("GET https://api.test/anime?id=2", None, os.getpid()),  # asked, and not answered
    ]


async def test_no_latency_and_no_log_by_default(tmp_path: Path) -> None:
    transport = replay_transport(ReplaySettings(dir=_folder(tmp_path)))
    assert isinstance(transport, ReplayTransport) and transport.latency == 0 and transport.log is None


def test_settings_of_replay_and_the_namespace(tmp_path: Path) -> None:
    settings = Settings.load(
        {
            "ANIME_MCP_HOME": str(tmp_path),
            "ANIME_MCP_REPLAY_LATENCY": "0.2",
            "ANIME_MCP_REPLAY_LOG": str(tmp_path / "log.jsonl"),
            "ANIME_MCP_CACHE_NAMESPACE": "staging:",
        }
    )
    assert settings.replay.latency == 0.2 and settings.replay.log == tmp_path / "log.jsonl"
    assert settings.cache.namespace == "staging:"
    (tmp_path / "config.toml").write_text("[replay]\nlatency = -1\n")
    with pytest.raises(ConfigError, match=r"\[replay\] latency must be a finite number >= 0"):
        Settings.load({"ANIME_MCP_HOME": str(tmp_path)})


def test_a_replayed_folder_has_its_own_namespace(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    first = replay_namespace(ReplaySettings(dir=folder))
    assert first.startswith("replay:") and first == replay_namespace(ReplaySettings(dir=folder, latency=1))
    (folder / "two.json").write_text("{}")
    add_recording(folder, Recording(file="two.json", request="GET https://api.test/anime?id=2"))
    assert replay_namespace(ReplaySettings(dir=folder)) != first  # other recordings, other answers
    other = tmp_path / "other"
    other.mkdir()
    (other / RECORDINGS_FILE).write_bytes((folder / RECORDINGS_FILE).read_bytes())
    assert replay_namespace(ReplaySettings(dir=other)) != replay_namespace(ReplaySettings(dir=folder))
