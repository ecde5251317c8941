"""Poster vectors on a Qdrant server: collections of their own beside the text generations, in generations.

As in the embedded index (``adapters/qdrant_edge_images.py``), the ``image`` vector has another model and
dimension and is written later by ``index-images``, so it does not live in the text collections: poster
vectors go to ``<alias>-images--<generation>`` collections, and the alias ``<alias>-images`` names the one
readers use (switched atomically at commit). Each point carries a copy of its entry's payload from the text
collection current when it was written, so a filtered image search needs no second look-up; a commit after
the text index was rebuilt copies the payloads again.

State lives in the collection metadata, as for the text collections: ``building`` with the model,
dimension and the text collection the payloads came from; ``committed`` with the manifest. A new writer
resumes an unfinished collection of the same model, else starts from a copy of the current one (same model),
else from nothing. Points are written with ``wait=True``: an interrupted run keeps what it wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from anime_mcp.adapters.qdrant_common import (
    HIT_PAYLOAD,
    PAYLOAD_INDEXES,
    SCROLL_PAGE,
    batched,
    check_dimensions,
    entry_payloads,
    new_generation_name,
    point_id,
    search_hit,
    utc_now,
)
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.search_errors import IndexNotBuilt, SearchError
from anime_mcp.ports.vector_index import IMAGE_VECTOR, HnswSettings, ImageVectorsInfo

META_KEY = "anime_mcp"
_SCHEMA = {
    "keyword": models.PayloadSchemaType.KEYWORD,
    "integer": models.PayloadSchemaType.INTEGER,
    "float": models.PayloadSchemaType.FLOAT,
}

TextCollection = Callable[[], str | None]  # the current text collection, None when nothing was built


def generation_collections(client: QdrantClient, alias: str) -> list[str]:
    """The collections of an alias's generations (``<alias>--<generation>``), oldest first."""
    prefix = f"{alias}--"
    return sorted(c.name for c in client.get_collections().collections if c.name.startswith(prefix))


def aliased_collection(client: QdrantClient, alias: str) -> str | None:
    """The collection ``alias`` points to now (the committed generation), or None."""
    for found in client.get_aliases().aliases:
        if found.alias_name == alias:
            return str(found.collection_name)
    return None


def collection_state(client: QdrantClient, collection: str, key: str) -> dict[str, Any]:
    """The generation state kept in a collection's metadata under ``key`` ({} when none)."""
    metadata = client.get_collection(collection).config.metadata or {}
    state = metadata.get(key)
    return state if isinstance(state, dict) else {}


class ServerImages:
    """The poster vectors of one alias on one Qdrant deployment: reading the current ones, writing more."""

    def __init__(self, client: QdrantClient, alias: str, hnsw: HnswSettings, *, local: bool) -> None:
        self.client = client
        self.alias = f"{alias}-images"
        self.hnsw = hnsw
        self.local = local  # qdrant-client's local mode: no payload indexes, no search params

    def collections(self) -> list[str]:
        return generation_collections(self.client, self.alias)

    def current(self) -> str | None:
        return aliased_collection(self.client, self.alias)

    def state(self, collection: str) -> dict[str, Any]:
        return collection_state(self.client, collection, META_KEY)

    def manifest(self) -> dict[str, Any] | None:
        collection = self.current()
        if collection is None:
            return None
        state = self.state(collection)
        if state.get("state") != "committed":
            raise IndexNotBuilt(f"alias {self.alias!r} names {collection}, which was never committed")
        manifest: dict[str, Any] = state["manifest"]
        return manifest

    def info(self) -> ImageVectorsInfo | None:
        raw = self.manifest()
        if raw is None:
            return None
        return ImageVectorsInfo(raw["model"], raw["dimension"], raw["points"], raw["built_at"])

    # --- reading -----------------------------------------------------------------------------------
    def search(self, vector: Sequence[float], found: models.Filter | None, limit: int) -> list[SearchHit]:
        info = self.info()
        if info is None:
            return []  # no posters indexed: nothing is found by a picture
        if len(vector) != info.dimension:
            raise SearchError(
                f"the poster vectors were made by {info.model} ({info.dimension}-d), the query has "
                f"{len(vector)} dimensions: run `anime-mcp index-images` with the configured image model"
            )
        params = None if self.local else models.SearchParams(hnsw_ef=self.hnsw.ef, exact=self.hnsw.exact)
        response = self.client.query_points(
            self.alias,
            query=list(vector),
            using=IMAGE_VECTOR,
            query_filter=found,
            search_params=params,
            limit=limit,
            with_payload=HIT_PAYLOAD,
        )
        return [search_hit(p.payload, p.id, p.score) for p in response.points]

    def vector(self, anime_id: str) -> list[float] | None:
        if self.current() is None:
            return None
        records = self.client.retrieve(
            self.alias, [str(point_id(anime_id))], with_payload=False, with_vectors=[IMAGE_VECTOR]
        )
        return _image_of(records[0].vector) if records else None

    # --- writing -----------------------------------------------------------------------------------
    def writer(self, model: str, dimension: int, text_collection: TextCollection) -> ServerImageWriter:
        text = text_collection()
        if text is None:
            raise IndexNotBuilt("no search index to add poster vectors to; run `anime-mcp ingest` first")
        spec = {"model": model, "dimension": dimension}
        for collection in reversed(self.collections()):
            state = self.state(collection)
            if state.get("state") == "building" and state.get("spec") == spec:
                return ServerImageWriter(self, collection, text, model, dimension, state.get("text"))
        self.collect_garbage()
        collection = f"{self.alias}--{new_generation_name()}"
        base = self.manifest()
        same = base is not None and (base["model"], base["dimension"]) == (model, dimension)
        payloads_from = base.get("text") if same and base is not None else text
        self.client.create_collection(
            collection,
            vectors_config={
                IMAGE_VECTOR: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
            },
            hnsw_config=models.HnswConfigDiff(m=self.hnsw.m, ef_construct=self.hnsw.ef_construct),
            metadata={META_KEY: {"state": "building", "spec": spec, "text": payloads_from}},
        )
        for field, kind in ({} if self.local else PAYLOAD_INDEXES).items():
            self.client.create_payload_index(collection, field, field_schema=_SCHEMA[kind], wait=True)
        if same:
            self._copy(self.alias, collection)
        return ServerImageWriter(self, collection, text, model, dimension, payloads_from)

    def _copy(self, source: str, target: str) -> None:
        offset = None
        while True:
            records, offset = self.client.scroll(
                source, limit=SCROLL_PAGE, offset=offset, with_payload=True, with_vectors=True
            )
            if records:
                self.client.upsert(
                    target,
                    points=[
                        models.PointStruct(id=r.id, vector=_named(r.vector), payload=r.payload)
                        for r in records
                    ],
                    wait=True,
                )
            if offset is None:
                return

    def publish(self, collection: str, manifest: Mapping[str, Any]) -> None:
        self.client.update_collection(
            collection, metadata={META_KEY: {"state": "committed", "manifest": dict(manifest)}}
        )
        operations: list[Any] = []
        if self.current() is not None:
            operations.append(
                models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=self.alias))
            )
        operations.append(
            models.CreateAliasOperation(
                create_alias=models.CreateAlias(collection_name=collection, alias_name=self.alias)
            )
        )
        self.client.update_collection_aliases(change_aliases_operations=operations)
        self.collect_garbage()

    def collect_garbage(self) -> None:
        """Keep the current image collection, the newest committed one before it and unfinished ones."""
        current = self.current()
        states = {c: self.state(c).get("state") for c in self.collections() if c != current}
        committed = [c for c, state in states.items() if state == "committed"]
        for collection in committed[:-1]:
            self.client.delete_collection(collection)


