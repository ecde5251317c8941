"""In-memory fakes of the ports, for tests that need a catalogue, an index, an embedder or a live source
without SQLite, Qdrant, ONNX or a network.

Each fake passes the same contract tests as the real adapters (tests/test_catalogue_contract.py,
test_index_contract.py, test_embedder_contract.py, test_source_contract.py), so a test written against a
fake holds for the real thing:

- ``FakeCatalogue``: the ``CatalogueStore`` port in dicts; ``replace`` swaps a complete new catalogue in.
- ``FakeIndexBackend``: the ``VectorIndexBackend`` port; search is brute force over the stored points and
  filters mean exactly ``SearchFilters.matches_facts`` (the domain's reference predicate).
- ``FakeEmbedder``: the ``Embedder`` port; deterministic, L2-normalised hashed bag-of-words vectors.
- ``FakeSource``: a source built on the public ``HttpSource`` toolkit that serves records it holds in
  memory through ``transport()``, and passes the conformance kit with ``recordings(directory)``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import httpx

from anime_mcp.adapters.http import HttpSource
from anime_mcp.adapters.http.source_base import DocumentParser
from anime_mcp.core.catalogue import CatalogueMetadata, CatalogueStats
from anime_mcp.core.errors import CatalogueError, CatalogueNotIngested, NotFound, ParseError
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.ranking import SearchHit, reciprocal_rank_fusion
from anime_mcp.core.references import normalise_title
from anime_mcp.core.resolution import TitleMatch
from anime_mcp.core.search_errors import IndexNotBuilt
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.embedder import ModelInfo
from anime_mcp.ports.source import Capability, RateLimit, SourceInfo
from anime_mcp.ports.vector_index import (
    CONTENT_LEXICAL_VECTOR,
    CONTENT_VECTOR,
    DENSE_VECTOR,
    DENSE_VECTORS,
    IMAGE_VECTOR,
    IndexManifest,
    IndexPoint,
    IndexQuery,
    IndexSpec,
    with_settings,
)
from anime_mcp.testing.replay import Recording

__all__ = [
    "FakeCatalogue",
    "FakeEmbedder",
    "FakeEmbedderProvider",
    "FakeIndex",
    "FakeIndexBackend",
    "FakeIndexWriter",
    "FakeSource",
]


# ============================================================================================ catalogue
class FakeCatalogue:
    """The ``CatalogueStore`` port in memory. Like the SQLite store: nothing to read before the first
    ``replace``, the first entry wins a duplicate anime id or platform id, and a failed ``replace`` keeps
    the old catalogue."""

    def __init__(self, entries: Iterable[CatalogueEntry] | None = None, *, source: str = "fake") -> None:
        self._entries: dict[str, CatalogueEntry] = {}
        self._by_pid: dict[PlatformId, str] = {}
        self._titles: dict[str, dict[str, bool]] = {}  # key -> anime id -> main title?
        self._stats: CatalogueStats | None = None
        if entries is not None:
            metadata = CatalogueMetadata(last_update=dt.date(2026, 1, 1))
            self.replace(metadata, iter(entries), source=source, skipped=())

    def _ready(self) -> None:
        if self._stats is None:
            raise CatalogueNotIngested("no catalogue in this FakeCatalogue yet: call replace() first")

    def by_platform_id(self, pid: PlatformId) -> CatalogueEntry | None:
        self._ready()
        anime_id = self._by_pid.get(pid)
        return self._entries[anime_id] if anime_id is not None else None

    def by_anime_id(self, anime_id: str) -> CatalogueEntry | None:
        self._ready()
        return self._entries.get(anime_id)

    def by_title_key(self, key: str) -> Sequence[TitleMatch]:
        self._ready()
        return [TitleMatch(self._entries[a], main) for a, main in self._titles.get(key, {}).items()]

    def entries(self) -> Iterator[CatalogueEntry]:
        self._ready()
        return iter(list(self._entries.values()))

    def stats(self) -> CatalogueStats:
        self._ready()
        assert self._stats is not None
        return self._stats

    def replace(
        self, metadata: CatalogueMetadata, entries: Iterator[CatalogueEntry], *, source: str, skipped: Sized
    ) -> CatalogueStats:
        new: dict[str, CatalogueEntry] = {}
        by_pid: dict[PlatformId, str] = {}
        titles: dict[str, dict[str, bool]] = {}
        duplicates = 0
        for entry in entries:  # an exception here leaves the current catalogue as it was
            if entry.anime_id in new:
                duplicates += 1
                continue
            new[entry.anime_id] = entry
            for pid in entry.sources:
                by_pid.setdefault(pid, entry.anime_id)
            for title, main in [(entry.title, True), *((s, False) for s in entry.synonyms)]:
                key = normalise_title(title)
                if key:  # one match per entry and key; a synonym equal to the title keeps it main
                    found = titles.setdefault(key, {})
                    found[entry.anime_id] = found.get(entry.anime_id, False) or main
        if not new:
            raise CatalogueError(f"{source} holds no usable entries; the existing store is kept")
        per_platform: dict[Platform, int] = {}
        for entry in new.values():
            for platform in {pid.platform for pid in entry.sources}:
                per_platform[platform] = per_platform.get(platform, 0) + 1
        stats = CatalogueStats(
            entries=len(new),
            per_platform=per_platform,
            metadata=metadata,
            source=source,
            ingested_at=dt.datetime.now(dt.UTC),
            skipped=len(skipped) + duplicates,
        )
        self._entries, self._by_pid, self._titles, self._stats = new, by_pid, titles, stats
        return stats


# ============================================================================================ index
def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norm if norm else 0.0


def _named(point: IndexPoint, using: str) -> Sequence[float] | None:
    """One named dense vector of a point (the content vector is optional; the fake holds no posters)."""
    if using == IMAGE_VECTOR:
        return None
    return point.content if using == CONTENT_VECTOR else point.dense


def _named_sparse(point: IndexPoint, using: str) -> SparseVector | None:
    """One named sparse vector of a point (the content lexical vector is optional)."""
    return point.content_sparse if using == CONTENT_LEXICAL_VECTOR else point.sparse


class FakeIndex:
    """The read side (``VectorIndex``) over one committed generation, by brute force.

    Dense: cosine similarity. Sparse: ``sum(query weight * document weight * idf)`` with Qdrant's IDF
    ``ln(1 + (n - df + 0.5) / (df + 0.5))``; only documents sharing a term score. Both: each stage's best
    ``candidates`` fused with reciprocal rank fusion (``"rrf"``) or by distribution-based score fusion
    (``"dbsf"``: scores mapped from mean ± 3 standard deviations to 0..1, then summed).
    """

    def __init__(self, manifest: IndexManifest, points: Mapping[str, IndexPoint]) -> None:
        self.manifest = manifest
        self._points = dict(points)

    def _eligible(self, query: IndexQuery) -> list[IndexPoint]:
        return [p for p in self._points.values() if query.filters.matches_facts(p.facts)]

    def _dense(
        self, points: list[IndexPoint], vector: Sequence[float], using: str
    ) -> list[tuple[IndexPoint, float]]:
        scored = [(p, _cosine(stored, vector)) for p in points if (stored := _named(p, using)) is not None]
        return sorted(scored, key=lambda ps: (-ps[1], ps[0].anime_id))

    def _sparse(
        self, points: list[IndexPoint], vector: SparseVector, using: str
    ) -> list[tuple[IndexPoint, float]]:
        stored = [found for p in self._points.values() if (found := _named_sparse(p, using)) is not None]
        n = len(stored)  # the IDF counts the points that have this vector, as Qdrant's does
        df: dict[int, int] = {}
        for found in stored:
            for i in found.indices:
                df[i] = df.get(i, 0) + 1
        scored = []
        for p in points:
            own = _named_sparse(p, using)
            if own is None:
                continue
            weights = dict(zip(own.indices, own.values, strict=True))
            shared = [i for i in vector.indices if i in weights]
            if not shared:
                continue
            query = dict(zip(vector.indices, vector.values, strict=True))
            idf = {i: math.log(1 + (n - df[i] + 0.5) / (df[i] + 0.5)) for i in shared}
            scored.append((p, sum(query[i] * weights[i] * idf[i] for i in shared)))
        return sorted(scored, key=lambda ps: (-ps[1], ps[0].anime_id))

    def _hit(self, point: IndexPoint, score: float) -> SearchHit:
        return SearchHit(point.anime_id, score, platform_count=len(point.facts.platforms))

    def search(self, query: IndexQuery) -> list[SearchHit]:
        points = self._eligible(query)
        stages = []
        if query.dense is not None:
            stages.append(self._dense(points, query.dense, query.using))
        if query.sparse is not None and len(query.sparse):
            stages.append(self._sparse(points, query.sparse, query.sparse_using))
        if not stages:
            return []
        if len(stages) == 1:
            return [self._hit(p, s) for p, s in stages[0][: query.limit]]
        cut = [stage[: query.candidates] for stage in stages]
        if query.fusion == "rrf":
            fused = reciprocal_rank_fusion([[p.anime_id for p, _ in stage] for stage in cut])
        else:
            totals: dict[str, float] = {}
            for stage in cut:
                for anime_id, score in _dbsf(stage):
                    totals[anime_id] = totals.get(anime_id, 0.0) + score
            fused = sorted(totals.items(), key=lambda kv: -kv[1])
        return [self._hit(self._points[a], s) for a, s in fused[: query.limit]]

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        point = self._points.get(anime_id)
        stored = _named(point, using) if point is not None else None
        return [float(x) for x in stored] if stored is not None else None

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        stored = {a: _named(p, using) for a in anime_ids if (p := self._points.get(a)) is not None}
        return {a: _cosine(found, vector) for a, found in stored.items() if found is not None}

    def facts(self, anime_ids: Sequence[str]) -> dict[str, IndexedFacts]:
        return {a: self._points[a].facts for a in anime_ids if a in self._points}

    def count(self) -> int:
        return len(self._points)

    def close(self) -> None:
        pass


def _dbsf(stage: list[tuple[IndexPoint, float]]) -> list[tuple[str, float]]:
    scores = [s for _, s in stage]
    if not scores:
        return []
    mean = sum(scores) / len(scores)
    spread = math.sqrt(sum((s - mean) ** 2 for s in scores) / len(scores))
    low, high = mean - 3 * spread, mean + 3 * spread
    if high == low:
        return [(p.anime_id, 0.5) for p, _ in stage]
    return [(p.anime_id, min(1.0, max(0.0, (s - low) / (high - low)))) for p, s in stage]


class FakeIndexWriter:
    """One generation being written (``IndexWriter``); nothing is visible before ``commit``."""

    def __init__(self, backend: FakeIndexBackend, spec: IndexSpec, points: Mapping[str, IndexPoint]) -> None:
        self.spec = spec
        self._backend = backend
        self._points = dict(points)
        self._open = True

    def fingerprints(self) -> dict[str, str]:
        return {a: p.fingerprint for a, p in self._points.items()}

    def vectors(self, anime_ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {}
        for anime_id in anime_ids:
            point = self._points.get(anime_id)
            if point is not None:
                named = {name: _named(point, name) for name in DENSE_VECTORS}
                found[anime_id] = {name: [float(x) for x in v] for name, v in named.items() if v is not None}
        return found

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        for point in points:
            for vector in (point.dense, point.content):
                if vector is not None and len(vector) != self.spec.dimension:
                    raise ValueError(
                        f"{point.anime_id}: {len(vector)}-d vector in a {self.spec.dimension}-d index"
                    )
            self._points[point.anime_id] = point

    def delete(self, anime_ids: Sequence[str]) -> None:
        for anime_id in anime_ids:
            self._points.pop(anime_id, None)

    def commit(self, *, catalogue_source: str = "") -> IndexManifest:
        manifest = IndexManifest(
            spec=self.spec,
            generation=f"gen-{next(self._backend._counter)}",
            points=len(self._points),
            built_at=dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            catalogue_source=catalogue_source,
            backend=self._backend.name,
            location=self._backend.location,
        )
        self._backend._publish(manifest, self._points)
        self._finish()
        return manifest

    def abort(self) -> None:
        self._finish()

    def close(self) -> None:
        if self._open:
            self._backend._unfinished = self  # resumed by the next new_generation with the same spec
            self._open = False

    def _finish(self) -> None:
        self._open = False
        if self._backend._unfinished is self:
            self._backend._unfinished = None


class FakeIndexBackend:
    """The ``VectorIndexBackend`` port in memory: generations, atomic commits, resume of an unfinished one.

    Keeps the current generation and the one before (``generations()``), as the real backends do.
    """

    name = "fake"

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self._current: tuple[IndexManifest, dict[str, IndexPoint]] | None = None
        self._previous: IndexManifest | None = None
        self._unfinished: FakeIndexWriter | None = None
        self._counter = itertools.count(1)

    def _publish(self, manifest: IndexManifest, points: Mapping[str, IndexPoint]) -> None:
        self._previous = self._current[0] if self._current is not None else None
        self._current = (manifest, dict(points))

    def generations(self) -> list[str]:
        """The generations kept: the one before the current one (if any), then the current one."""
        kept = [self._previous, self._current[0] if self._current else None]
        return [m.generation for m in kept if m is not None]

    def manifest(self) -> IndexManifest | None:
        return self._current[0] if self._current is not None else None

    def open(self) -> FakeIndex | None:
        return FakeIndex(*self._current) if self._current is not None else None

    def new_generation(self, spec: IndexSpec, *, resume: bool = True) -> FakeIndexWriter:
        unfinished, self._unfinished = self._unfinished, None
        if resume and unfinished is not None and unfinished.spec == spec:
            unfinished._open = True
            return unfinished
        return FakeIndexWriter(self, spec, {})

    def next_generation(self, *, settings: Mapping[str, float | int | str] | None = None) -> FakeIndexWriter:
        if self._current is None:
            raise IndexNotBuilt(f"no search index at {self.location} to update; run `anime-mcp ingest`")
        manifest, points = self._current
        return FakeIndexWriter(self, with_settings(manifest.spec, settings), points)


# ============================================================================================ embedder
_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """The ``Embedder`` port without a model: each word (lower case) adds a signed unit to one dimension
    chosen by a stable hash (blake2b), and the sum is L2-normalised. Deterministic across processes, a
    batch equals its texts embedded one by one, and texts sharing words have similar vectors."""

    def __init__(self, dimension: int = 32, *, name: str = "fake-hashing") -> None:
        if dimension < 2:
            raise ValueError("a FakeEmbedder needs at least 2 dimensions")
        self.name = name
        self.dimension = dimension

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimension
        for word in _WORD.findall(text.lower()) or [""]:
            digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "big") % self.dimension
            vector[index] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(x * x for x in vector))
        if norm == 0:  # words cancelled out: any fixed unit vector keeps the output normalised
            return [1.0] + [0.0] * (self.dimension - 1)
        return [x / norm for x in vector]

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


class FakeEmbedderProvider:
    """The ``EmbedderProvider`` port for a ``FakeEmbedder``: loads it from any folder (no files read)."""

    name = "fake-hashing"

    def __init__(self, embedder: FakeEmbedder | None = None) -> None:
        self.embedder = embedder or FakeEmbedder()

    def can_load(self, model_dir: Path) -> bool:
        return True

    def describe(self, model_dir: Path) -> ModelInfo:
        return ModelInfo(
            name=self.embedder.name,
            dimension=self.embedder.dimension,
            path=str(model_dir),
            provider=self.name,
        )

    def load(self, model_dir: Path, *, threads: int | None = None) -> FakeEmbedder:
        return self.embedder


# ============================================================================================ source
FAKE_API = "https://api.fake-anime.invalid/v1"


def _record(document: object, *, fetched_at: dt.datetime) -> SourceRecord:
    if not isinstance(document, dict):
        raise ParseError("expected a JSON object", source="fake")
    if document.get("error") == "not_found":
        raise NotFound("the fake platform has no such anime", source="fake")
    ident, title = document.get("id"), document.get("title")
    if not isinstance(ident, int | str) or isinstance(ident, bool) or not isinstance(title, str):
        raise ParseError("an anime needs an id and a title", source="fake")
    if not title.strip():
        raise ParseError("blank title", source="fake")
    pid = PlatformId(FakeSource.info.platform, str(ident))
    values: dict[str, Any] = {"title": title.strip()}
    episodes, year = document.get("episodes"), document.get("year")
    if isinstance(episodes, int) and not isinstance(episodes, bool) and episodes > 0:
        values["episodes"] = episodes
    if isinstance(year, int) and not isinstance(year, bool) and 1900 <= year <= 2200:
        values["year"] = year
    return SourceRecord(
        platform_id=pid,
        url=f"https://fake-anime.invalid/anime/{pid.id}",
        fetched_at=fetched_at,
        fields=frozenset(values),
        **values,
    )


def _load(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"not JSON: {exc}", source="fake") from None


def parse_fake_anime(body: bytes, *, fetched_at: dt.datetime) -> SourceRecord:
    return _record(_load(body), fetched_at=fetched_at)


def parse_fake_search(body: bytes) -> list[SearchCandidate]:
    document = _load(body)
    items = document.get("results") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise ParseError("a search answer needs a results list", source="fake")
    now = dt.datetime.now(dt.UTC)
    records = [_record(item, fetched_at=now) for item in items]
    return [SearchCandidate(r.platform_id, r.title or "", r.url, year=r.year) for r in records]


class FakeSource(HttpSource):
    """A live source over the public toolkit, answering from records it holds (``{"id", "title",
    "episodes", "year"}``) through ``transport()``: ``FakeSource(records).bind(HttpRuntime(client=
    make_async_client(fake.transport()), clock=VirtualClock(), env={}))``."""

    info = SourceInfo(
        id="fake",
        platform=Platform.ANIMECOUNTDOWN,
        kind="api",
        name="Fake anime platform (tests)",
        fields={"title", "episodes", "year"},
        rate_limits=(RateLimit(3, 1), RateLimit(60, 60)),
        capabilities={Capability.SEARCH},
        formats=("fake-json",),
        kinds=("anime", "search"),
    )

    def __init__(self, records: Iterable[Mapping[str, Any]] = ()) -> None:
        super().__init__()
        self.records = {str(r["id"]): dict(r) for r in records}

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(f"{FAKE_API}/anime/{pid.id}")
        return parse_fake_anime(response.content, fetched_at=self.now())

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        response = await self.http.get(f"{FAKE_API}/search", params={"q": title, "limit": limit})
        return parse_fake_search(response.content)[:limit]

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        if kind == "search":
            return parse_fake_search
        fetched_at = self.now()
        return lambda body: parse_fake_anime(body, fetched_at=fetched_at)

    # --- serving its records -----------------------------------------------------------------------
    def answer(self, request: httpx.Request) -> httpx.Response:
        """The fake platform's server: ``GET /v1/anime/{id}`` and ``GET /v1/search?q=``."""
        json_type = {"content-type": "application/json"}
        path = request.url.path
        if path.startswith("/v1/anime/"):
            record = self.records.get(path.removeprefix("/v1/anime/"))
            if record is None:
                return httpx.Response(404, headers=json_type, json={"error": "not_found"})
            return httpx.Response(200, headers=json_type, json=record)
        if path == "/v1/search":
            words = normalise_title(request.url.params.get("q", "")).split()
            found = [r for r in self.records.values() if all(w in normalise_title(r["title"]) for w in words)]
            return httpx.Response(200, headers=json_type, json={"results": found})
        return httpx.Response(404, headers=json_type, json={"error": "not_found"})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.answer)

    def recordings(self, directory: Path) -> list[Recording]:
        """Its answers written as recordings for the conformance kit: one anime, a miss, a search."""
        directory.mkdir(parents=True, exist_ok=True)
        first = next(iter(self.records.values()), None)
        if first is None:
            raise ValueError("a FakeSource needs at least one record to make recordings")
        missing = str(max((int(k) for k in self.records if k.isdigit()), default=0) + 1)
        anime, miss, search = (
            directory / "anime.json",
            directory / "not_found.json",
            directory / "search.json",
        )
        anime.write_text(json.dumps(first))
        miss.write_text(json.dumps({"error": "not_found"}))
        query = str(first["title"]).split()[0]
        search.write_text(json.dumps({"results": [first]}))
        headers = {"content-type": "application/json"}
        return [
            Recording(
                anime,
                f"GET {FAKE_API}/anime/{first['id']}",
                call=f"fetch {self.info.platform.value}:{first['id']}",
                headers=headers,
            ),
            Recording(
                miss,
                f"GET {FAKE_API}/anime/{missing}",
                call=f"fetch {self.info.platform.value}:{missing}",
                status=404,
                headers=headers,
                expect=NotFound,
            ),
            Recording(
                search,
                f"GET {FAKE_API}/search?q={quote_plus(query)}",
                call=f"search {query}",
                kind="search",
                headers=headers,
            ),
        ]
