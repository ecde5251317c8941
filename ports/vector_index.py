"""Vector index ports: hybrid (dense + sparse) search over catalogue entries, built in generations.

An index is built as a new *generation* and made current in one atomic step (a directory switch for the
embedded shard, a collection alias on a Qdrant server), so readers never see a partial index and a crash
mid-build leaves the previous generation serving.

- ``VectorIndexProvider`` (registered by plugins) connects to a location: a folder or a server URL.
- ``VectorIndexBackend`` is one connected location: open the current generation, start a new one.
- ``IndexWriter`` fills a generation and commits it (or aborts it).
- ``VectorIndex`` is the read side: search, stored vectors, the manifest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from attrs import evolve, field, frozen
from attrs.validators import in_

from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.ranking import SearchHit
from anime_mcp.core.vectors import SparseVector

DENSE_VECTOR = "text"  # named vectors
SPARSE_VECTOR = "lexical"
# The story of an entry (synopsis, genres and themes: ``core.documents.compose_content``), embedded by the
# same model as ``DENSE_VECTOR``; only entries with a synopsis have one; a search of it finds no others.
CONTENT_VECTOR = "content"
DENSE_VECTORS = (DENSE_VECTOR, CONTENT_VECTOR)
# the poster vector of image search (a CLIP model's space, its own dimension; issue #16). It is written
# apart from a generation (``ImageVectorStore``), so entries without a poster vector are never found by it.
IMAGE_VECTOR = "image"
SEARCHABLE_VECTORS = (*DENSE_VECTORS, IMAGE_VECTOR)  # what ``IndexQuery.using`` may name
# ``IndexSpec.settings`` key saying the generation has the content vector (older ones do not)
CONTENT_SETTING = "content_vector"
# The story's words (the content text by a story sparse encoder, BM25 with the engine's IDF): only entries
# with a synopsis have it. The generation's settings name its encoder (``CONTENT_LEXICAL_SETTING``) and its
# average content length (``CONTENT_AVGDL_SETTING``); generations built before it lack both.
CONTENT_LEXICAL_VECTOR = "content_lexical"
SPARSE_VECTORS = (SPARSE_VECTOR, CONTENT_LEXICAL_VECTOR)  # what ``IndexQuery.sparse_using`` may name
CONTENT_LEXICAL_SETTING = "content_lexical"
CONTENT_AVGDL_SETTING = "content_avgdl"
# How many content texts that average was fitted on: 0 means none (an index built before any synopsis was
# known), and the first incremental update that brings content texts fits it then.
CONTENT_FITTED_SETTING = "content_fitted"


@frozen
class IndexSpec:
    """What a generation is built with; a search must use the same model and sparse encoder."""

    model: str
    dimension: int
    sparse_encoder: str
    settings: Mapping[str, float | int | str] = field(factory=dict)  # e.g. the lexical avgdl

    @property
    def has_content(self) -> bool:
        """Whether the generation was built with the content vector (a search may ask for it)."""
        return self.settings.get(CONTENT_SETTING) == CONTENT_VECTOR

    @property
    def content_lexical(self) -> str | None:
        """The story sparse encoder the generation's content lexical vectors were built with (None: none)."""
        found = self.settings.get(CONTENT_LEXICAL_SETTING)
        return found if isinstance(found, str) and found else None


def with_settings(spec: IndexSpec, settings: Mapping[str, float | int | str] | None) -> IndexSpec:
    """``spec`` with ``settings`` changed (the same spec when there are none)."""
    return evolve(spec, settings={**spec.settings, **settings}) if settings else spec


@frozen
class IndexManifest:
    spec: IndexSpec
    generation: str
    points: int
    built_at: str  # ISO 8601, UTC
    catalogue_source: str = ""
    backend: str = ""
    location: str = ""


@frozen
class IndexPoint:
    """One entry to index: its vectors, the facts filters and ranking use (the adapter decides how to store
    them), and the fingerprint of its content."""

    anime_id: str
    dense: Sequence[float]
    sparse: SparseVector
    facts: IndexedFacts
    fingerprint: str  # content hash: what an incremental update compares
    content: Sequence[float] | None = None  # the content vector; None without a synopsis
    content_sparse: SparseVector | None = None  # the content lexical vector; None without a synopsis


FUSIONS = ("rrf", "dbsf")


@frozen
class IndexQuery:
    """Dense, sparse or both (prefetches fused in the engine); filters apply to every stage. Each hit comes
    back as a typed ``SearchHit`` (id, relevance, the facts ranking needs).

    ``using``: the named dense vector the dense stage searches, ``DENSE_VECTOR`` (title document),
    ``CONTENT_VECTOR`` (story; entries without one are never found by it) or ``IMAGE_VECTOR`` (poster, in
    the image model's space; dense only: a sparse part with it is refused).

    ``sparse_using``: the named sparse vector the sparse stage searches, ``SPARSE_VECTOR`` (titles, tags,
    studios) or ``CONTENT_LEXICAL_VECTOR`` (the story's words; entries without one are never found by it).

    ``fusion``: ``"rrf"`` (reciprocal rank fusion, by rank alone) or ``"dbsf"`` (distribution-based score
    fusion: each stage's scores normalised by their mean and spread, then summed). The search service's
    default hybrid ranking instead asks for each stage alone and fuses in ``core.ranking.fuse_weighted``;
    docs/benchmarks.md compares the three on the judged queries.
    """

    dense: Sequence[float] | None = None
    sparse: SparseVector | None = None
    filters: SearchFilters = field(factory=SearchFilters)
    limit: int = 10
    candidates: int = 100  # how many each stage contributes to the fusion
    fusion: str = field(default="rrf", validator=in_(FUSIONS))
    using: str = field(default=DENSE_VECTOR, validator=in_(SEARCHABLE_VECTORS))
    sparse_using: str = field(default=SPARSE_VECTOR, validator=in_(SPARSE_VECTORS))


