"""Per-key rate limits shared by every process through a real redis-server: two apps (as two ``serve``
processes behind one port would be) allow a key its rate once, not once each; with Redis gone, each app
counts alone and nothing fails; once Redis is back, the budgets are shared again."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from attrs import evolve
from redis_support import RedisServer, redis_server
from shared_data import DATA, require_shared
from starlette.testclient import TestClient

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.testing import FakeCatalogue
from anime_mcp.entrypoints.tools import build_tools

__all__ = ["redis_server"]

ALICE, BOB = "alice-key-0123456789abcdef", "bob-key-fedcba9876543210xyz"
RATE = 4


def process(home: Path, redis_url: str) -> Runtime:
    """One serve process's runtime: the Death Note example as its catalogue, the shared Redis, keys with RATE
    requests a minute."""
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    catalogue = FakeCatalogue(AodJsonReader().read(example, strict=True).entries)
    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""})
    settings = evolve(
        settings,
        cache=evolve(settings.cache, redis_url=redis_url),
        serve=ServeSettings(warm_up=False, api_keys=(("alice", ALICE), ("bob", BOB)), api_key_rate=RATE),
    )
    return Runtime(bootstrap(settings, overrides=Overrides(catalogue=lambda: catalogue, env={})))


@contextmanager
def two_processes(tmp_path: Path, redis_url: str) -> Iterator[tuple[TestClient, TestClient]]:
    with ExitStack() as stack:
        clients = []
        for name in ("one", "two"):
            runtime = process(tmp_path / name, redis_url)
            clients.append(stack.enter_context(TestClient(create_app(runtime, build_tools(runtime)))))
        yield clients[0], clients[1]


def ask(client: TestClient, key: str) -> int:
    return client.get("/api/tools", headers={"x-api-key": key}).status_code


def test_a_key_gets_its_rate_once_across_processes(tmp_path: Path, redis_server: RedisServer) -> None:
    with two_processes(tmp_path, redis_server.url) as (one, two):
        answered = [ask(one if i % 2 else two, ALICE) for i in range(RATE)]
        assert answered == [200] * RATE
        refused = one.get("/api/tools", headers={"x-api-key": ALICE})
        assert refused.status_code == 429 and 1 <= int(refused.headers["retry-after"]) <= 60
        assert ask(two, ALICE) == 429  # the other process knows too
        assert ask(two, BOB) == 200  # each key its own budget


def test_without_redis_each_process_counts_alone_and_nothing_fails(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    with two_processes(tmp_path, redis_server.url) as (one, two):
        assert ask(one, ALICE) == 200
        redis_server.stop()
        # Redis unreachable: each process keeps its own count, so a key may get up to its rate per process;
        # every request is still answered (200 or 429, never a 5xx)
        seen = [ask(one, ALICE) for _ in range(RATE + 1)] + [ask(two, ALICE) for _ in range(RATE + 1)]
        assert set(seen) <= {200, 429} and seen.count(200) <= 2 * RATE and 429 in seen
        assert ask(one, BOB) == 200
