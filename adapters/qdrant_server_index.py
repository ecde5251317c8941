"""The scale-out search index: a Qdrant server or cluster through qdrant-client.

Generations are collections named ``<alias>--<generation>``; the alias (default ``anime``) names the one
readers use and is switched atomically with ``update_collection_aliases`` once a generation is complete.
Each collection carries its state in the collection metadata: ``building`` with the spec while it is
written, the manifest once it is committed.

``:memory:`` (qdrant-client's local mode) speaks the same client API and is what the tests use; it is
pure Python and far too slow for real use (see docs/benchmarks.md), so the embedded default is Qdrant Edge.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from qdrant_client import QdrantClient, models

from anime_mcp.adapters.qdrant_common import (
    FACTS_PAYLOAD,
    FINGERPRINT_PAYLOAD,
    HIT_PAYLOAD,
    PAYLOAD_INDEXES,
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
from anime_mcp.adapters.qdrant_server_images import (
    ServerImages,
    ServerImageWriter,
    aliased_collection,
    collection_state,
    generation_collections,
)
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

PROVIDER_NAME = "qdrant-server"
_META_KEY = "anime_mcp"
_SCHEMA = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
}


def _client_condition(condition: Condition) -> models.FieldCondition:
    if isinstance(condition, Match):
        values = list(condition.values)
        match: Any = models.MatchValue(value=values[0]) if len(values) == 1 else models.MatchAny(any=values)
        return models.FieldCondition(key=condition.key, match=match)
    return models.FieldCondition(key=condition.key, range=models.Range(gte=condition.gte, lte=condition.lte))


def _client_filter(found: Conditions) -> models.Filter | None:
    return engine_filter(
        found, _client_condition, lambda must, must_not: models.Filter(must=must, must_not=must_not)
    )


def _client_sparse(vector: SparseVector) -> models.SparseVector:
    return models.SparseVector(indices=list(vector.indices), values=list(vector.values))


def _client_sparse_vectors(point: IndexPoint) -> dict[str, models.SparseVector]:
    """The named sparse vectors of a point; one without a content lexical vector is stored without it."""
    vectors = {SPARSE_VECTOR: _client_sparse(point.sparse)}
    if point.content_sparse is not None and len(point.content_sparse):
        vectors[CONTENT_LEXICAL_VECTOR] = _client_sparse(point.content_sparse)
    return vectors


class ServerIndex:
    """Implements ``VectorIndex`` over the collection the alias names."""

    def __init__(
        self,
        client: QdrantClient,
        collection: str,
        manifest: IndexManifest,
        hnsw: HnswSettings,
        *,
        local: bool = False,
        images: ServerImages | None = None,
    ) -> None:
        self._client = client
        self._collection = collection
        self.manifest = manifest
        self._hnsw = hnsw
        self._local = local  # qdrant-client's local mode: brute force, search params do not apply
        self._images = images  # poster vectors: collections of their own (another model and dimension)

    def search(self, query: IndexQuery) -> list[SearchHit]:
        found = _client_filter(conditions(query.filters))
        if query.using == IMAGE_VECTOR:
            if query.sparse is not None and len(query.sparse):
                raise SearchError("an image query is dense only: fuse it with a text query in the service")
            if query.dense is None or self._images is None:
                return []
            return self._images.search(query.dense, found, query.limit)
        params = None if self._local else models.SearchParams(hnsw_ef=self._hnsw.ef, exact=self._hnsw.exact)
        stages: list[tuple[Any, str, models.SearchParams | None]] = []
        if query.dense is not None:
            stages.append((list(query.dense), query.using, params))
        if query.sparse is not None and len(query.sparse):
            stages.append((_client_sparse(query.sparse), query.sparse_using, None))
        if not stages:
            return []
        if len(stages) == 1:
            vector, using, stage_params = stages[0]
            response = self._client.query_points(
                self._collection,
                query=vector,
                using=using,
                query_filter=found,
                search_params=stage_params,
                limit=query.limit,
                with_payload=HIT_PAYLOAD,
            )
        else:
            prefetch = [
                models.Prefetch(
                    query=vector, using=using, filter=found, params=stage_params, limit=query.candidates
                )
                for vector, using, stage_params in stages
            ]
            fusion: Any = (
                models.RrfQuery(rrf=models.Rrf(k=RRF_K))
                if query.fusion == "rrf"
                else models.FusionQuery(fusion=models.Fusion.DBSF)
            )
            response = self._client.query_points(
                self._collection,
                prefetch=prefetch,
                query=fusion,
                query_filter=found,
                limit=query.limit,
                with_payload=HIT_PAYLOAD,
            )
        return [search_hit(p.payload, p.id, p.score) for p in response.points]

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        if using == IMAGE_VECTOR:
            return self._images.vector(anime_id) if self._images is not None else None
        records = self._client.retrieve(
            self._collection, [str(point_id(anime_id))], with_payload=False, with_vectors=[using]
        )
        return stored_dense(records[0].vector).get(using) if records else None

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        ids = {str(point_id(a)): a for a in anime_ids}
        if not ids:
            return {}
        only = models.Filter(must=[models.HasIdCondition(has_id=list(ids))])
        if using == IMAGE_VECTOR:
            found = self._images.search(vector, only, len(ids)) if self._images is not None else []
            return {h.anime_id: h.relevance for h in found}
        response = self._client.query_points(
            self._collection,
            query=list(vector),
            using=using,
            query_filter=only,
            search_params=None if self._local else models.SearchParams(exact=True),
            limit=len(ids),
            with_payload=False,
        )
        return {ids[str(p.id)]: p.score for p in response.points}

    def facts(self, anime_ids: Sequence[str]) -> dict[str, IndexedFacts]:
        found: dict[str, IndexedFacts] = {}
        for chunk in batched(list(anime_ids), SCROLL_PAGE):
            records = self._client.retrieve(
                self._collection,
                [str(point_id(a)) for a in chunk],
                with_payload=FACTS_PAYLOAD,
                with_vectors=False,
            )
            for record in records:
                facts = stored_facts(record.payload)
                if facts is not None:
                    found[facts.anime_id] = facts
        return found

    def count(self) -> int:
        return self._client.count(self._collection, exact=True).count

    def close(self) -> None:
        """The client belongs to the backend; nothing to release per index."""


class ServerWriter:
    """Implements ``IndexWriter`` for one collection."""

    def __init__(self, backend: ServerBackend, collection: str, spec: IndexSpec) -> None:
        self._backend = backend
        self._client = backend.client
        self.collection = collection
        self.spec = spec

    def fingerprints(self) -> dict[str, str]:
        return collect_fingerprints(
            lambda offset: self._client.scroll(
                self.collection,
                limit=SCROLL_PAGE,
                offset=offset,
                with_payload=FINGERPRINT_PAYLOAD,
                with_vectors=False,
            )
        )

    def vectors(self, anime_ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {}
        for chunk in batched(list(anime_ids), SCROLL_PAGE):
            records = self._client.retrieve(
                self.collection,
                [str(point_id(a)) for a in chunk],
                with_payload=["anime_id"],
                with_vectors=list(DENSE_VECTORS),
            )
            for record in records:
                found[str((record.payload or {}).get("anime_id"))] = stored_dense(record.vector)
        return found

    def upsert(self, points: Sequence[IndexPoint]) -> None:
        if not points:
            return
        self._client.upsert(
            self.collection,
            points=[
                models.PointStruct(
                    id=str(point_id(p.anime_id)),
                    vector={**dense_vectors(p), **_client_sparse_vectors(p)},
                    payload=point_payload(p),
                )
                for p in points
            ],
            wait=True,
        )

    def delete(self, anime_ids: Sequence[str]) -> None:
        if anime_ids:
            self._client.delete(
                self.collection, models.PointIdsList(points=[str(point_id(a)) for a in anime_ids]), wait=True
            )

    def commit(self, *, catalogue_source: str = "") -> IndexManifest:
        points = self._client.count(self.collection, exact=True).count
        generation = self.collection.rsplit("--", 1)[-1]
        manifest = IndexManifest(
            spec=self.spec,
            generation=generation,
            points=points,
            built_at=utc_now(),
            catalogue_source=catalogue_source,
            backend=PROVIDER_NAME,
            location=self._backend.location,
        )
        self._client.update_collection(
            self.collection,
            metadata={_META_KEY: {"state": "committed", "manifest": manifest_to_dict(manifest)}},
        )
        self._backend.switch_alias(self.collection)
        self._backend.collect_garbage()
        return manifest

    def abort(self) -> None:
        self._client.delete_collection(self.collection)

    def close(self) -> None:
        """Points are written as they come (wait=True): an unfinished collection is resumable as it is."""


class ServerBackend:
    """Implements ``VectorIndexBackend`` for one alias on one Qdrant deployment."""

    name = PROVIDER_NAME

    def __init__(
        self, client: QdrantClient, *, location: str, alias: str = "anime", hnsw: HnswSettings | None = None
    ) -> None:
        self.client = client
        self.location = location
        self.alias = alias
        self.hnsw = hnsw or HnswSettings()
        self.local = location == ":memory:"  # payload indexes and HNSW settings do not exist there
        self.images = ServerImages(client, alias, self.hnsw, local=self.local)

    def _collections(self) -> list[str]:
        return generation_collections(self.client, self.alias)

    def _current_collection(self) -> str | None:
        return aliased_collection(self.client, self.alias)

    def _state(self, collection: str) -> dict[str, Any]:
        return collection_state(self.client, collection, _META_KEY)

    def manifest(self) -> IndexManifest | None:
        collection = self._current_collection()
        if collection is None:
            return None
        state = self._state(collection)
        if state.get("state") != "committed":
            raise IndexNotBuilt(f"alias {self.alias!r} names {collection}, which was never committed")
        return manifest_from_dict(state["manifest"])

    def open(self) -> ServerIndex | None:
        manifest = self.manifest()
        if manifest is None:
            return None
        return ServerIndex(self.client, self.alias, manifest, self.hnsw, local=self.local, images=self.images)

    # --- poster vectors (``ImageVectorStore``) ------------------------------------------------------
    def image_vectors(self) -> ImageVectorsInfo | None:
        return self.images.info()

    def image_writer(self, model: str, dimension: int) -> ServerImageWriter:
        return self.images.writer(model, dimension, self._current_collection)

    def new_generation(self, spec: IndexSpec, *, resume: bool = True) -> ServerWriter:
        if resume:
            for collection in reversed(self._collections()):
                state = self._state(collection)
                if state.get("state") == "building" and state.get("spec") == spec_to_json(spec):
                    return ServerWriter(self, collection, spec)
        self.collect_garbage()
        collection = f"{self.alias}--{new_generation_name()}"
        self.client.create_collection(
            collection,
            vectors_config={
                name: models.VectorParams(size=spec.dimension, distance=models.Distance.COSINE)
                for name in (DENSE_VECTOR, CONTENT_VECTOR)
            },
            sparse_vectors_config={
                name: models.SparseVectorParams(modifier=models.Modifier.IDF)
                for name in (SPARSE_VECTOR, CONTENT_LEXICAL_VECTOR)
            },
            hnsw_config=models.HnswConfigDiff(m=self.hnsw.m, ef_construct=self.hnsw.ef_construct),
            metadata={_META_KEY: {"state": "building", "spec": spec_to_json(spec)}},
        )
        for field, kind in ({} if self.local else PAYLOAD_INDEXES).items():
            self.client.create_payload_index(collection, field, field_schema=_SCHEMA[kind], wait=True)
        return ServerWriter(self, collection, spec)

    def next_generation(self, *, settings: Mapping[str, float | int | str] | None = None) -> ServerWriter:
        """A new collection holding a copy of the current one's points (vectors and payload)."""
        manifest = self.manifest()
        source = self._current_collection()
        if manifest is None or source is None:
            raise IndexNotBuilt(
                f"no search index under alias {self.alias!r} to update; run `anime-mcp ingest`"
            )
        writer = self.new_generation(with_settings(manifest.spec, settings), resume=False)
        offset = None
        while True:
            records, offset = self.client.scroll(
                source, limit=SCROLL_PAGE, offset=offset, with_payload=True, with_vectors=True
            )
            self.client.upsert(
                writer.collection,
                points=[
                    models.PointStruct(id=r.id, vector=cast(Any, r.vector or {}), payload=r.payload)
                    for r in records
                ],
                wait=True,
            )
            if offset is None:
                return writer

    def switch_alias(self, collection: str) -> None:
        operations: list[Any] = []
        if self._current_collection() is not None:
            operations.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.alias))
            )
        operations.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=collection, alias_name=self.alias)
            )
        )
        self.client.update_collection_aliases(change_aliases_operations=operations)

    def collect_garbage(self) -> None:
        """Drop collections but the current one and the newest committed one before it."""
        current = self._current_collection()
        committed = [
            c for c in self._collections() if c != current and self._state(c).get("state") == "committed"
        ]
        keep = {current, *committed[-1:]}
        for collection in self._collections():
            if collection not in keep:
                self.client.delete_collection(collection)
