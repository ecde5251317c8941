"""The scale-out path on loopback: ``anime-mcp serve --workers 2`` (two processes on one port, each with its
own model and read-only index, sharing one real Redis) answers exactly as one process does."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from redis_support import RedisServer, redis_server  # noqa: F401 - the fixture
from serve_support import ingested_home, served

QUESTIONS = [
    {"query": "death note"},
    {"query": "anime like Cowboy Bebop", "now": "2026-11-21T12:00:00+00:00"},
    {"query": {"text": "space bounty hunters"}, "limit": 5},
    {"query": {"similar_to": "mal-1535"}, "limit": 5},
    {"query": {"anime_id": "https://myanimelist.net/anime/19"}},
    {"query": "top 3 psychological thriller", "options": {"mode": "hybrid"}},
]


@contextmanager
def serving(home: Path, workers: int, **env: str) -> Iterator[str]:
    """``anime-mcp serve --port 0 --workers N``: its URL; stopped (with its workers) afterwards."""
    with served(home, "--workers", str(workers), **env) as server:
        yield server.url


def comparable(answer: dict[str, object]) -> dict[str, object]:
    """An answer less what differs per request (its correlation id and time taken)."""
    metadata = dict(answer["metadata"])  # type: ignore[call-overload]
    metadata.pop("correlation_id")
    metadata.pop("took_ms")
    return {**answer, "metadata": metadata}


def serving_processes(url: str) -> set[int]:
    """The ids of the processes that answered requests on fresh connections (each answer names its pid)."""
    seen = set()
    for _ in range(40):
        with httpx.Client(base_url=url, timeout=30) as http:  # a new connection each time
            seen.add(http.get("/stats").json()["pid"])
    return seen


def test_two_processes_on_one_port_with_one_redis_answer_as_one_process(
    tmp_path_factory: pytest.TempPathFactory,
    redis_server: RedisServer,  # noqa: F811
) -> None:
    home = ingested_home(tmp_path_factory)
    shared = {"ANIME_MCP_REDIS_URL": redis_server.url}
    with serving(home, 1, **shared) as one, httpx.Client(base_url=one, timeout=60) as http:
        alone = [comparable(http.post("/api/query", json=q).json()) for q in QUESTIONS]
    assert all(a["results"] for a in alone), alone
    with serving(home, 2, **shared) as two:
        deadline = time.monotonic() + 60
        pids = serving_processes(two)
        while len(pids) < 2 and time.monotonic() < deadline:  # the second may still be loading
            time.sleep(0.5)
            pids |= serving_processes(two)
        assert len(pids) == 2 and os.getpid() not in pids
        with httpx.Client(base_url=two, timeout=60) as http:
            for _ in range(3):  # over both processes
                together = [comparable(http.post("/api/query", json=q).json()) for q in QUESTIONS]
                assert together == alone
