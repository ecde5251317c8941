"""Poster vectors for the embedded index: a sibling Qdrant Edge shard of their own, in generations.

A shard's named vectors are fixed when it is created, and a committed text generation is never written
again, so the ``image`` vector (another model, another dimension, written later by ``index-images``) lives
beside the text generations::

    index/images/
      CURRENT                 the image generation readers use (replaced atomically)
      .lock                   held by the one process writing poster vectors
      gen-<time>-<id>/
        building.json         model and dimension, while unfinished (the next writer resumes it)
        manifest.json         written last
        shard/                points with the ``image`` vector and the entry's payload (for filters)

Each point carries a copy of its entry's payload from the current text generation, so a filtered image
search needs no second look-up; a writer made after the text index was rebuilt copies the payloads again.
A new writer starts from a copy of the current image generation: a rerun only adds what is missing.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import qdrant_edge as qe

from anime_mcp.adapters.qdrant_common import (
    HIT_PAYLOAD,
    SCROLL_PAGE,
    batched,
    check_dimensions,
    entry_payloads,
    new_generation_name,
    point_id,
    search_hit,
    utc_now,
)
from anime_mcp.adapters.qdrant_edge_payload import cold_payload_indexes, create_payload_indexes
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.search_errors import IndexNotBuilt, SearchError
from anime_mcp.ports.vector_index import IMAGE_VECTOR, HnswSettings, ImageVectorsInfo

IMAGES = "images"
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
BUILDING = "building.json"
SHARD = "shard"
FLUSH_EVERY = 1024

# (name of the current text generation, its shard) or None when no text index was built
TextShard = Callable[[], tuple[str, qe.EdgeShard] | None]


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


class ImageShards:
    """The ``images`` folder of one index: reading the current poster vectors and writing new ones."""

    def __init__(self, root: Path, hnsw: HnswSettings) -> None:
        self.root = root
        self.hnsw = hnsw
        self._loaded: tuple[str, qe.EdgeShard, ImageVectorsInfo] | None = None
        self._lock = threading.Lock()

    def _current_name(self) -> str | None:
        try:
            return (self.root / CURRENT).read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def _manifest(self, name: str) -> dict[str, Any]:
        try:
            raw: dict[str, Any] = json.loads((self.root / name / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise IndexNotBuilt(
                f"the poster vectors at {self.root} name generation {name}, which is missing; run "
                "`anime-mcp index-images` again"
            ) from None
        return raw

    def info(self) -> ImageVectorsInfo | None:
        name = self._current_name()
        if name is None:
            return None
        raw = self._manifest(name)
        return ImageVectorsInfo(raw["model"], raw["dimension"], raw["points"], raw["built_at"])

    # --- reading -----------------------------------------------------------------------------------
    def _current(self) -> tuple[qe.EdgeShard, ImageVectorsInfo] | None:
        """The current image shard, loaded again when another process committed a newer one. A replaced
        shard is not closed here: a search in another thread may still use it (dropped with it)."""
        name = self._current_name()
        if name is None:
            return None
        with self._lock:
            if self._loaded is None or self._loaded[0] != name:
                info = self.info()
                assert info is not None
                try:
                    shard = qe.EdgeShard.load(str(self.root / name / SHARD))
                except Exception as exc:  # noqa: BLE001 - the engine raises plain Exception
                    raise SearchError(
                        f"the poster vectors at {self.root / name} cannot be opened ({exc})"
                    ) from None
                self._loaded = (name, shard, info)
            return self._loaded[1], self._loaded[2]

    def search(self, vector: Sequence[float], found: qe.Filter | None, limit: int) -> list[SearchHit]:
        current = self._current()
        if current is None:
            return []  # no posters indexed: nothing is found by a picture
        shard, info = current
        if len(vector) != info.dimension:
            raise SearchError(
                f"the poster vectors were made by {info.model} ({info.dimension}-d), the query has "
                f"{len(vector)} dimensions: run `anime-mcp index-images` with the configured image model"
            )
        request = qe.QueryRequest(
            limit=limit,
            query=qe.Query.Nearest(list(vector), using=IMAGE_VECTOR),
            filter=found,
            params=qe.SearchParams(hnsw_ef=self.hnsw.ef, exact=self.hnsw.exact),
            with_payload=HIT_PAYLOAD,
        )
        return [search_hit(p.payload, p.id, p.score) for p in shard.query(request)]

    def vector(self, anime_id: str) -> list[float] | None:
        current = self._current()
        if current is None:
            return None
        records = current[0].retrieve([point_id(anime_id)], with_payload=False, with_vector=[IMAGE_VECTOR])
        return _image_of(records[0].vector) if records else None

    # --- writing -----------------------------------------------------------------------------------
    def writer(self, model: str, dimension: int, text_shard: TextShard) -> EdgeImageWriter:
        text = text_shard()
        if text is None:
            raise IndexNotBuilt("no search index to add poster vectors to; run `anime-mcp ingest` first")
        self.root.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise SearchError(
                f"another anime-mcp process is writing the poster vectors at {self.root}"
            ) from None
        try:
            spec = json.dumps({"model": model, "dimension": dimension}, sort_keys=True)
            directory, base_text = self._start(spec, model, dimension)
            shard = qe.EdgeShard.load(str(directory / SHARD))
            return EdgeImageWriter(
                self, directory, shard, text, lock=lock, model=model, dimension=dimension, base_text=base_text
            )
        except BaseException:
            text[1].close()
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
            raise

    def _start(self, spec: str, model: str, dimension: int) -> tuple[Path, str | None]:
        """An unfinished generation of the same model to resume, else a copy of the current one (same
        model), else an empty one; and the text generation its payloads were copied from."""
        for directory in sorted(self.root.glob("gen-*"), reverse=True):
            building = directory / BUILDING
            if building.is_file() and json.loads(building.read_text(encoding="utf-8")).get("spec") == spec:
                return directory, json.loads(building.read_text(encoding="utf-8")).get("text_generation")
        self.collect_garbage()
        directory = self.root / new_generation_name()
        current = self._current_name()
        base = self._manifest(current) if current is not None else None
        same = base is not None and (base["model"], base["dimension"]) == (model, dimension)
        if same and current is not None and base is not None:
            shutil.copytree(self.root / current / SHARD, directory / SHARD)
            text_generation = base.get("text_generation")
        else:
            directory.mkdir(parents=True)
            shard = qe.EdgeShard.create(str(directory / SHARD), self._config(dimension))
            create_payload_indexes(shard)
            shard.close()
            text_generation = None
        marker = {"spec": spec, "text_generation": text_generation}
        (directory / BUILDING).write_text(json.dumps(marker), encoding="utf-8")
        return directory, text_generation

    def _config(self, dimension: int) -> qe.EdgeConfig:
        return qe.EdgeConfig(
            vectors={IMAGE_VECTOR: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
            hnsw_config=qe.HnswIndexConfig(
                m=self.hnsw.m, ef_construct=self.hnsw.ef_construct, full_scan_threshold=10_000
            ),
            optimizers=qe.EdgeOptimizersConfig(indexing_threshold=0) if self.hnsw.exact else None,
            wal_enabled=False,  # as the text generations: several processes may search it
        )

    def publish(self, directory: Path, manifest: Mapping[str, Any]) -> None:
        _write_atomic(directory / MANIFEST, json.dumps(dict(manifest), indent=2))
        (directory / BUILDING).unlink(missing_ok=True)
        _write_atomic(self.root / CURRENT, directory.name + "\n")
        self.collect_garbage()

    def collect_garbage(self) -> None:
        """Keep the current image generation, the one before it and unfinished ones (to resume)."""
        current = self._current_name()
        finished = sorted(
            d.name for d in self.root.glob("gen-*") if (d / MANIFEST).is_file() and d.name != current
        )
        for name in finished[:-1]:
            shutil.rmtree(self.root / name, ignore_errors=True)


def _image_of(vector: object) -> list[float] | None:
    if isinstance(vector, Mapping) and isinstance(vector.get(IMAGE_VECTOR), list | tuple):
        return [float(x) for x in vector[IMAGE_VECTOR]]
    return None


class EdgeImageWriter:
    """Implements ``ImageVectorWriter`` for one image generation folder."""

    def __init__(
        self,
        shards: ImageShards,
        directory: Path,
        shard: qe.EdgeShard,
        text: tuple[str, qe.EdgeShard],
        *,
        lock: int,
        model: str,
        dimension: int,
        base_text: str | None,
    ) -> None:
        self._shards = shards
        self.directory = directory
        self._shard = shard
        self._text_generation, self._text = text
        self._lock = lock
        self.model, self.dimension = model, dimension
        self._base_text = base_text
        self._unflushed = 0

    def stored(self) -> set[str]:
        found: set[str] = set()
        offset = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(
                    offset=offset, limit=SCROLL_PAGE, with_payload=["anime_id"], with_vector=False
                )
            )
            found.update(str((r.payload or {}).get("anime_id")) for r in records)
            if offset is None:
                return found

    def _payloads(self, anime_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The entry payloads of the current text generation (without its fingerprint), by anime id."""
        records = self._text.retrieve([point_id(a) for a in anime_ids], with_payload=True, with_vector=False)
        return entry_payloads(records)

    def upsert(self, vectors: Mapping[str, Sequence[float]]) -> int:
        check_dimensions(vectors, self.dimension)
        payloads = self._payloads(list(vectors))
        points = [
            qe.Point(point_id(a), {IMAGE_VECTOR: list(v)}, payloads[a])
            for a, v in vectors.items()
            if a in payloads
        ]
        if points:
            self._shard.update(qe.UpdateOperation.upsert_points(points))
            self._unflushed += len(points)
            if self._unflushed >= FLUSH_EVERY:
                self._shard.flush()  # what an interrupted run keeps for the next one
                self._unflushed = 0
        return len(points)

    def _refresh_payloads(self) -> None:
        """After a rebuild of the text index: copy each entry's payload again; drop entries it lost."""
        for chunk in batched(sorted(self.stored()), SCROLL_PAGE):
            payloads = self._payloads(chunk)
            gone: list[int | uuid.UUID | str] = [point_id(a) for a in chunk if a not in payloads]
            if gone:
                self._shard.update(qe.UpdateOperation.delete_points(gone))
            records = self._shard.retrieve(
                [point_id(a) for a in chunk if a in payloads], with_payload=False, with_vector=[IMAGE_VECTOR]
            )
            ids = {str(point_id(a)): a for a in chunk}
            points = []
            for record in records:
                vector = _image_of(record.vector)
                anime_id = ids.get(str(record.id))
                if vector is not None and anime_id is not None:
                    points.append(qe.Point(record.id, {IMAGE_VECTOR: vector}, payloads[anime_id]))
            if points:
                self._shard.update(qe.UpdateOperation.upsert_points(points))

    def commit(self) -> ImageVectorsInfo:
        if self._base_text is not None and self._base_text != self._text_generation:
            self._refresh_payloads()
        cold_payload_indexes(self._shard)  # a no-op but for a copy of a shard built with in-RAM ones
        self._shard.optimize()
        points = self._shard.count(qe.CountRequest(exact=True))
        self._shard.flush()
        self._shard.close()
        info = ImageVectorsInfo(self.model, self.dimension, points, utc_now())
        manifest = {
            "model": info.model,
            "dimension": info.dimension,
            "points": info.points,
            "built_at": info.built_at,
            "text_generation": self._text_generation,
        }
        self._shards.publish(self.directory, manifest)
        self._release()
        return info

    def close(self) -> None:
        if self._lock >= 0:
            self._shard.flush()
            self._shard.close()
            # the next writer resumes this folder; it must know which text generation the payloads are from
            building = self.directory / BUILDING
            raw = json.loads(building.read_text(encoding="utf-8"))
            raw["text_generation"] = self._text_generation if self._base_text is None else self._base_text
            building.write_text(json.dumps(raw), encoding="utf-8")
            self._release()

    def _release(self) -> None:
        self._text.close()
        if self._lock >= 0:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            os.close(self._lock)
            self._lock = -1