def _image_of(vector: object) -> list[float] | None:
    if isinstance(vector, Mapping) and isinstance(vector.get(IMAGE_VECTOR), list | tuple):
        return [float(x) for x in vector[IMAGE_VECTOR]]
    return None


def _named(vector: object) -> dict[str, Any]:
    return dict(vector) if isinstance(vector, Mapping) else {}


class ServerImageWriter:
    """Implements ``ImageVectorWriter`` for one image collection."""

    def __init__(  # noqa: PLR0917 - private, made by ServerImages.writer only
        self,
        images: ServerImages,
        collection: str,
        text: str,
        model: str,
        dimension: int,
        payloads_from: str | None,
    ) -> None:
        self._images = images
        self._client = images.client
        self.collection = collection
        self._text = text  # the current text collection: payloads are copied from it
        self.model, self.dimension = model, dimension
        self._payloads_from = payloads_from  # where the payloads already held came from

    def stored(self) -> set[str]:
        found: set[str] = set()
        offset = None
        while True:
            records, offset = self._client.scroll(
                self.collection,
                limit=SCROLL_PAGE,
                offset=offset,
                with_payload=["anime_id"],
                with_vectors=False,
            )
            found.update(str((r.payload or {}).get("anime_id")) for r in records)
            if offset is None:
                return found

    def _payloads(self, anime_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The entry payloads of the current text collection (without its fingerprint), by anime id."""
        records = self._client.retrieve(
            self._text, [str(point_id(a)) for a in anime_ids], with_payload=True, with_vectors=False
        )
        return entry_payloads(records)

    def upsert(self, vectors: Mapping[str, Sequence[float]]) -> int:
        check_dimensions(vectors, self.dimension)
        payloads = self._payloads(list(vectors))
        points = [
            models.PointStruct(id=str(point_id(a)), vector={IMAGE_VECTOR: list(v)}, payload=payloads[a])
            for a, v in vectors.items()
            if a in payloads
        ]
        if points:
            self._client.upsert(self.collection, points=points, wait=True)
        return len(points)

    def _refresh_payloads(self) -> None:
        """After a rebuild of the text index: copy each entry's payload again; drop entries it lost."""
        for chunk in batched(sorted(self.stored()), SCROLL_PAGE):
            payloads = self._payloads(chunk)
            gone = [str(point_id(a)) for a in chunk if a not in payloads]
            if gone:
                self._client.delete(self.collection, models.PointIdsList(points=list(gone)), wait=True)
            kept = self._client.retrieve(
                self.collection,
                [str(point_id(a)) for a in payloads],
                with_payload=["anime_id"],
                with_vectors=[IMAGE_VECTOR],
            )
            points = [
                models.PointStruct(id=r.id, vector=_named(r.vector), payload=payloads[anime_id])
                for r in kept
                if (anime_id := str((r.payload or {}).get("anime_id"))) in payloads
            ]
            if points:
                self._client.upsert(self.collection, points=points, wait=True)

    def commit(self) -> ImageVectorsInfo:
        if self._payloads_from != self._text:
            self._refresh_payloads()
        points = self._client.count(self.collection, exact=True).count
        info = ImageVectorsInfo(self.model, self.dimension, points, utc_now())
        manifest = {
            "model": info.model,
            "dimension": info.dimension,
            "points": info.points,
            "built_at": info.built_at,
            "text": self._text,
        }
        self._images.publish(self.collection, manifest)
        return info

    def close(self) -> None:
        """Points are written as they come (wait=True): the collection stays, to be resumed as it is."""
