"""The embedded search index: Qdrant Edge (the Qdrant engine in-process) in a folder, in generations.

Layout of the index folder::

    index/
      CURRENT                 the name of the generation readers use (replaced atomically)
      .lock                   held by the one process writing a generation
      gen-<time>-<id>/
        building.json         the spec, while the generation is unfinished (resume reads it)
        manifest.json         written last: a generation without it is never opened for search
        shard/                the Qdrant Edge shard

A build writes a new generation beside the current one, builds its HNSW and payload indexes, writes the
manifest and only then replaces ``CURRENT`` (``os.replace``: atomic on POSIX). A process killed at any
point before that leaves ``CURRENT`` and the generation it names untouched.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import json
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import qdrant_edge as qe

from anime_mcp.adapters.qdrant_common import (
    FACTS_PAYLOAD,
    FINGERPRINT_PAYLOAD,
    HIT_PAYLOAD,
    RRF_K,
    SCROLL_PAGE,
    Condition,
    Conditions,
    Match,
    batched,
    collect_fingerprints,
    conditions,
    dense_vectors,
    engine_filter,
    manifest_from_dict,
    manifest_to_dict,
    new_generation_name,
    point_id,
    point_payload,
    search_hit,
    spec_to_json,
    stored_dense,
    stored_facts,
    utc_now,
)
from anime_mcp.adapters.qdrant_edge_images import IMAGES, EdgeImageWriter, ImageShards
from anime_mcp.adapters.qdrant_edge_payload import cold_payload_indexes, create_payload_indexes
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.search_errors import IndexNotBuilt, SearchError
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.vector_index import (
    CONTENT_LEXICAL_VECTOR,
    CONTENT_VECTOR,
    DENSE_VECTOR,
    DENSE_VECTORS,
    IMAGE_VECTOR,
    SPARSE_VECTOR,
    HnswSettings,
    ImageVectorsInfo,
    IndexManifest,
    IndexPoint,
    IndexQuery,
    IndexSpec,
    with_settings,
)

PROVIDER_NAME = "qdrant-edge"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
BUILDING = "building.json"
SHARD = "shard"
FLUSH_EVERY = 2048


class IndexBusy(SearchError):
    """Another process is writing the index."""


class IndexWriteError(SearchError):
    """The disk (or a quota, or a file size limit) refused a write to the search index."""


# ENOSPC, EFBIG, EDQUOT. The engine raises plain Exception carrying the OS message ("... (os error 28)"),
# and shutil.copytree one shutil.Error listing each file's ("[Errno 28] ...").
_DISK_FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
_DISK_FULL_TEXT = tuple(f"(os error {n})" for n in _DISK_FULL) + tuple(f"[Errno {n}]" for n in _DISK_FULL)
F = TypeVar("F", bound=Callable[..., Any])


def _writes(method: F) -> F:
    """A disk-full failure of a write becomes an ``IndexWriteError`` that says what to do; the generation
    being written is never switched to, so the previous one keeps serving."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            text = str(exc)
            full = isinstance(exc, OSError) and exc.errno in _DISK_FULL
            if not (full or any(t in text for t in _DISK_FULL_TEXT)):
                raise
            text = text if len(text) <= 300 else text[:300] + "..."
            root = self.root if isinstance(self, EdgeBackend) else self.directory.parent
            raise IndexWriteError(
                f"could not write the search index in {root}: the disk is full (or a quota or file size "
                f"limit was reached): {text}. Free some space and run the command again; the previous index "
                "keeps serving"
            ) from None

    return cast(F, guarded)


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(temporary, path)
    _fsync_dir(path.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _edge_condition(condition: Condition) -> qe.FieldCondition:
    if isinstance(condition, Match):
        values = list(condition.values)
        match = qe.MatchValue(values[0]) if len(values) == 1 else qe.MatchAny(values)
        return qe.FieldCondition(condition.key, match=match)
    return qe.FieldCondition(condition.key, range=qe.RangeFloat(gte=condition.gte, lte=condition.lte))


def _edge_filter(found: Conditions) -> qe.Filter | None:
    return engine_filter(
        found, _edge_condition, lambda must, must_not: qe.Filter(must=must, must_not=must_not)
    )


def _edge_sparse(vector: SparseVector) -> qe.SparseVector:
    return qe.SparseVector(list(vector.indices), list(vector.values))


def _edge_sparse_vectors(point: IndexPoint) -> dict[str, qe.SparseVector]:
    """The named sparse vectors of a point; one without a content lexical vector is stored without it."""
    vectors = {SPARSE_VECTOR: _edge_sparse(point.sparse)}
    if point.content_sparse is not None and len(point.content_sparse):
        vectors[CONTENT_LEXICAL_VECTOR] = _edge_sparse(point.content_sparse)
    return vectors


class EdgeIndex:
    """Implements ``VectorIndex`` over one committed generation."""

    def __init__(
        self, shard: qe.EdgeShard, manifest: IndexManifest, hnsw: HnswSettings, images: ImageShards
    ) -> None:
        self._shard = shard
        self.manifest = manifest
        self._hnsw = hnsw
        self._images = images  # poster vectors: a sibling shard (another model, another dimension)

    def _params(self) -> qe.SearchParams:
        return qe.SearchParams(hnsw_ef=self._hnsw.ef, exact=self._hnsw.exact)

    def search(self, query: IndexQuery) -> list[SearchHit]:
        found = _edge_filter(conditions(query.filters))
        if query.using == IMAGE_VECTOR:
            if query.sparse is not None:
                raise SearchError("an image query is dense only: fuse it with a text query in the service")
            return [] if query.dense is None else self._images.search(query.dense, found, query.limit)
        stages: list[tuple[qe.Query, qe.SearchParams | None]] = []
        if query.dense is not None:
            stages.append((qe.Query.Nearest(list(query.dense), using=query.using), self._params()))
        if query.sparse is not None and len(query.sparse):
            stages.append((qe.Query.Nearest(_edge_sparse(query.sparse), using=query.sparse_using), None))
        if not stages:
            return []
        if len(stages) == 1:
            scoring, params = stages[0]
            request = qe.QueryRequest(
                limit=query.limit,
                query=scoring,
                filter=found,
                params=params,
                with_payload=HIT_PAYLOAD,
            )
        else:
            prefetches = [
                qe.Prefetch(limit=query.candidates, query=scoring, params=params, filter=found)
                for scoring, params in stages
            ]
            # The stubs type the query as ``Fusion``; the engine takes its ``Rrf`` / ``Dbsf`` members.
            fusion: Any = qe.Fusion.Rrf(k=RRF_K) if query.fusion == "rrf" else qe.Fusion.Dbsf()
            request = qe.QueryRequest(
                limit=query.limit,
                query=fusion,
                prefetches=prefetches,
                filter=found,
                with_payload=HIT_PAYLOAD,
            )
        points = self._shard.query(request)
        return [search_hit(p.payload, p.id, p.score) for p in points]

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        if using == IMAGE_VECTOR:
            return self._images.vector(anime_id)
        records = self._shard.retrieve([point_id(anime_id)], with_payload=False, with_vector=[using])
        return stored_dense(records[0].vector).get(using) if records else None

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        ids: dict[Any, str] = {point_id(a): a for a in anime_ids}
        if not ids:
            return {}
        only = qe.Filter(must=[qe.HasIdCondition(set(ids))])
        if using == IMAGE_VECTOR:
            return {h.anime_id: h.relevance for h in self._images.search(vector, only, len(ids))}
        request = qe.QueryRequest(
            limit=len(ids),
            query=qe.Query.Nearest(list(vector), using=using),
            filter=only,
            params=qe.SearchParams(exact=True),
            with_payload=False,
        )
        return {ids[p.id]: p.score for p in self._shard.query(request)}

    def facts(self, anime_ids: Sequence[str]) -> dict[str, IndexedFacts]:
        found: dict[str, IndexedFacts] = {}
        for chunk in batched(list(anime_ids), SCROLL_PAGE):
            records = self._shard.retrieve(
                [point_id(a) for a in chunk], with_payload=FACTS_PAYLOAD, with_vector=False
            )
            for record in records:
                facts = stored_facts(record.payload)
                if facts is not None:
                    found[facts.anime_id] = facts
        return found

    def count(self) -> int:
        return self._shard.count(qe.CountRequest(exact=True))

    def close(self) -> None:
        self._shard.close()


class EdgeWriter:
    """Implements ``IndexWriter`` for one generation folder."""

    def __init__(
        self, backend: EdgeBackend, directory: Path, shard: qe.EdgeShard, spec: IndexSpec, lock: int
    ) -> None:
        self._backend = backend
        self.directory = directory
        self._shard = shard
        self.spec = spec
        self._lock = lock
        self._open = True
        self._unflushed = 0

    def fingerprints(self) -> dict[str, str]:
        return collect_fingerprints(
            lambda offset: self._shard.scroll(
                qe.ScrollRequest(
                    offset=offset, limit=SCROLL_PAGE, with_payload=FINGERPRINT_PAYLOAD, with_vector=False
                )
            )
        )

    def vectors(self, anime_ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {}
        for chunk in batched(list(anime_ids), SCROLL_PAGE):
            records = self._shard.retrieve(
                [point_id(a) for a in chunk], with_payload=["anime_id"], with_vector=list(DENSE_VECTORS)
            )
            for record in records:
                found[str((record.payload or {}).get("anime_id"))] = stored_dense(record.vector)
        return found

    @_writes
    def upsert(self, points: Sequence[IndexPoint]) -> None:
        if not points:
            return
        self._unflushed += len(points)
        self._shard.update(
            qe.UpdateOperation.upsert_points(
                [
                    qe.Point(
                        point_id(p.anime_id),
                        {**dense_vectors(p), **_edge_sparse_vectors(p)},
                        point_payload(p),
                    )
                    for p in points
                ]
            )
        )
        if self._unflushed >= self._backend.flush_every:
            self._shard.flush()  # what an interrupted build keeps for resuming
            self._unflushed = 0

    @_writes
    def delete(self, anime_ids: Sequence[str]) -> None:
        if anime_ids:
            self._shard.update(qe.UpdateOperation.delete_points([point_id(a) for a in anime_ids]))

    @_writes
    def commit(self, *, catalogue_source: str = "") -> IndexManifest:
        cold_payload_indexes(self._shard)  # a no-op but for a copy of an index built with in-RAM ones
        self._shard.optimize()  # builds HNSW and payload indexes now, not on the first searches
        points = self._shard.count(qe.CountRequest(exact=True))
        self._shard.flush()
        self._shard.close()
        self._open = False
        manifest = IndexManifest(
            spec=self.spec,
            generation=self.directory.name,
            points=points,
            built_at=utc_now(),
            catalogue_source=catalogue_source,
            backend=PROVIDER_NAME,
            location=str(self._backend.root),
        )
        _write_atomic(self.directory / MANIFEST, json.dumps(manifest_to_dict(manifest), indent=2))
        (self.directory / BUILDING).unlink(missing_ok=True)
        _write_atomic(self._backend.root / CURRENT, self.directory.name + "\n")
        self._backend.collect_garbage()
        self._release()
        return manifest

    def abort(self) -> None:
        if self._open:
            self._shard.close()
            self._open = False
        shutil.rmtree(self.directory, ignore_errors=True)
        self._release()

    @_writes
    def close(self) -> None:
        if self._open:
            self._shard.flush()
            self._shard.close()
            self._open = False
        self._release()

    def _release(self) -> None:
        if self._lock >= 0:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = -1


class EdgeBackend:
    """Implements ``VectorIndexBackend`` for an index folder."""

    name = PROVIDER_NAME

    def __init__(
        self, root: Path, *, hnsw: HnswSettings | None = None, flush_every: int = FLUSH_EVERY
    ) -> None:
        self.root = root
        self.location = str(root)
        self.hnsw = hnsw or HnswSettings()
        self.flush_every = flush_every  # points written between flushes (what an interrupted build keeps)
        self._image_shards = ImageShards(root / IMAGES, self.hnsw)  # shared by every index it opens

    # --- reading ---------------------------------------------------------------------------------
    def _current_name(self) -> str | None:
        try:
            name = (self.root / CURRENT).read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return name or None

    def manifest(self) -> IndexManifest | None:
        name = self._current_name()
        if name is None:
            return None
        path = self.root / name / MANIFEST
        try:
            return manifest_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise IndexNotBuilt(
                f"the search index at {self.root} names generation {name}, which is "
                "missing; run `anime-mcp ingest --reindex`"
            ) from None

    def open(self) -> EdgeIndex | None:
        manifest = self.manifest()
        if manifest is None:
            return None
        path = self.root / manifest.generation / SHARD
        try:
            shard = qe.EdgeShard.load(str(path))
        except Exception as exc:  # noqa: BLE001 - the engine raises plain Exception
            raise SearchError(
                f"the search index at {path} cannot be opened ({exc}); run `anime-mcp ingest --reindex`"
            ) from None
        return EdgeIndex(shard, manifest, self.hnsw, self._image_shards)

    # --- poster vectors (``ImageVectorStore``) ------------------------------------------------------
    def image_vectors(self) -> ImageVectorsInfo | None:
        return self._image_shards.info()

    def image_writer(self, model: str, dimension: int) -> EdgeImageWriter:
        return self._image_shards.writer(model, dimension, self._text_shard)

    def _text_shard(self) -> tuple[str, qe.EdgeShard] | None:
        manifest = self.manifest()
        if manifest is None:
            return None
        return manifest.generation, qe.EdgeShard.load(str(self.root / manifest.generation / SHARD))

    # --- writing ---------------------------------------------------------------------------------
    def _lock(self) -> int:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise IndexBusy(f"another anime-mcp process is writing the search index at {self.root}") from None
        return fd

    def _config(self, spec: IndexSpec) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            # Memory-mapped, read through the page cache (Cold): an appendable segment (the one upserts
            # fill) holds its sparse and payload indexes on the heap and reads its vectors into RAM (350 MB
            # resident for the 36k catalogue); the optimised segment commit() makes serves from the files
            # (about 100 MB at open). Same scores: the engine computes the same sums over the same floats.
            vectors={
                name: qe.EdgeVectorParams(
                    size=spec.dimension, distance=qe.Distance.Cosine, memory=qe.Memory.Cold
                )
                for name in (DENSE_VECTOR, CONTENT_VECTOR)
            },
            sparse_vectors={
                name: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf, memory=qe.Memory.Cold)
                for name in (SPARSE_VECTOR, CONTENT_LEXICAL_VECTOR)
            },
            payload_memory=qe.Memory.Cold,
            id_tracker_memory=qe.Memory.Cold,
            # Exact search needs no HNSW graph: m=0 builds none, but the optimiser still turns the
            # appendable segment into an immutable, memory-mapped one (indexing threshold 1 KB).
            hnsw_config=qe.HnswIndexConfig(
                m=0 if self.hnsw.exact else self.hnsw.m,
                ef_construct=self.hnsw.ef_construct,
                full_scan_threshold=10_000,
            ),
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=1) if self.hnsw.exact else None,
            # No write-ahead log: a committed generation is never written again, and a shard with a WAL
            # can be opened by one process only (the WAL is locked), so a server and a CLI could not both
            # search. Writes become durable at flush(): the writer flushes every FLUSH_EVERY points.
            wal_enabled=False,
        )

    def _unfinished(self, spec: IndexSpec) -> Path | None:
        for directory in sorted(self.root.glob("gen-*"), reverse=True):
            building = directory / BUILDING
            if building.is_file() and building.read_text(encoding="utf-8") == spec_to_json(spec):
                return directory
        return None

    @_writes
    def new_generation(self, spec: IndexSpec, *, resume: bool = True) -> EdgeWriter:
        lock = self._lock()
        try:
            unfinished = self._unfinished(spec) if resume else None
            if unfinished is not None:
                try:
                    shard = qe.EdgeShard.load(str(unfinished / SHARD))
                    return EdgeWriter(self, unfinished, shard, spec, lock)
                except Exception:  # noqa: BLE001 - a shard killed mid-write may not load: start over
                    shutil.rmtree(unfinished, ignore_errors=True)
            self.collect_garbage()
            directory = self.root / new_generation_name()
            directory.mkdir(parents=True)
            (directory / BUILDING).write_text(spec_to_json(spec), encoding="utf-8")
            shard = qe.EdgeShard.create(str(directory / SHARD), self._config(spec))
            create_payload_indexes(shard)
            return EdgeWriter(self, directory, shard, spec, lock)
        except BaseException:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
            raise

    @_writes
    def next_generation(self, *, settings: Mapping[str, float | int | str] | None = None) -> EdgeWriter:
        manifest = self.manifest()
        if manifest is None:
            raise IndexNotBuilt(f"no search index at {self.root} to update; run `anime-mcp ingest`")
        spec = with_settings(manifest.spec, settings)
        lock = self._lock()
        try:
            self.collect_garbage()
            directory = self.root / new_generation_name()
            shutil.copytree(self.root / manifest.generation / SHARD, directory / SHARD)
            (directory / BUILDING).write_text(spec_to_json(spec), encoding="utf-8")
            shard = qe.EdgeShard.load(str(directory / SHARD))
            return EdgeWriter(self, directory, shard, spec, lock)
        except BaseException:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
            raise

    def collect_garbage(self) -> None:
        """Drop every generation but the current one and the one before it (only the lock holder calls this).

        The previous generation stays one round, so a reader that opened it just before a switch can finish.
        Unfinished generations go too: nobody else writes while we hold the lock.
        """
        current = self._current_name()
        finished = sorted(
            d.name for d in self.root.glob("gen-*") if (d / MANIFEST).is_file() and d.name != current
        )
        keep = {current, *finished[-1:]}
        for directory in self.root.glob("gen-*"):
            if directory.name not in keep:
                shutil.rmtree(directory, ignore_errors=True)
