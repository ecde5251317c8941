"""Vector index port (completed by the search-index issue: Qdrant Edge embedded, Qdrant by URL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from attrs import frozen


@frozen
class ScoredHit:
    anime_id: str
    score: float


@runtime_checkable
class VectorIndex(Protocol):
    """Hybrid (dense + sparse) search over catalogue entries keyed by internal anime id."""

    def search_dense(self, vector: Sequence[float], *, limit: int) -> list[ScoredHit]: ...

    def count(self) -> int: ...
