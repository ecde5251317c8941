"""Build and update the search index from the catalogue store.

- **Full build** (first ingest, another model, ``--reindex``): a new generation is filled with every entry
  and committed; the old generation serves until then. An unfinished build with the same spec is resumed:
  entries it already holds (same fingerprint) are not embedded again.
- **Incremental update** (same model and encoder as the current index): a new generation starts as a
  copy of the current one; only entries whose fingerprint changed, new entries and removed entries are
  applied (the weekly catalogue update), then it is committed the same way.

An entry has two embedded sides: its title document (always) and its content (synopsis, genres and themes,
from the enrichment store: ``content_texts``). The fingerprint has one part per side, so an entry whose
synopsis changed has only its content embedded again (its document vector is read back from the index), and
one whose titles changed only its document. The document side is written first with the content marked
pending in the fingerprint, then the content side: a build killed between the two resumes with the content.
The content lexical vector (the story's words, ``story_encoder``) needs no model: it is encoded from the
content text whenever a point is written, so it follows the same rule at no embedding cost, and its average
content length is fitted by a full build and kept by incremental ones (like the title lexical ``avgdl``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence

from attrs import field, frozen

from anime_mcp.core.documents import (
    DOCUMENT_FORMAT,
    FingerprintParts,
    LexicalField,
    compose_content,
    compose_document,
    content_fingerprint,
    lexical_fields,
)
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.search_errors import IndexNotBuilt
from anime_mcp.core.vectors import SparseVector
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import BulkEmbedder, EmbeddedBatch, Embedder, SparseEncoder
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.vector_index import (
    CONTENT_AVGDL_SETTING,
    CONTENT_FITTED_SETTING,
    CONTENT_LEXICAL_SETTING,
    CONTENT_SETTING,
    CONTENT_VECTOR,
    DENSE_VECTOR,
    IndexManifest,
    IndexPoint,
    IndexSpec,
    IndexWriter,
    VectorIndexBackend,
)

# Called with (texts embedded so far, texts to embed in total): documents and contents.
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
    documents_embedded: int = 0  # title documents embedded
    contents_embedded: int = 0  # content texts (synopses) embedded
    with_content: int = 0  # entries with a content vector after this run (added or kept)


def index_spec(
    embedder: Embedder, encoder: SparseEncoder, story: SparseEncoder | None = None, fitted_contents: int = 0
) -> IndexSpec:
    """What a generation is built with; ``story``: the story sparse encoder of the content lexical vector
    (None: the generation has none), fitted on ``fitted_contents`` texts."""
    settings: dict[str, float | int | str] = {
        "avgdl": round(encoder.avgdl, 4),
        "document_format": DOCUMENT_FORMAT,
        CONTENT_SETTING: CONTENT_VECTOR,
    }
    if story is not None:
        settings |= {
            CONTENT_LEXICAL_SETTING: story.version,
            CONTENT_AVGDL_SETTING: round(story.avgdl, 4),
            CONTENT_FITTED_SETTING: fitted_contents,
        }
    return IndexSpec(
        model=embedder.name, dimension=embedder.dimension, sparse_encoder=encoder.version, settings=settings
    )


def content_texts(store: EnrichmentStore) -> dict[str, str]:
    """anime id -> the content text of every anime with a synopsis in the enrichment store."""
    terms = dict(store.terms())
    texts = {}
    for anime_id, synopsis in store.synopses():
        text = compose_content(synopsis, terms.get(anime_id, ()))
        if text:
            texts[anime_id] = text
    return texts


def spec_compatible(current: IndexSpec, wanted: IndexSpec) -> bool:
    """Same model, dimension, encoders and document format: an incremental update is possible."""
    return (
        current.model,
        current.dimension,
        current.sparse_encoder,
        current.settings.get("document_format"),
        current.content_lexical,
    ) == (
        wanted.model,
        wanted.dimension,
        wanted.sparse_encoder,
        wanted.settings.get("document_format"),
        wanted.content_lexical,
    )


@frozen
class _Todo:
    """One entry to write: what changed of it decides what is embedded again."""

    entry: CatalogueEntry
    fingerprint: str
    content: str | None  # the content text, None without a synopsis
    embed_document: bool
    embed_content: bool

    @property
    def pending(self) -> str:
        """The fingerprint written with the document side while the content is still to come."""
        return FingerprintParts.parse(self.fingerprint).document + ":"


def _todo(entry: CatalogueEntry, content: str | None, stored: str | None) -> _Todo | None:
    """None when the stored fingerprint is current; else which sides need embedding."""
    fingerprint = content_fingerprint(entry, content)
    if stored == fingerprint:
        return None
    new = FingerprintParts.parse(fingerprint)
    old = FingerprintParts.parse(stored) if stored is not None else None
    return _Todo(
        entry,
        fingerprint,
        content,
        embed_document=old is None or old.document != new.document,
        embed_content=bool(new.content) and (old is None or old.content != new.content),
    )


@frozen
class Encoders:
    """The sparse encoders of a build: titles (``lexical``) and, when the index has it, the story
    (``story``: the content lexical vector, made from the content text; no model, so it is encoded again
    whenever a point is written, never read back)."""

    lexical: SparseEncoder
    story: SparseEncoder | None = None

    def story_vector(self, text: str | None) -> SparseVector | None:
        if self.story is None or not text:
            return None
        return self.story.encode_document([LexicalField(text, 1.0)])


def to_point(  # noqa: PLR0917 - one point's parts
    entry: CatalogueEntry,
    fingerprint: str,
    dense: Sequence[float],
    encoder: SparseEncoder | Encoders,
    content: Sequence[float] | None = None,
    content_text: str | None = None,
) -> IndexPoint:
    """The point of one entry; ``content_text`` makes its content lexical vector (with ``Encoders.story``)."""
    encoders = encoder if isinstance(encoder, Encoders) else Encoders(encoder)
    return IndexPoint(
        anime_id=entry.anime_id,
        dense=dense,
        sparse=encoders.lexical.encode_document(lexical_fields(entry)),
        facts=IndexedFacts.of(entry),
        fingerprint=fingerprint,
        content=content,
        content_sparse=encoders.story_vector(content_text),
    )


def build_index(
    catalogue: Catalogue,
    embedder: Embedder,
    encoder: SparseEncoder,
    backend: VectorIndexBackend,
    *,
    contents: Mapping[str, str] | None = None,
    story_encoder: SparseEncoder | None = None,
    reindex: bool = False,
    progress: IndexProgress | None = None,
    batch_size: int = DEFAULT_BATCH,
    catalogue_source: str = "",
) -> IndexReport:
    """Bring the index up to date with the catalogue: incrementally when possible, else a full build.

    ``contents``: anime id -> content text (``content_texts`` of the enrichment store); entries not in it
    have no content vector (an entry whose synopsis went away loses its content vector).
    ``story_encoder``: builds the content lexical vector from the same texts (None: the index has none); its
    average content length is fitted on ``contents`` by a full build and kept by incremental ones."""
    started = time.perf_counter()
    phases: dict[str, float] = {"fit": 0.0, "scan": 0.0, "embed": 0.0, "write": 0.0, "commit": 0.0}
    try:
        current = backend.manifest()
    except IndexNotBuilt:  # the current generation is missing or unfinished: build a new one
        current = None
    writer: IndexWriter
    contents = contents or {}
    if (
        current is not None
        and not reindex
        and spec_compatible(
            current.spec, index_spec(embedder, *_fitted(encoder, story_encoder, current.spec))
        )
    ):
        mode = "incremental"
        writer = backend.next_generation(
            settings=_first_story_fit(story_encoder, current.spec, contents, phases)
        )
    else:
        fitting = time.perf_counter()
        encoder.fit(lexical_fields(e) for e in catalogue.entries())
        if story_encoder is not None:
            story_encoder.fit([LexicalField(text, 1.0)] for text in contents.values())
        phases["fit"] = time.perf_counter() - fitting
        spec = index_spec(embedder, encoder, story_encoder, fitted_contents=len(contents))
        writer = backend.new_generation(spec, resume=not reindex)
        mode = "full"
    encoders = Encoders(encoder, story_encoder)
    applying = _Applying(catalogue, embedder, encoders, writer, contents, progress, batch_size, phases)
    try:
        existing = writer.fingerprints()
        if mode == "full" and existing:
            mode = "resumed"
        report = applying.run(existing)
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
        documents_embedded=applying.documents_embedded,
        contents_embedded=applying.contents_embedded,
        with_content=applying.with_content,
    )


def _fitted(
    encoder: SparseEncoder, story: SparseEncoder | None, spec: IndexSpec
) -> tuple[SparseEncoder, SparseEncoder | None]:
    """Incremental updates keep the corpus statistics the index was built with."""
    for fitted, key in ((encoder, "avgdl"), (story, CONTENT_AVGDL_SETTING)):
        avgdl = spec.settings.get(key)
        if fitted is not None and isinstance(avgdl, int | float):
            fitted.avgdl = float(avgdl)
    return encoder, story


def _first_story_fit(
    story: SparseEncoder | None, spec: IndexSpec, contents: Mapping[str, str], phases: dict[str, float]
) -> dict[str, float | int | str] | None:
    """The story statistics of an index built before any synopsis was known were fitted on nothing (an
    ingest, then ``enrich --dump``): the first content texts fit them, for the generation the update writes.
    No content lexical vector was written with the old ones, so nothing else changes."""
    if story is None or not contents or not _fitted_on_nothing(spec):
        return None
    started = time.perf_counter()
    story.fit([LexicalField(text, 1.0)] for text in contents.values())
    phases["fit"] += time.perf_counter() - started
    return {CONTENT_AVGDL_SETTING: round(story.avgdl, 4), CONTENT_FITTED_SETTING: len(contents)}


def _fitted_on_nothing(spec: IndexSpec) -> bool:
    fitted = spec.settings.get(CONTENT_FITTED_SETTING)
    if isinstance(fitted, int):
        return fitted == 0
    # generations written before the count: 1.0 is what a fit on no text gives (never a real average)
    return spec.settings.get(CONTENT_AVGDL_SETTING) == 1.0


class _Applying:
    """Writes what changed into one generation: first the entries that need no embedding (their vectors
    read back), then the title documents, then the contents."""

    def __init__(  # noqa: PLR0917 - private, built once by build_index
        self,
        catalogue: Catalogue,
        embedder: Embedder,
        encoder: Encoders,
        writer: IndexWriter,
        contents: Mapping[str, str],
        progress: IndexProgress | None,
        batch_size: int,
        phases: dict[str, float],
    ) -> None:
        self.catalogue, self.embedder, self.encoder, self.writer = catalogue, embedder, encoder, writer
        self.contents = contents
        self.progress = progress
        self.batch_size = batch_size
        self.phases = phases
        self.documents_embedded = self.contents_embedded = self.with_content = 0
        self._done = self._total = 0

    def run(self, existing: dict[str, str]) -> tuple[int, int, int, int]:
        scanning = time.perf_counter()
        todo: list[_Todo] = []
        seen: set[str] = set()
        unchanged = 0
        for entry in self.catalogue.entries():
            anime_id = entry.anime_id
            if anime_id in seen:
                continue
            seen.add(anime_id)
            content = self.contents.get(anime_id)
            self.with_content += content is not None
            found = _todo(entry, content, existing.get(anime_id))
            if found is None:
                unchanged += 1
            else:
                todo.append(found)
        self.phases["scan"] = time.perf_counter() - scanning
        added = sum(1 for t in todo if t.entry.anime_id not in existing)
        removed = [anime_id for anime_id in existing if anime_id not in seen]
        self.writer.delete(removed)
        documents = [t for t in todo if t.embed_document]
        contents = [t for t in todo if t.embed_content]
        self._total = len(documents) + len(contents)
        if self.progress is not None:
            self.progress(0, self._total)
        self._rewrite([t for t in todo if not t.embed_document and not t.embed_content])
        self._embed_documents(documents)
        self._embed_contents(contents)
        return added, len(todo) - added, len(removed), unchanged

    def _stored(self, todo: Sequence[_Todo]) -> dict[str, dict[str, list[float]]]:
        stored = self.writer.vectors([t.entry.anime_id for t in todo])
        missing = [t.entry.anime_id for t in todo if DENSE_VECTOR not in stored.get(t.entry.anime_id, {})]
        if missing:  # a point always has its document vector: the generation is damaged
            raise IndexNotBuilt(
                f"the search index lacks the vectors of {len(missing)} entries it has fingerprints for "
                f"(e.g. {missing[0]}); run `anime-mcp ingest --reindex`"
            )
        return stored

    def _write(self, points: list[IndexPoint]) -> None:
        writing = time.perf_counter()
        self.writer.upsert(points)
        self.phases["write"] += time.perf_counter() - writing

    def _rewrite(self, todo: list[_Todo]) -> None:
        """Entries whose facts are unchanged in both texts' terms (a synopsis removed): vectors read back."""
        for start in range(0, len(todo), self.batch_size):
            group = todo[start : start + self.batch_size]
            stored = self._stored(group)
            points = []
            for t in group:
                vectors = stored[t.entry.anime_id]
                content = vectors.get(CONTENT_VECTOR) if t.content else None
                points.append(
                    to_point(t.entry, t.fingerprint, vectors[DENSE_VECTOR], self.encoder, content, t.content)
                )
            self._write(points)

    def _embed_documents(self, todo: list[_Todo]) -> None:
        texts = [compose_document(t.entry) for t in todo]
        for group in self._embedded(texts):
            chosen = [(todo[position], vector) for position, vector in group]
            kept = self._stored([t for t, _ in chosen if t.content and not t.embed_content])
            points = []
            for t, vector in chosen:
                if t.embed_content:  # written with the content pending; the content side follows
                    points.append(to_point(t.entry, t.pending, vector, self.encoder))
                else:
                    content = kept[t.entry.anime_id].get(CONTENT_VECTOR) if t.content else None
                    points.append(to_point(t.entry, t.fingerprint, vector, self.encoder, content, t.content))
            self._write(points)
            self.documents_embedded += len(group)

    def _embed_contents(self, todo: list[_Todo]) -> None:
        texts = [t.content or "" for t in todo]
        for group in self._embedded(texts):
            chosen = [(todo[position], vector) for position, vector in group]
            stored = self._stored([t for t, _ in chosen])
            self._write(
                [
                    to_point(
                        t.entry,
                        t.fingerprint,
                        stored[t.entry.anime_id][DENSE_VECTOR],
                        self.encoder,
                        vector,
                        t.content,
                    )
                    for t, vector in chosen
                ]
            )
            self.contents_embedded += len(group)

    def _embedded(self, texts: list[str]) -> Iterator[list[tuple[int, list[float]]]]:
        batches = _timed(_embedded_batches(self.embedder, texts, self.batch_size), self.phases, "embed")
        for group in _regroup(batches, self.batch_size):
            yield group
            self._done += len(group)
            if self.progress is not None:
                self.progress(self._done, self._total)


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
