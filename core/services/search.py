"""Search use cases: text search (hybrid, dense or sparse) and similar anime, with the same filters.

Hits come back as catalogue entries with their relevance; the index only ranks, the catalogue store is the
source of truth for what is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from attrs import evolve, frozen

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platforms
from anime_mcp.core.ranking import (
    HYBRID,
    SearchHit,
    fuse,
    hybrid_weights,
    rerank_by_notability,
    story_weights,
)
from anime_mcp.core.references import parse_source_url
from anime_mcp.core.search_errors import IndexModelMismatch, IndexNotBuilt, InvalidSearch
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.services.similar import SimilarCache, SimilarFinder, SimilarRequest, SimilarResult
from anime_mcp.core.similarity import DEFAULT_KIND, KINDS, TermRarity
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import Embedder, ModelInfo, SparseEncoder
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.vector_index import (
    CONTENT_AVGDL_SETTING,
    CONTENT_LEXICAL_VECTOR,
    CONTENT_VECTOR,
    IndexManifest,
    IndexQuery,
    VectorIndex,
)

MAX_LIMIT = 100
# The notability prior (core.ranking.rerank_by_notability) added to the cosine of similar-anime hits,
# re-ranking a pool of RERANK_POOL candidates (hybrid search has it inside core.ranking.fuse_weighted).
SIMILAR_NOTABILITY = 0.1
RERANK_POOL = 50
HYBRID_CANDIDATES = 50  # per stage; 30 loses recall on the judged queries, 100 or 200 gain nothing
FRANCHISE_LIMIT = 500  # related entries followed at most when excluding a franchise


@frozen
class SearchResult:
    entry: CatalogueEntry
    relevance: float


def check_compatible(manifest: IndexManifest, model: ModelInfo, encoder: SparseEncoder | None = None) -> None:
    """Refuse to search an index built with another model: the vectors would not be comparable."""
    spec = manifest.spec
    if (spec.model, spec.dimension) != (model.name, model.dimension):
        raise IndexModelMismatch(
            f"the search index was built with {spec.model} ({spec.dimension}-d vectors) but the configured "
            f"model is {model.name} ({model.dimension}-d, {model.path}); run `anime-mcp ingest --reindex` "
            f"to rebuild the index with {model.name}, or set ANIME_MCP_MODEL to {spec.model} again"
        )
    if encoder is not None and spec.sparse_encoder != encoder.version:
        raise IndexModelMismatch(
            f"the search index was built with sparse encoder {spec.sparse_encoder}, this version uses "
            f"{encoder.version}; run `anime-mcp ingest --reindex`"
        )


def story_encoder_for(manifest: IndexManifest, story: SparseEncoder | None) -> SparseEncoder | None:
    """The story sparse encoder to search the content lexical vector with, fitted as the index was; None
    when the generation has no such vector (built before it) or no encoder was given. An index built with
    another version of it is refused, as one of another title encoder is."""
    built_with = manifest.spec.content_lexical
    if built_with is None or story is None:
        return None
    if story.version != built_with:
        raise IndexModelMismatch(
            f"the search index was built with story encoder {built_with}, this version uses "
            f"{story.version}; run `anime-mcp ingest --reindex`"
        )
    avgdl = manifest.spec.settings.get(CONTENT_AVGDL_SETTING)
    if isinstance(avgdl, int | float):
        story.avgdl = float(avgdl)
    return story


class SearchService:
    """Everything ``search`` and ``similar`` need; the embedder is loaded only when a text is embedded."""

    def __init__(
        self,
        catalogue: Catalogue,
        index: VectorIndex | None,
        encoder: SparseEncoder,
        embedder: Callable[[], Embedder],
        model: ModelInfo,
        *,
        platforms: Platforms = BUILTIN_PLATFORMS,
        story_encoder: SparseEncoder | None = None,
    ) -> None:
        """``story_encoder``: the story sparse encoder (``ports.embedder.SparseEncoder``) the index's content
        lexical vectors were built with; without it (or in an index without them) stories are searched by
        the content vector alone."""
        if index is None:
            raise IndexNotBuilt(
                "no search index yet; run `anime-mcp ingest` (it embeds and indexes the catalogue)"
            )
        check_compatible(index.manifest, model, encoder)
        avgdl = index.manifest.spec.settings.get("avgdl")
        if isinstance(avgdl, int | float):
            encoder.avgdl = float(avgdl)
        self.catalogue = catalogue
        self.index = index
        self.encoder = encoder
        self.story_encoder = story_encoder_for(index.manifest, story_encoder)
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self.model = model
        self.platforms = platforms
        self._term_rarity: TermRarity | None = None
        self._similar = SimilarCache()  # what similar-anime reads once per snapshot

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._embedder_factory()
        return self._embedder

    def search(
        self,
        text: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        mode: SearchMode = SearchMode.HYBRID,
        candidates: int = HYBRID_CANDIDATES,
    ) -> list[SearchResult]:
        text = " ".join(text.split())
        if not text:
            raise InvalidSearch("the search text is empty")
        _check_limit(limit)
        filters = filters or SearchFilters()
        if mode is SearchMode.DENSE:
            query = IndexQuery(dense=self.embedder.embed_query(text), filters=filters, limit=limit)
            return self._hydrate(self.index.search(query))
        sparse = self.encoder.encode_query(text)
        if mode is SearchMode.SPARSE:
            query = IndexQuery(sparse=sparse, filters=filters, limit=limit)
            return self._hydrate(self.index.search(query))
        pool = max(candidates, limit)
        vector = self.embedder.embed_query(text)
        dense_hits = self.index.search(IndexQuery(dense=vector, filters=filters, limit=pool))
        sparse_hits = (
            self.index.search(IndexQuery(sparse=sparse, filters=filters, limit=pool)) if len(sparse) else []
        )
        if not self.index.manifest.spec.has_content:  # built before the content vector: titles and tags
            return self._hydrate(fuse(dense_hits, sparse_hits, (), HYBRID)[:limit])
        content_hits = self.index.search(
            IndexQuery(dense=vector, using=CONTENT_VECTOR, filters=filters, limit=pool)
        )
        words = self.story_encoder is not None
        if mode is SearchMode.STORY:
            weights = story_weights(story_words=words)
        else:
            weights = hybrid_weights(text, story_words=words)
        story_hits = self._story_hits(text, filters, pool) if words and weights.story > 0 else []
        return self._hydrate(fuse(dense_hits, sparse_hits, content_hits, weights, story_hits)[:limit])

    def _story_hits(self, text: str, filters: SearchFilters, pool: int) -> list[SearchHit]:
        """The entries whose story shares the most telling words with ``text`` (content lexical vector)."""
        if self.story_encoder is None:
            return []
        words = self.story_encoder.encode_query(text)
        if not len(words):
            return []
        query = IndexQuery(sparse=words, sparse_using=CONTENT_LEXICAL_VECTOR, filters=filters, limit=pool)
        return self.index.search(query)

    def similar(
        self,
        reference: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        exclude_franchise: bool = True,
        kind: str = DEFAULT_KIND,
        knowledge: EnrichmentStore | None = None,
    ) -> tuple[CatalogueEntry, list[SimilarResult]]:
        """Anime like REFERENCE by ``kind`` (``core.similarity.KINDS``), never itself; its franchise left out
        (or, with ``exclude_franchise=False``, one entry of it at most). ``knowledge``: the enrichment store,
        for genres and themes, their rarity and the platforms' recommendations."""
        _check_limit(limit)
        if kind not in KINDS:
            raise InvalidSearch(f"unknown similarity type {kind!r}; one of: {', '.join(KINDS)}")
        entry = lookup(self.catalogue, reference, self.platforms).entry
        finder = SimilarFinder(
            catalogue=self.catalogue,
            index=self.index,
            encoder=self.encoder,
            platforms=self.platforms,
            knowledge=knowledge,
            rarity=lambda: self._rarity(knowledge),
            cache=self._similar,
        )
        request = SimilarRequest(
            seed=entry,
            filters=filters or SearchFilters(),
            kind=kind,
            limit=limit,
            franchise=self._similar.franchise(
                entry.anime_id, lambda: franchise(entry, self.catalogue, platforms=self.platforms)
            ),
            exclude_franchise=exclude_franchise,
        )
        return entry, finder.find(request)

    def similar_by_vector(
        self, reference: str, filters: SearchFilters | None = None, *, limit: int = 10
    ) -> tuple[CatalogueEntry, list[SearchResult]]:
        """The former ranking, kept as the benchmark's baseline: nearest to the stored title-document vector
        plus the notability prior."""
        _check_limit(limit)
        entry = lookup(self.catalogue, reference, self.platforms).entry
        vector = self.index.dense_vector(entry.anime_id)
        if vector is None:
            raise IndexNotBuilt(f"{entry.title} ({entry.anime_id}) is not in the search index")
        base = filters or SearchFilters()
        query_filters = evolve(base, exclude_ids=base.exclude_ids | {entry.anime_id})
        hits = self.index.search(
            IndexQuery(dense=vector, filters=query_filters, limit=max(limit, RERANK_POOL))
        )
        return entry, self._hydrate(rerank_by_notability(hits, SIMILAR_NOTABILITY)[:limit])

    def _rarity(self, knowledge: EnrichmentStore | None) -> TermRarity | None:
        """How rare each genre and theme is over the enrichment store, counted once per service (None
        without stored terms: the ranking then counts over its candidates)."""
        if knowledge is None:
            return None
        if self._term_rarity is None:
            counts, total = knowledge.term_counts()
            self._term_rarity = TermRarity(counts, total)
        return self._term_rarity if self._term_rarity.total else None

    def _hydrate(self, hits: Iterable[SearchHit]) -> list[SearchResult]:
        results = []
        for hit in hits:
            entry = self.catalogue.by_anime_id(hit.anime_id)
            if entry is not None:  # an index a little older than the store may name a removed entry
                results.append(SearchResult(entry, hit.relevance))
        return results


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")


def franchise(
    entry: CatalogueEntry,
    catalogue: Catalogue,
    *,
    limit: int = FRANCHISE_LIMIT,
    platforms: Platforms = BUILTIN_PLATFORMS,
) -> set[str]:
    """Internal ids of the entries reachable through related-anime links (sequels, side stories, ...)."""
    found: set[str] = set()
    queue = list(entry.related_anime)
    visited_urls: set[str] = set()
    while queue and len(found) < limit:
        url = queue.pop()
        if url in visited_urls:
            continue
        visited_urls.add(url)
        try:
            related = catalogue.by_platform_id(parse_source_url(url, platforms))
        except NotAnAnimeReference:
            continue
        if related is None or related.anime_id in found or related.anime_id == entry.anime_id:
            continue
        found.add(related.anime_id)
        queue.extend(related.related_anime)
    return found
