"""What both Qdrant adapters (embedded Edge shard, qdrant-client by URL) share.

The payload schema lives here: what a point stores beside its vectors (``index_payload``: the indexed
facts of the entry and its fingerprint) and what a hit is read from (``HIT_PAYLOAD``, ``search_hit``).
Filters are first turned into engine-neutral conditions over those payload keys, and each adapter only maps
them to its own classes, so the two cannot disagree on what a filter means. Point ids are UUIDs derived
from the internal anime id (Qdrant ids are integers or UUIDs); the anime id itself is in the payload.

The payload keys are the stored index format: indexes built before keep working as long as they stay.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from attrs import asdict, frozen

from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.search_errors import SearchError
from anime_mcp.ports.vector_index import (
    CONTENT_VECTOR,
    DENSE_VECTOR,
    DENSE_VECTORS,
    IndexManifest,
    IndexPoint,
    IndexSpec,
)

_NAMESPACE = uuid.UUID("6b1f4a52-5d0f-4c61-9a43-1f8f3b0a2e11")
RRF_K = 60
SCROLL_PAGE = 2048  # points per scroll request

_F = TypeVar("_F")

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


# what a search reads of each hit's payload: its id, and what ranking needs
HIT_PAYLOAD = ["anime_id", "platforms"]
# what a writer reads of each stored point to tell which entries changed
FINGERPRINT_PAYLOAD = ["anime_id", "fingerprint"]


def index_payload(facts: IndexedFacts) -> dict[str, Any]:
    """What the index stores beside the vectors: the filterable facts and the ids to show a hit. The layout
    is this adapter's (the payload indexes above name its keys); the domain hands typed facts."""
    return {
        "anime_id": facts.anime_id,
        "title": facts.title,
        "type": facts.type.value,
        "status": facts.status.value,
        "season": facts.season.value,
        "year": facts.year,
        "episodes": facts.episodes,
        "score": facts.score,
        "tags": list(facts.tags),
        "studios": list(facts.studios),
        "platforms": [p.value for p in facts.platforms],
        "ids": {p.value: i for p, i in facts.ids.items()},
    }


# what ``VectorIndex.facts`` reads of each point: the facts ``index_payload`` stored
FACTS_PAYLOAD = [
    "anime_id",
    "title",
    "type",
    "status",
    "season",
    "year",
    "episodes",
    "score",
    "tags",
    "studios",
    "ids",
]


def stored_facts(payload: Mapping[str, Any] | None) -> IndexedFacts | None:
    """The facts ``index_payload`` stored (None when the payload is not one: no anime id, a bad value)."""
    payload = payload or {}
    anime_id = payload.get("anime_id")
    if not isinstance(anime_id, str):
        return None
    try:
        year, score, episodes = payload.get("year"), payload.get("score"), payload.get("episodes")
        return IndexedFacts(
            anime_id=anime_id,
            title=str(payload.get("title", "")),
            type=AnimeType(payload.get("type", AnimeType.UNKNOWN)),
            status=Status(payload.get("status", Status.UNKNOWN)),
            season=Season(payload.get("season", Season.UNDEFINED)),
            year=year if isinstance(year, int) else None,
            episodes=episodes if isinstance(episodes, int) else 0,
            score=float(score) if isinstance(score, int | float) else None,
            tags=[str(t) for t in payload.get("tags") or ()],
            studios=[str(t) for t in payload.get("studios") or ()],
            ids={Platform(k): str(v) for k, v in (payload.get("ids") or {}).items()},
        )
    except (ValueError, TypeError, AttributeError):
        return None


def point_payload(point: IndexPoint) -> dict[str, Any]:
    return {**index_payload(point.facts), "fingerprint": point.fingerprint}


def dense_vectors(point: IndexPoint) -> dict[str, list[float]]:
    """The named dense vectors of a point; one without a content vector is stored without it."""
    vectors = {DENSE_VECTOR: list(point.dense)}
    if point.content is not None:
        vectors[CONTENT_VECTOR] = list(point.content)
    return vectors


def stored_dense(vector: object) -> dict[str, list[float]]:
    """The named dense vectors of a retrieved record (its ``vector`` field), those it has."""
    if not isinstance(vector, Mapping):
        return {}
    return {
        name: [float(x) for x in vector[name]]
        for name in DENSE_VECTORS
        if isinstance(vector.get(name), list | tuple)
    }


def search_hit(payload: Mapping[str, Any] | None, point: object, score: float) -> SearchHit:
    """A hit from the payload fields ``HIT_PAYLOAD`` of one scored point."""
    payload = payload or {}
    platforms = payload.get("platforms")
    count = len(platforms) if isinstance(platforms, list | tuple) else 0
    return SearchHit(str(payload.get("anime_id", point)), score, count)


def entry_payloads(records: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Retrieved text-index records' payloads without their fingerprint, by anime id: what a poster point
    copies so that filters apply to image queries too (both backends' poster stores)."""
    payloads = {}
    for record in records:
        payload = dict(record.payload or {})
        payload.pop("fingerprint", None)
        payloads[str(payload.get("anime_id"))] = payload
    return payloads


def check_dimensions(vectors: Mapping[str, Sequence[float]], dimension: int) -> None:
    """Poster vectors must all have the store's dimension (one model's space); else a ``SearchError``."""
    wrong = [a for a, v in vectors.items() if len(v) != dimension]
    if wrong:
        raise SearchError(
            f"poster vectors of {wrong[0]} have {len(vectors[wrong[0]])} dimensions, not {dimension}"
        )


def point_id(anime_id: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, anime_id)


def collect_fingerprints(scroll: Callable[[Any], tuple[Iterable[Any], Any]]) -> dict[str, str]:
    """Anime id -> fingerprint of every stored point; ``scroll(offset)`` is one engine's page of records
    (read with ``FINGERPRINT_PAYLOAD``) and the next offset, None after the last page."""
    found: dict[str, str] = {}
    offset = None
    while True:
        records, offset = scroll(offset)
        for record in records:
            payload = record.payload or {}
            found[str(payload.get("anime_id"))] = str(payload.get("fingerprint", ""))
        if offset is None:
            return found


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


def engine_filter(
    found: Conditions,
    convert: Callable[[Condition], Any],
    build: Callable[[list[Any] | None, list[Any] | None], _F],
) -> _F | None:
    """One engine's filter for the conditions (None when there are none): ``convert`` maps a condition to
    the engine's class, ``build(must, must_not)`` makes the filter (an empty list is passed as None)."""
    if not found:
        return None
    return build([convert(c) for c in found.must] or None, [convert(c) for c in found.must_not] or None)


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
