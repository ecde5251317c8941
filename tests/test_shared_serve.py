"""Two ``anime-mcp serve`` processes sharing a real redis-server (tests/redis_support.py), answering from a
replay folder of real recordings (Kitsu and AniDB, ../shared/fixtures) with 0.2 s of injected latency and
an upstream log both processes append to: a repeat on the other process goes upstream nowhere, identical
concurrent requests across both go upstream once, and Redis killed mid-run fails no request."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from attrs import frozen
from redis_support import RedisServer, free_port
from search_support import catalogue_lines, pick_lines, write_slice
from serve_support import ANIME_MCP, Server, environment, served
from shared_data import FIXTURES, require_shared

pytestmark = pytest.mark.anyio

TITLES = [
    "Death Note",
    "Monster",
    "Cowboy Bebop",
    "Steins;Gate",
    "Death Parade",
    "Haikyuu!!",
    "Kuroko no Basket",
]
RECORDINGS = (
    ("kitsu", "fetch kitsu:1376", FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"),
    ("anidb", "fetch anidb:4563", FIXTURES / "anidb" / "anime" / "anime_4563_death-note.xml"),
    ("kitsu", "fetch kitsu:10", FIXTURES / "kitsu" / "anime" / "anime_10_monster.json"),
)


@frozen
class Deployment:
    a: Server
    b: Server
    redis: RedisServer
    log: Path  # one JSON line per request the replayed upstream received, from both processes

    def upstream(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def _run(home: Path, *args: str) -> None:
    done = subprocess.run(
        [ANIME_MCP, *args], capture_output=True, text=True, env=environment(home), timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("shared-serve")
    home, folder = root / "home", root / "recordings"
    metadata, lines = catalogue_lines()
    catalogue = write_slice(root / "slice.jsonl", metadata, pick_lines(lines, every=5000, titles=TITLES))
    _run(home, "ingest", "--source", str(catalogue), "--no-index")
    for source, call, file in RECORDINGS:
        _run(
            home,
            "sources",
            "recording",
            "add",
            "--into",
            str(folder),
            source,
            call,
            str(require_shared(file)),
        )
    redis = RedisServer(root, free_port())
    redis.start()
    env = {
        "ANIME_MCP_REDIS_URL": redis.url,
        "ANIME_MCP_REPLAY": str(folder),
        "ANIME_MCP_REPLAY_LATENCY": "0.2",
        "ANIME_MCP_REPLAY_LOG": str(root / "upstream.jsonl"),
        "ANIME_MCP_WARM_UP": "0",
        "ANIME_MCP_CACHE_L1_ENTRIES": "1",  # nearly every answer comes from Redis, while it is there
    }
    try:
        with served(home, **env) as a, served(home, **env) as b:
            yield Deployment(a, b, redis, root / "upstream.jsonl")
    finally:
        redis.stop()


async def _details(http: httpx.AsyncClient, server: Server, anime: str, sources: list[str]) -> dict[str, Any]:
    response = await http.post(
        f"{server.url}/api/tools/get_anime_details",
        json={"anime_id": anime, "fields": ["synopsis", "score", "episodes"], "sources": sources},
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def _values(answer: dict[str, Any]) -> dict[str, Any]:
    return {name: field["value"] for name, field in answer["fields"].items()}


async def test_a_repeat_on_the_other_process_goes_upstream_nowhere(deployment: Deployment) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        first = await _details(http, deployment.a, "mal:1535", ["kitsu", "anidb"])
        asked = deployment.upstream()
        assert sorted(line["request"].split("?")[0] for line in asked) == [
            "GET http://api.anidb.net:9001/httpapi",
            "GET https://kitsu.app/api/edge/anime",
        ]
        assert {line["status"] for line in asked} == {200}
        outcomes = {o["source"]: o["status"] for o in first["degradation"]["outcomes"]}
        assert outcomes == {"kitsu": "contributed", "anidb": "contributed"}

        second = await _details(http, deployment.b, "mal:1535", ["kitsu", "anidb"])
        assert deployment.upstream() == asked  # process B found both answers in Redis
        assert _values(second) == _values(first)
        assert {o["source"]: o["status"] for o in second["degradation"]["outcomes"]} == outcomes


async def test_identical_concurrent_requests_on_both_go_upstream_once(deployment: Deployment) -> None:
    before = len(deployment.upstream())
    answers: list[dict[str, Any]] = []

    async def ask(server: Server) -> None:
        answers.append(await _details(http, server, "Monster", ["kitsu"]))

    async with httpx.AsyncClient(timeout=30) as http, anyio.create_task_group() as tg:
        for i in range(20):
            tg.start_soon(ask, deployment.a if i % 2 else deployment.b)
    new = deployment.upstream()[before:]
    assert [line["request"] for line in new] == [new[0]["request"]] and "filter%5Bid%5D=10" in new[0][
        "request"
    ]
    assert len(answers) == 20 and all(_values(answer) == _values(answers[0]) for answer in answers)
    assert "kitsu" in json.dumps(answers[0]["fields"]["synopsis"]["provenance"])


async def test_redis_killed_mid_run_fails_no_request(deployment: Deployment) -> None:
    # L1 holds one answer and two alternate: every request reads Redis, or without it the source (Kitsu:
    # 4 a second, which one client per process never outruns; AniDB's one per 2 s would time out).
    asks = [("mal:1535", ["kitsu"]), ("Monster", ["kitsu"])]
    statuses: list[int] = []
    outcomes: list[str] = []
    running = True

    async def keep_asking(http: httpx.AsyncClient, server: Server, offset: int) -> None:
        n = offset
        while running:
            anime, sources = asks[n % len(asks)]
            response = await http.post(
                f"{server.url}/api/tools/get_anime_details",
                json={"anime_id": anime, "fields": ["synopsis"], "sources": sources},
            )
            statuses.append(response.status_code)
            if response.status_code == 200:
                outcomes.extend(o["status"] for o in response.json()["degradation"]["outcomes"])
            n += 1

    async def cache_health(http: httpx.AsyncClient, server: Server) -> dict[str, Any]:
        health: dict[str, Any] = (await http.get(f"{server.url}/health")).json()
        return dict(health["components"]["cache"])

    async def until(http: httpx.AsyncClient, connection: str, seconds: float) -> list[dict[str, Any]]:
        """Both processes' cache health once L2 and coordination both say ``connection`` (or time is up)."""
        deadline = time.monotonic() + seconds
        while True:
            found = [await cache_health(http, s) for s in (deployment.a, deployment.b)]
            if time.monotonic() > deadline or all(
                h["l2"].startswith(connection) and h["coordination"].startswith(connection) for h in found
            ):
                return found
            await anyio.sleep(0.1)

    async with httpx.AsyncClient(timeout=30) as http, anyio.create_task_group() as tg:
        for i, server in enumerate((deployment.a, deployment.b)):
            tg.start_soon(keep_asking, http, server, i)
        await anyio.sleep(0.5)
        deployment.redis.stop()
        down = await until(http, "unreachable: ", 10)
        assert all(h["status"] == "degraded" and h["l2"].startswith("unreachable: ") for h in down), down
        assert all(h["coordination"].startswith("unreachable: ") for h in down), down
        deployment.redis.start()
        up = await until(http, "connected", 40)  # each reconnects after its back-off
        running = False
    assert all(h["status"] == "ok" and h["l2"] == h["coordination"] == "connected" for h in up), up
    assert len(statuses) > 20 and set(statuses) == {200}
    assert set(outcomes) == {"contributed"}  # not even a source failed: the recordings answered instead
    assert len(deployment.upstream()) > 3  # ... while Redis was away
