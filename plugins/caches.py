"""Built-in plugin: the response cache layers, the in-process ``memory`` L1 and the shared ``redis`` L2.

The composition root puts L1 (the provider named ``memory``) in front of L2 (``redis``, only when
``[cache] redis_url`` / ``ANIME_MCP_REDIS_URL`` is set; its keys start with ``[cache] namespace``).
redis-py is imported only when L2 is made.
"""

from __future__ import annotations

from typing import Any

from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.ports import hookimpl
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.hookspecs import Register


class MemoryCacheProvider:
    """Implements the ``CacheProvider`` port: an L1 bounded by ``l1_entries`` and ``l1_bytes``."""

    name = "memory"

    def create(self, settings: Any, clock: Any) -> Cache:
        return MemoryCache(clock, max_entries=settings.l1_entries, max_bytes=settings.l1_bytes)


class RedisCacheProvider:
    """Implements the ``CacheProvider`` port: an L2 on the Redis server at ``redis_url``."""

    name = "redis"

    def create(self, settings: Any, clock: Any) -> Cache:
        if not settings.redis_url:
            raise ValueError("the redis cache needs [cache] redis_url (ANIME_MCP_REDIS_URL)")
        from anime_mcp.adapters.redis_cache import RedisCache

        return RedisCache(settings.redis_url, prefix=settings.namespace)


@hookimpl
def register_caches(register: Register) -> None:
    register(MemoryCacheProvider())
    register(RedisCacheProvider())
