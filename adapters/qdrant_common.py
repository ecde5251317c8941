"""What both Qdrant adapters (embedded Edge shard, qdrant-client by URL) share.

Filters are first turned into engine-neutral conditions here, and each adapter only maps those to its own
classes, so the two cannot disagree on what a filter means. Point ids are UUIDs derived from the internal
anime id (Qdrant ids are integers or UUIDs); the anime id itself is in the payload.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from attrs import asdict, frozen

from anime_mcp.core.search import SearchFilters
from anime_mcp.ports.vector_index import IndexManifest, IndexSpec

_NAMESPACE = uuid.UUID("6b1f4a52-5d0f-4c61-9a43-1f8f3b0a2e11")
RRF_K = 60

# payload field -> index type
PAYLOAD_INDEXES: dict[str, str] = {
    "anime_id": "keyword",
    "type": "keyword",
    "status": "keyword",
    "season": "keyword",
    "tags": "keyword",
    "studios": "keyword",
    "platforms": "keyword",
    "year": "integer",
    "episodes": "integer",
    "score": "float",
}


def point_id(anime_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, anime_id)


@frozen
class Match:
    key: str
    values: tuple[str, ...]  # any of these


@frozen
class Range:
    key: str
    gte: float | None
    lte: float | None


Condition = Match | Range


@frozen
class Conditions:
    must: tuple[Condition, ...]
    must_not: tuple[Condition, ...]

    def __bool__(self) -> bool:
        return bool(self.must or self.must_not)


def conditions(filters: SearchFilters) -> Conditions:
    must: list[Condition] = []
    must_not: list[Condition] = []
    if filters.years is not None:
        must.append(Range("year", filters.years.low, filters.years.high))
    if filters.episodes is not None:
        must.append(Range("episodes", filters.episodes.low, filters.episodes.high))
    if filters.min_score is not None:
        must.append(Range("score", filters.min_score, None))
    for key, values in (("season", filters.seasons), ("type", filters.types), ("status", filters.statuses)):
        if values:
            must.append(Match(key, tuple(sorted(v.value for v in values))))
    if filters.studios:
        must.append(Match("studios", tuple(sorted(filters.studios))))
    must += [Match("tags", (tag,)) for tag in sorted(filters.tags)]  # every tag must be present
    must += [Match("platforms", (p.value,)) for p in sorted(filters.platforms)]
    if filters.exclude_tags:
        must_not.append(Match("tags", tuple(sorted(filters.exclude_tags))))
    if filters.exclude_ids:
        must_not.append(Match("anime_id", tuple(sorted(filters.exclude_ids))))
    return Conditions(tuple(must), tuple(must_not))


def point_payload(payload: Mapping[str, object], fingerprint: str) -> dict[str, Any]:
    return {**payload, "fingerprint": fingerprint}


def manifest_to_dict(manifest: IndexManifest) -> dict[str, Any]:
    return asdict(manifest)


def manifest_from_dict(raw: Mapping[str, Any]) -> IndexManifest:
    spec = IndexSpec(**raw["spec"])
    return IndexManifest(**{**raw, "spec": spec})


def spec_to_json(spec: IndexSpec) -> str:
    return json.dumps(asdict(spec), sort_keys=True)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()


def new_generation_name() -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    return f"gen-{stamp}-{uuid.uuid4().hex[:6]}"


def batched(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]
