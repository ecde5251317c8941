"""Cache layers in front of one another (the ``Cache`` port): L1 (memory) before L2 (Redis).

Reads try each layer in order and fill the layers in front of the one that answered, with the TTL the
answering layer still gives the entry when it knows it (else the L1 default ``fill_ttl``); writes and
deletes go to every layer. A layer that raises is a miss or a skipped write: the cache never fails a call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anime_mcp.ports.cache import Cache

__all__ = ["LayeredCache"]


class LayeredCache:
    name = "layered"

    def __init__(self, layers: Sequence[Cache], *, fill_ttl: float | None = 300.0) -> None:
        if not layers:
            raise ValueError("a layered cache needs at least one layer")
        self.layers = tuple(layers)
        self._fill_ttl = fill_ttl

    async def get(self, key: str) -> bytes | None:
        for depth, layer in enumerate(self.layers):
            try:
                value = await layer.get(key)
            except Exception:  # noqa: BLE001 - a failing layer is a miss
                continue
            if value is None:
                continue
            if depth:
                ttl = await _remaining_ttl(layer, key, self._fill_ttl)
                for front in self.layers[:depth]:
                    try:
                        await front.set(key, value, ttl_seconds=ttl)
                    except Exception:  # noqa: BLE001 - filling is best effort
                        continue
            return value
        return None

    async def set(self, key: str, value: bytes, *, ttl_seconds: float | None = None) -> None:
        for layer in self.layers:
            try:
                await layer.set(key, value, ttl_seconds=ttl_seconds)
            except Exception:  # noqa: BLE001 - a failing layer skips the write
                continue

    async def delete(self, key: str) -> None:
        for layer in self.layers:
            try:
                await layer.delete(key)
            except Exception:  # noqa: BLE001
                continue

    def health(self) -> dict[str, Any]:
        """``{"status": "ok"|"degraded", "layers": [names], "l2": ...}`` (``l2`` only with a second layer)."""
        each = [layer.health() for layer in self.layers]
        result: dict[str, Any] = {
            "status": "ok" if all(h.get("status") == "ok" for h in each) else "degraded",
            "layers": [layer.name for layer in self.layers],
        }
        if len(self.layers) > 1:
            result["l2"] = each[1].get("connection", each[1].get("status", "unknown"))
        result["l1"] = each[0]
        return result

    async def aclose(self) -> None:
        for layer in self.layers:
            try:
                await layer.aclose()
            except Exception:  # noqa: BLE001
                continue


async def _remaining_ttl(layer: Cache, key: str, default: float | None) -> float | None:
    ttl = getattr(layer, "ttl", None)
    if ttl is None:
        return default
    try:
        remaining = await ttl(key)
    except Exception:  # noqa: BLE001
        return default
    return default if remaining is None else float(remaining)
