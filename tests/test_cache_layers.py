"""The response cache layers without a server: the bounded L1, the layered cache, the caches plugin."""

from __future__ import annotations

from typing import Any

import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.layered_cache import LayeredCache
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.entrypoints.bootstrap import build_cache
from anime_mcp.entrypoints.settings import CacheSettings
from anime_mcp.ports.cache import Cache, CacheProvider
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection

pytestmark = pytest.mark.anyio


async def test_l1_evicts_least_recently_used_by_entries() -> None:
    cache = MemoryCache(VirtualClock(), max_entries=2)
    await cache.set("a", b"1")
    await cache.set("b", b"2")
    assert await cache.get("a") == b"1"  # a is now the most recently used
    await cache.set("c", b"3")
    assert (await cache.get("a"), await cache.get("b"), await cache.get("c")) == (b"1", None, b"3")
    assert len(cache) == 2 and cache.evictions == 1


async def test_l1_evicts_by_bytes_and_refuses_what_cannot_fit() -> None:
    cache = MemoryCache(VirtualClock(), max_entries=100, max_bytes=1000)
    for key in "abcd":
        await cache.set(key, b"x" * 300)
    assert cache.size_bytes <= 1000 and await cache.get("a") is None and await cache.get("d") == b"x" * 300
    await cache.set("huge", b"x" * 2000)
    assert await cache.get("huge") is None and await cache.get("d") is not None
    await cache.set("d", b"y")  # replacing an entry frees its old size
    await cache.delete("c")
    assert len(cache) == 1 and cache.size_bytes == len("d") + len(b"y") + 64  # 365-byte entries: two fit


async def test_l1_expiry_on_the_clock() -> None:
    clock = VirtualClock()
    cache = MemoryCache(clock)
    await cache.set("k", b"v", ttl_seconds=10)
    await clock.sleep(9)
    assert await cache.get("k") == b"v"
    await clock.sleep(1)
    assert await cache.get("k") is None and cache.size_bytes == 0


class Broken:
    name = "broken"

    async def get(self, key: str) -> bytes | None:
        raise ConnectionError("down")

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        raise ConnectionError("down")

    async def delete(self, key: str) -> None:
        raise ConnectionError("down")

    def health(self) -> dict[str, Any]:
        return {"status": "degraded", "connection": "unreachable: down"}

    async def aclose(self) -> None:
        raise ConnectionError("down")


async def test_layered_reads_fill_the_front_and_a_broken_layer_is_a_miss() -> None:
    clock = VirtualClock()
    front, back = MemoryCache(clock), MemoryCache(clock)
    layered = LayeredCache([front, back], fill_ttl=5)
    await back.set("k", b"v")
    assert await layered.get("k") == b"v" and await front.get("k") == b"v"
    await clock.sleep(5)
    assert await front.get("k") is None  # filled with the fill TTL (back cannot say its own)
    await layered.set("w", b"both", ttl_seconds=60)
    assert await front.get("w") == b"both" and await back.get("w") == b"both"
    await layered.delete("w")
    assert await front.get("w") is None and await back.get("w") is None

    degraded = LayeredCache([MemoryCache(clock), Broken()])
    await degraded.set("k", b"v")  # no exception
    assert await degraded.get("k") == b"v" and await degraded.get("other") is None
    await degraded.delete("k")
    await degraded.aclose()
    assert degraded.health() == {
        "status": "degraded",
        "layers": ["memory", "broken"],
        "l2": "unreachable: down",
        "l1": MemoryCache(clock).health(),
    }


def test_the_caches_plugin_registers_both_providers_and_bootstrap_layers_them() -> None:
    host = PluginHost()
    host.load_entry_points(PluginSelection(allow=frozenset({"caches"})))
    providers = {p.name: p for p in host.caches()}
    assert set(providers) == {"memory", "redis"}
    assert all(isinstance(p, CacheProvider) for p in providers.values())
    clock = VirtualClock()
    cache = build_cache(CacheSettings(l1_entries=3, l1_bytes=4096), host, clock)
    assert isinstance(cache, LayeredCache) and isinstance(cache, Cache)
    assert cache.health()["layers"] == ["memory"] and "l2" not in cache.health()
    l1 = cache.layers[0]
    assert isinstance(l1, MemoryCache) and (l1.max_entries, l1.max_bytes) == (3, 4096)
    with pytest.raises(ValueError, match="redis_url"):
        providers["redis"].create(CacheSettings(), clock)
