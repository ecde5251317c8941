"""Build and update the search index from the catalogue store.

- **Full build** (first ingest, another model, ``--reindex``): a new generation is filled with every entry
  and committed; the old generation serves until then. An unfinished build with the same spec is resumed:
  entries it already holds (same fingerprint) are not embedded again.
- **Incremental update** (same model and encoder as the current index): a new generation starts as a
  copy of the current one; only entries whose fingerprint changed, new entries and removed entries are
  applied (the weekly catalogue update), then it is committed the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence

from attrs import field, frozen

from anime_mcp.core.documents import DOCUMENT_FORMAT, compose_document, content_fingerprint, lexical_fields
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.search_errors import IndexNotBuilt
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import BulkEmbedder, EmbeddedBatch, Embedder, SparseEncoder
from anime_mcp.ports.vector_index import IndexManifest, IndexPoint, IndexSpec, IndexWriter, VectorIndexBackend

# Called with (entries embedded so far, entries to embed in total).
IndexProgress = Callable[[int, int], None]

DEFAULT_BATCH = 128


@frozen
class IndexReport:
    mode: str  # "full", "resumed" or "incremental"
    manifest: IndexManifest
    embedded: int  # entries embedded and written (added + changed)
    added: int
    changed: int
    removed: int
    unchanged: int
    seconds: float
    # seconds per phase: "fit" (corpus statistics), "scan" (fingerprints, diff), "embed" (dense model),
    # "write" (sparse vectors, upserts), "commit" (HNSW and payload indexes, flush, switch)
    phases: dict[str, float] = field(factory=dict)


def index_spec(embedder: Embedder, encoder: SparseEncoder) -> IndexSpec:
    return IndexSpec(
        model=embedder.name,
        dimension=embedder.dimension,
        sparse_encoder=encoder.version,
        settings={"avgdl": round(encoder.avgdl, 4), "document_format": DOCUMENT_FORMAT},
    )


def spec_compatible(current: IndexSpec, wanted: IndexSpec) -> bool:
    """Same model, dimension, encoder and document format: an incremental update is possible."""
    return (
        current.model,
        current.dimension,
        current.sparse_encoder,
        current.settings.get("document_format"),
    ) == (wanted.model, wanted.dimension, wanted.sparse_encoder, wanted.settings.get("document_format"))


def to_points(
    entries: Sequence[CatalogueEntry],
    fingerprints: Sequence[str],
    dense: Sequence[Sequence[float]],
    encoder: SparseEncoder,
) -> list[IndexPoint]:
    return [
        IndexPoint(
            anime_id=e.anime_id,
            dense=vector,
            sparse=encoder.encode_document(lexical_fields(e)),
            facts=IndexedFacts.of(e),
            fingerprint=fingerprint,
        )
        for e, vector, fingerprint in zip(entries, dense, fingerprints, strict=True)
    ]


def build_index(
    catalogue: Catalogue,
    embedder: Embedder,
    encoder: SparseEncoder,
    backend: VectorIndexBackend,
    *,
    reindex: bool = False,
    progress: IndexProgress | None = None,
    batch_size: int = DEFAULT_BATCH,
    catalogue_source: str = "",
) -> IndexReport:
    """Bring the index up to date with the catalogue: incrementally when possible, else a full build."""
    started = time.perf_counter()
    phases: dict[str, float] = {"fit": 0.0, "scan": 0.0, "embed": 0.0, "write": 0.0, "commit": 0.0}
    try:
        current = backend.manifest()
    except IndexNotBuilt:  # the current generation is missing or unfinished: build a new one
        current = None
    writer: IndexWriter
    if (
        current is not None
        and not reindex
        and spec_compatible(current.spec, index_spec(embedder, _with_avgdl(encoder, current.spec)))
    ):
        mode = "incremental"
        writer = backend.next_generation()
    else:
        fitting = time.perf_counter()
        encoder.fit(lexical_fields(e) for e in catalogue.entries())
        phases["fit"] = time.perf_counter() - fitting
        writer = backend.new_generation(index_spec(embedder, encoder), resume=not reindex)
        mode = "full"
    try:
        existing = writer.fingerprints()
        if mode == "full" and existing:
            mode = "resumed"
        report = _apply(catalogue, embedder, encoder, writer, existing, progress, batch_size, phases)
        committing = time.perf_counter()
        if mode == "incremental" and current is not None and report[:3] == (0, 0, 0):
            writer.abort()  # nothing changed: keep serving the current generation
            manifest = current
        else:
            manifest = writer.commit(catalogue_source=catalogue_source)
        phases["commit"] = time.perf_counter() - committing
    except BaseException:
        if mode == "incremental":
            writer.abort()  # a copy of the current generation: nothing to resume
        else:
            writer.close()  # a full build stays unfinished, to be resumed by the next run
        raise
    added, changed, removed, unchanged = report
    return IndexReport(
        mode=mode,
        manifest=manifest,
        embedded=added + changed,
        added=added,
        changed=changed,
        removed=removed,
        unchanged=unchanged,
        seconds=time.perf_counter() - started,
        phases={name: round(value, 2) for name, value in phases.items()},
    )


def _with_avgdl(encoder: SparseEncoder, spec: IndexSpec) -> SparseEncoder:
    """Incremental updates keep the corpus statistics the index was built with."""
    avgdl = spec.settings.get("avgdl")
    if isinstance(avgdl, int | float):
        encoder.avgdl = float(avgdl)
    return encoder


def _apply(  # noqa: PLR0917 - private helper, called once
    catalogue: Catalogue,
    embedder: Embedder,
    encoder: SparseEncoder,
    writer: IndexWriter,
    existing: dict[str, str],
    progress: IndexProgress | None,
    batch_size: int,
    phases: dict[str, float],
) -> tuple[int, int, int, int]:
    scanning = time.perf_counter()
    todo: list[tuple[CatalogueEntry, str]] = []
    seen: set[str] = set()
    unchanged = 0
    for entry in catalogue.entries():
        anime_id = entry.anime_id
        if anime_id in seen:
            continue
        seen.add(anime_id)
        fingerprint = content_fingerprint(entry)
        if existing.get(anime_id) == fingerprint:
            unchanged += 1
        else:
            todo.append((entry, fingerprint))
    phases["scan"] = time.perf_counter() - scanning
    added = sum(1 for entry, _ in todo if entry.anime_id not in existing)
    removed = [anime_id for anime_id in existing if anime_id not in seen]
    writer.delete(removed)
    documents = [compose_document(e) for e, _ in todo]
    if progress is not None:
        progress(0, len(todo))
    done = 0
    embedded = _timed(_embedded_batches(embedder, documents, batch_size), phases, "embed")
    for group in _regroup(embedded, batch_size):
        writing = time.perf_counter()
        chosen = [todo[position] for position, _ in group]
        dense = [vector for _, vector in group]
        writer.upsert(to_points([e for e, _ in chosen], [f for _, f in chosen], dense, encoder))
        phases["write"] += time.perf_counter() - writing
        done += len(group)
        if progress is not None:
            progress(done, len(todo))
    return added, len(todo) - added, len(removed), unchanged


def _embedded_batches(embedder: Embedder, documents: list[str], batch_size: int) -> Iterator[EmbeddedBatch]:
    """The embedder's own cheapest order when it has one (``BulkEmbedder``), else chunks in input order."""
    if isinstance(embedder, BulkEmbedder):
        yield from embedder.embed_documents_in_batches(documents)
        return
    for start in range(0, len(documents), batch_size):
        positions = list(range(start, min(start + batch_size, len(documents))))
        yield positions, embedder.embed_documents([documents[i] for i in positions])


def _regroup(batches: Iterator[EmbeddedBatch], size: int) -> Iterator[list[tuple[int, list[float]]]]:
    """Embedded batches -> groups of at least ``size`` (position, vector) pairs, for fewer, larger upserts."""
    pending: list[tuple[int, list[float]]] = []
    for positions, vectors in batches:
        pending += zip(positions, vectors, strict=True)
        if len(pending) >= size:
            yield pending
            pending = []
    if pending:
        yield pending


def _timed(batches: Iterator[EmbeddedBatch], phases: dict[str, float], phase: str) -> Iterator[EmbeddedBatch]:
    """Adds the time spent producing each item to ``phases[phase]``."""
    while True:
        started = time.perf_counter()
        batch = next(batches, None)
        phases[phase] += time.perf_counter() - started
        if batch is None:
            return
        yield batch