@frozen
class ImageVectorsInfo:
    """What the stored poster vectors were made with (a query must use the same model) and how many."""

    model: str
    dimension: int
    points: int
    built_at: str  # ISO 8601, UTC


@runtime_checkable
class ImageVectorWriter(Protocol):
    """Poster vectors being added. Readers see none of them before ``commit``; an interrupted writer
    (``close``) leaves what it wrote to be resumed by the next writer of the same model."""

    def stored(self) -> set[str]:
        """Anime ids that already have a poster vector (kept from before, or written by this writer)."""
        ...

    def upsert(self, vectors: Mapping[str, Sequence[float]]) -> int:
        """Store anime id -> poster vector; ids the index does not hold are skipped. Returns how many
        were stored."""
        ...

    def commit(self) -> ImageVectorsInfo:
        """Make the poster vectors searchable (``IMAGE_VECTOR``) atomically."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ImageVectorStore(Protocol):
    """Optional capability of a ``VectorIndexBackend``: poster vectors beside the index. They live apart
    from the text generations (another dimension, written later by ``anime-mcp index-images``) and survive
    a rebuild of the text index; each point's filterable facts are copied from the current generation."""

    def image_vectors(self) -> ImageVectorsInfo | None:
        """What the searchable poster vectors were made with, or None when there are none."""
        ...

    def image_writer(self, model: str, dimension: int) -> ImageVectorWriter:
        """Add poster vectors made by ``model``; the ones of another model are dropped."""
        ...


@frozen
class HnswSettings:
    m: int = 16
    ef_construct: int = 128
    ef: int = 128  # search-time beam
    exact: bool = False  # brute force (always correct, slower at scale)


@runtime_checkable
class VectorIndex(Protocol):
    manifest: IndexManifest

    def search(self, query: IndexQuery) -> list[SearchHit]: ...

    def dense_vector(self, anime_id: str, using: str = DENSE_VECTOR) -> list[float] | None:
        """The stored dense vector ``using`` of one entry (similar-anime search re-embeds nothing); None
        when the entry or that vector of it is missing."""
        ...

    def scores(
        self, vector: Sequence[float], anime_ids: Sequence[str], using: str = DENSE_VECTOR
    ) -> dict[str, float]:
        """anime id -> the relevance (as ``search`` scores it: the cosine) of each listed entry's stored
        vector ``using`` (``IMAGE_VECTOR`` too) to ``vector``, computed by the engine in one call, exactly;
        entries without that vector are left out. Similar-anime compares its seed so with the candidates
        another search found, without reading their vectors."""
        ...

    def facts(self, anime_ids: Sequence[str]) -> dict[str, IndexedFacts]:
        """anime id -> the facts stored with each entry, in one read (similar-anime ranks its candidates by
        them without reading the catalogue); entries the index lacks are left out."""
        ...

    def count(self) -> int: ...

    def close(self) -> None: ...


@runtime_checkable
class IndexWriter(Protocol):
    """One generation being written. Nothing is visible to readers before ``commit``."""

    spec: IndexSpec

    def fingerprints(self) -> dict[str, str]:
        """anime id -> fingerprint of what this generation already holds (resume, incremental diff)."""
        ...

    def vectors(self, anime_ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        """anime id -> {named dense vector: values} that this generation holds (absent ones left out), so an
        update re-embeds only the side of an entry whose text changed."""
        ...

    def upsert(self, points: Sequence[IndexPoint]) -> None: ...

    def delete(self, anime_ids: Sequence[str]) -> None: ...

    def commit(self, *, catalogue_source: str = "") -> IndexManifest:
        """Finish (build indexes, flush) and switch readers to this generation atomically."""
        ...

    def abort(self) -> None:
        """Drop this generation; the current one keeps serving."""
        ...

    def close(self) -> None:
        """Stop writing without committing; an unfinished generation stays, to be resumed."""
        ...


@runtime_checkable
class VectorIndexBackend(Protocol):
    name: str
    location: str

    def manifest(self) -> IndexManifest | None:
        """The current generation's manifest, or None when nothing was built yet."""
        ...

    def open(self) -> VectorIndex | None:
        """The current generation for searching, or None when nothing was built yet."""
        ...

    def new_generation(self, spec: IndexSpec, *, resume: bool = True) -> IndexWriter:
        """Start an empty generation (or resume an unfinished one built with the same spec)."""
        ...

    def next_generation(self, *, settings: Mapping[str, float | int | str] | None = None) -> IndexWriter:
        """Start a generation holding a copy of the current one (for incremental updates); ``settings``
        change the copy's spec settings (corpus statistics fitted for the first time)."""
        ...


@runtime_checkable
class VectorIndexProvider(Protocol):
    """Registered by plugins: connects to index locations of one kind."""

    name: str

    def accepts(self, location: str) -> bool:
        """Whether this provider serves the location (a folder path, an ``http(s)://`` URL, ...)."""
        ...

    def connect(
        self, location: str, *, hnsw: HnswSettings | None = None, options: Mapping[str, str] | None = None
    ) -> VectorIndexBackend: ...
