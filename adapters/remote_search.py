"""The embedding model and the vector index of a search process (``adapters/search_link.py``), behind the
same ports as in-process ones; and the child's side that serves them.

Each remote object falls back to its in-process twin if the process is lost (it crashed, was killed, hung):
the next call loads the model or opens the index here and the server goes on, slower to that call only.
"""

from __future__ import annotations

import contextlib
import math
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from anime_mcp.adapters.search_link import LinkLost, RemoteFailure, SearchLink
from anime_mcp.core.search_errors import SearchError
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.embedder import Embedder, EmbedderProvider, ModelInfo
from anime_mcp.ports.vector_index import (
    CONTENT_LEXICAL_VECTOR,
    CONTENT_VECTOR,
    DENSE_VECTOR,
    ImageVectorsInfo,
    ImageVectorStore,
    ImageVectorWriter,
    IndexManifest,
    IndexQuery,
    IndexWriter,
    VectorIndex,
    VectorIndexBackend,
)

INDEX_READS = frozenset({"search", "dense_vector", "scores", "facts", "count"})


class _Remote:
    """Calls through the link until it is lost, then the local twin (built once, on first need)."""

    def __init__(self, link: SearchLink, local: Callable[[], Any]) -> None:
        self._link = link
        self._make_local = local
        self._local: Any = None
        self._local_lock = threading.Lock()

    def _call(self, operation: str, *arguments: Any) -> Any:
        if self._local is None:
            found = _through(self._link, *self._request(operation, arguments))
            if found is not _LOST:
                return found
        return self._fallback(operation, *arguments)

    def _request(self, operation: str, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
        """What goes over the pipe for ``operation``."""
        return (operation, *arguments)

    def _fallback(self, operation: str, *arguments: Any) -> Any:
        raise NotImplementedError

    def local(self) -> Any:
        with self._local_lock:
            if self._local is None:
                _refuse_if_closed(self._link)
                _warn_once(self._link)
                self._local = self._make_local()
            return self._local


class RemoteEmbedder(_Remote):
    """Implements the ``Embedder`` port."""

    def __init__(self, link: SearchLink, local: Callable[[], Embedder]) -> None:
        super().__init__(link, local)
        self.name, self.dimension = self._call("embedder")

    def embed_query(self, text: str) -> list[float]:
        vector: list[float] = self._call("embed_query", text)
        return vector

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = self._call("embed_documents", list(texts))
        return vectors

    def _fallback(self, operation: str, *arguments: Any) -> Any:
        embedder: Embedder = self.local()
        if operation == "embedder":
            return embedder.name, embedder.dimension
        return getattr(embedder, operation)(*arguments)


class RemoteEmbedderProvider:
    """Implements the ``EmbedderProvider`` port: describes the folder here (a small file), loads the model
    in the search process."""

    def __init__(
        self, link: SearchLink, provider: EmbedderProvider, *, model_dir: Path, threads: int | None
    ) -> None:
        self._link = link
        self._provider = provider
        self._model_dir = model_dir
        self._threads = threads
        self.name = provider.name

    def can_load(self, model_dir: Path) -> bool:
        return self._provider.can_load(model_dir)

    def describe(self, model_dir: Path) -> ModelInfo:
        return self._provider.describe(model_dir)

    def load(self, model_dir: Path, *, threads: int | None = None) -> Embedder:
        chosen = self._threads if threads is None else threads
        if model_dir != self._model_dir or chosen != self._threads:  # not what the process loaded
            return self._provider.load(model_dir, threads=chosen)
        return RemoteEmbedder(self._link, lambda: self._provider.load(model_dir, threads=chosen))


class RemoteIndex(_Remote):
    """Implements the ``VectorIndex`` port: one generation opened in the search process."""

    def __init__(
        self, link: SearchLink, handle: int, manifest: IndexManifest, local: Callable[[], Any]
    ) -> None:
        super().__init__(link, local)
        self._handle = handle
        self.manifest = manifest
        # A replaced snapshot drops its index without closing it: the process closes it then (the generation
        # may be deleted by the ingest that replaced it, and an open shard keeps its files mapped).
        self._release = weakref.finalize(self, link.later, "close", handle)

    def search(self, query: IndexQuery) -> list[Any]:
        return list(self._call("search", query))

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        vector: list[float] | None = self._call("dense_vector", anime_id, using)
        return vector

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        found: dict[str, float] = self._call("scores", list(vector), list(anime_ids), using)
        return found

    def facts(self, anime_ids: Sequence[str]) -> dict[str, Any]:
        found: dict[str, Any] = self._call("facts", list(anime_ids))
        return found

    def count(self) -> int:
        return int(self._call("count"))

    def close(self) -> None:
        self._release.detach()
        if self._local is not None:
            self._local.close()
        elif self._link.lost is None:
            with contextlib.suppress(LinkLost, RemoteFailure):
                self._link.call("close", self._handle)

    def _request(self, operation: str, arguments: tuple[Any, ...]) -> tuple[Any, ...]:
        return ("index", self._handle, operation, arguments)

    def _fallback(self, operation: str, *arguments: Any) -> Any:
        index = self.local()
        if index is None:
            raise SearchError("the search process is gone and the index cannot be opened here")
        return getattr(index, operation)(*arguments)


class RemoteBackend:
    """Implements the ``VectorIndexBackend`` port (and ``ImageVectorStore``): reads through the search
    process; writing a generation (which ``anime-mcp mcp`` never does) connects here."""

    def __init__(
        self, link: SearchLink, connect: Callable[[], VectorIndexBackend], *, name: str, location: str
    ) -> None:
        self._link = link
        self._connect = connect
        self._backend: VectorIndexBackend | None = None
        self._lock = threading.Lock()
        self.name = name
        self.location = location

    def local(self) -> VectorIndexBackend:
        with self._lock:
            if self._backend is None:
                _refuse_if_closed(self._link)
                _warn_once(self._link)
                self._backend = self._connect()
            return self._backend

    def manifest(self) -> IndexManifest | None:
        manifest: IndexManifest | None = self._call("manifest", lambda: self.local().manifest())
        return manifest

    def open(self) -> VectorIndex | None:
        opened = _through(self._link, "open")
        if opened is _LOST:
            return self.local().open()
        if opened is None:
            return None
        handle, manifest = opened
        return RemoteIndex(self._link, handle, manifest, lambda: self.local().open())

    def image_vectors(self) -> ImageVectorsInfo | None:
        info: ImageVectorsInfo | None = self._call("image_vectors", self._local_image_vectors)
        return info

    def _local_image_vectors(self) -> ImageVectorsInfo | None:
        backend = self.local()
        return backend.image_vectors() if isinstance(backend, ImageVectorStore) else None

    def image_writer(self, model: str, dimension: int) -> ImageVectorWriter:
        backend = self.local()
        if not isinstance(backend, ImageVectorStore):
            raise SearchError(f"the {self.name} index keeps no poster vectors")
        return backend.image_writer(model, dimension)

    def new_generation(self, spec: Any, *, resume: bool = True) -> IndexWriter:
        return self.local().new_generation(spec, resume=resume)

    def next_generation(self, *, settings: Mapping[str, float | int | str] | None = None) -> IndexWriter:
        return self.local().next_generation(settings=settings)

    def _call(self, operation: str, here: Callable[[], Any]) -> Any:
        found = _through(self._link, operation)
        return here() if found is _LOST else found


_LOST = object()  # what ``_through`` answers when the process is gone


def _through(link: SearchLink, operation: str, *arguments: Any) -> Any:
    """The search process's answer, or ``_LOST`` when it is gone (or went during this call): the caller
    then loads here. What the process raised is raised here, typed; what did not pickle, as a SearchError."""
    if link.lost is not None:
        return _LOST
    try:
        return link.call(operation, *arguments)
    except LinkLost:
        return _LOST
    except RemoteFailure as exc:
        raise SearchError(f"the search process failed: {exc}") from None


def _refuse_if_closed(link: SearchLink) -> None:
    """Nothing loads in the server once it has closed its search processes: it is shutting down."""
    if link.closed:
        raise SearchError("the search process was closed: the server is shutting down")


def _warn_once(link: SearchLink) -> None:
    import structlog

    if not link.reported:
        link.reported = True
        structlog.get_logger("anime_mcp.search").warning(
            "search.process.lost", reason=link.lost, action="the model and the index load in this process"
        )


# --- the child's side -------------------------------------------------------------------------------
WARM_UP_TEXT = "warm up"


class ServedSearch:
    """What a search process holds and answers: the model, the index or both, loaded at once (``load``); a
    failure to load is kept and raised to every call that needs what failed."""

    def __init__(
        self,
        load_embedder: Callable[[], Embedder] | None = None,
        connect: Callable[[], VectorIndexBackend] | None = None,
    ) -> None:
        self._load_embedder = load_embedder
        self._connect = connect
        self._embedder: Embedder | None = None
        self._backend: VectorIndexBackend | None = None
        self._first: VectorIndex | None = None  # opened at the start, handed to the first ``open``
        self._indexes: dict[int, VectorIndex] = {}
        self._handles = 0

    def load(self) -> None:
        """Load the model and run it once, or open the current generation and query each of its vectors
        once (the engine pays a first query per named vector: about 0.25 s for the second one here), so
        the server's first question finds everything ready."""
        if self._load_embedder is not None:
            try:
                self._embedder = self._load_embedder()
                self._embedder.embed_query(WARM_UP_TEXT)
            except Exception:  # noqa: BLE001 - tried again, and raised, by the first call that needs it
                self._embedder = None
        if self._connect is not None:
            try:
                self._backend = self._connect()
                self._first = self._backend.open()
            except Exception:  # noqa: BLE001 - tried again, and raised, by the first call that needs it
                pass
            if self._first is not None:
                warm_up(self._first)

    def handle(self, operation: str, arguments: tuple[Any, ...]) -> Any:
        if operation == "embedder":
            embedder = self.embedder()
            return embedder.name, embedder.dimension
        if operation in ("embed_query", "embed_documents"):
            return getattr(self.embedder(), operation)(*arguments)
        if operation == "manifest":
            return self.backend().manifest()
        if operation == "open":
            return self._open()
        if operation == "index":
            handle, method, method_arguments = arguments
            if method not in INDEX_READS:
                raise SearchError(f"no index operation {method!r}")
            return getattr(self._index(handle), method)(*method_arguments)
        if operation == "close":
            index = self._indexes.pop(arguments[0], None)
            if index is not None:
                index.close()
            return None
        if operation == "image_vectors":
            backend = self.backend()
            return backend.image_vectors() if isinstance(backend, ImageVectorStore) else None
        raise SearchError(f"the search process has no operation {operation!r}")

    def embedder(self) -> Embedder:
        """The model; one that failed to load is tried again (it may have been installed since), as the
        server's own ``SearchComponents.embedder`` does."""
        if self._embedder is None:
            if self._load_embedder is None:
                raise SearchError("this search process holds no embedding model")
            self._embedder = self._load_embedder()
        return self._embedder

    def backend(self) -> VectorIndexBackend:
        if self._backend is None:
            if self._connect is None:
                raise SearchError("this search process holds no vector index")
            self._backend = self._connect()
        return self._backend

    def _open(self) -> tuple[int, IndexManifest] | None:
        backend = self.backend()
        index, self._first = self._first, None
        current = backend.manifest()
        if index is not None and (current is None or current.generation != index.manifest.generation):
            index.close()  # replaced while we started
            index = None
        if index is None:
            index = backend.open()
        if index is None:
            return None
        self._handles += 1
        self._indexes[self._handles] = index
        return self._handles, index.manifest

    def _index(self, handle: int) -> VectorIndex:
        index = self._indexes.get(handle)
        if index is None:
            raise SearchError(f"index handle {handle} is closed")
        return index


def warm_up(index: VectorIndex) -> None:
    """One query on each named vector the generation holds, with a vector of the right size (no model
    needed): a warm-up only, so a failure is left to the real queries to report."""
    spec = index.manifest.spec
    dense = [1.0 / math.sqrt(spec.dimension)] * spec.dimension
    words = SparseVector((1, 2, 3), (1.0, 1.0, 1.0))
    queries = [IndexQuery(dense=dense, limit=1), IndexQuery(sparse=words, limit=1)]
    if spec.has_content:
        queries.append(IndexQuery(dense=dense, using=CONTENT_VECTOR, limit=1))
    if spec.content_lexical:
        queries.append(IndexQuery(sparse=words, sparse_using=CONTENT_LEXICAL_VECTOR, limit=1))
    for query in queries:
        with contextlib.suppress(Exception):
            index.search(query)
