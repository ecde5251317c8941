"""The similar-anime use case: gather candidates from the index and the enrichment store, rank them with
``core.similarity``.

Candidates come from the seed's neighbours by each named vector the kind weighs (the story ``content``
vector, the title ``text`` vector), from a lexical search of its rarest genres and themes, from a studio
filter (``studio`` kind) and from the platforms' community recommendations stored by enrichment. Every
candidate is then compared with the seed on every signal, so one found by its genres still has its story
similarity, and vice versa.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Sequence

from attrs import evolve, frozen

from anime_mcp.core.enriched import EnrichedAnime
from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platforms
from anime_mcp.core.references import IdReference, parse_reference, parse_source_url
from anime_mcp.core.search_errors import IndexNotBuilt, InvalidSearch
from anime_mcp.core.similarity import KINDS, Profile, Recommendation, TermRarity, rank_similar
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import SparseEncoder
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.vector_index import CONTENT_VECTOR, DENSE_VECTOR, IndexQuery, VectorIndex

VECTOR_POOL = 150  # neighbours per named vector
LEXICAL_POOL = 60  # neighbours by the seed's rare terms
LEXICAL_TERMS = 6  # how many of the seed's rarest terms the lexical search asks for
POOL_VECTORS = (CONTENT_VECTOR, DENSE_VECTOR)  # always searched: a candidate source even at weight 0


@frozen
class SimilarResult:
    entry: CatalogueEntry
    relevance: float
    reasons: tuple[str, ...] = ()


@frozen
class SimilarRequest:
    seed: CatalogueEntry
    filters: SearchFilters
    kind: str
    limit: int
    franchise: frozenset[str]
    exclude_franchise: bool


class SimilarFinder:
    """One ranking run over the ports; ``rarity`` gives the term rarity (cached by the caller)."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        index: VectorIndex,
        encoder: SparseEncoder,
        platforms: Platforms,
        knowledge: EnrichmentStore | None,
        rarity: Callable[[], TermRarity | None],
    ) -> None:
        self.catalogue = catalogue
        self.index = index
        self.encoder = encoder
        self.platforms = platforms
        self.knowledge = knowledge
        self.rarity = rarity

    def find(self, request: SimilarRequest) -> list[SimilarResult]:
        seed = request.seed
        weights = KINDS[request.kind]
        filters = evolve(request.filters, exclude_ids=request.filters.exclude_ids | {seed.anime_id})
        if weights.studio_required:
            if not seed.studios:
                raise InvalidSearch(
                    f"{seed.title} ({seed.anime_id}) has no studio in the catalogue; try another "
                    "similarity_type"
                )
            if not filters.studios:
                filters = evolve(filters, studios=frozenset(seed.studios))
        seed_vectors = {
            name: vector
            for name in POOL_VECTORS
            if (vector := self.index.dense_vector(seed.anime_id, using=name)) is not None
        }
        if not seed_vectors:
            raise IndexNotBuilt(
                f"{seed.title} ({seed.anime_id}) is not in the search index; run `anime-mcp ingest` to "
                "update it"
            )
        enriched = self._enriched([seed.anime_id]).get(seed.anime_id)
        cosines: dict[str, dict[str, float]] = {}
        for name, vector in seed_vectors.items():
            query = IndexQuery(dense=vector, using=name, filters=filters, limit=VECTOR_POOL)
            cosines[name] = {h.anime_id: h.relevance for h in self.index.search(query)}
        seed_terms = _terms(seed, enriched)
        rarity = self.rarity()
        ids = {anime_id for found in cosines.values() for anime_id in found}
        ids |= self._lexical(seed_terms, rarity, filters)
        recommended = self._recommended(enriched, filters)
        ids |= set(recommended)
        entries = {a: e for a in sorted(ids) if (e := self.catalogue.by_anime_id(a)) is not None}
        knowledge = self._enriched(list(entries))
        weighted = {n: v for n, v in seed_vectors.items() if weights.vectors.get(n, 0.0) > 0}
        self._complete(cosines, weighted, entries)
        profiles = [
            _profile(
                entry,
                knowledge.get(anime_id),
                {name: found[anime_id] for name, found in cosines.items() if anime_id in found},
                recommended.get(anime_id, ()),
                self.platforms,
            )
            for anime_id, entry in entries.items()
        ]
        seed_profile = _profile(seed, enriched, {}, (), self.platforms)
        hits = rank_similar(
            seed_profile,
            profiles,
            rarity or TermRarity.of([seed_profile, *profiles]),
            kind=request.kind,
            limit=request.limit,
            franchise=request.franchise,
            exclude_franchise=request.exclude_franchise,
        )
        return [SimilarResult(entries[h.anime_id], h.relevance, h.reasons) for h in hits]

    def _enriched(self, anime_ids: Sequence[str]) -> dict[str, EnrichedAnime]:
        if self.knowledge is None:
            return {}
        found = {}
        for anime_id in anime_ids:
            anime = self.knowledge.get(anime_id)
            if anime is not None:
                found[anime_id] = anime
        return found

    def _lexical(self, terms: frozenset[str], rarity: TermRarity | None, filters: SearchFilters) -> set[str]:
        """Neighbours by the seed's rarest terms (the lexical index holds the tags)."""
        if not terms:
            return set()
        rarest = sorted(terms, key=lambda t: (-(rarity.weight(t) if rarity else 0.0), t))[:LEXICAL_TERMS]
        sparse = self.encoder.encode_query(" ".join(rarest))
        if not len(sparse):
            return set()
        hits = self.index.search(IndexQuery(sparse=sparse, filters=filters, limit=LEXICAL_POOL))
        return {h.anime_id for h in hits}

    def _recommended(
        self, enriched: EnrichedAnime | None, filters: SearchFilters
    ) -> dict[str, tuple[Recommendation, ...]]:
        """Catalogue entries the platforms' users recommend for the seed (those the filters allow)."""
        found: dict[str, list[Recommendation]] = {}
        for source, reference, votes in enriched.recommended() if enriched else ():
            try:
                parsed = parse_reference(reference, self.platforms)
            except NotAnAnimeReference:
                continue
            if not isinstance(parsed, IdReference) or votes <= 0:
                continue
            entry = self.catalogue.by_platform_id(parsed.platform_id)
            if entry is None or not filters.matches(entry):
                continue
            found.setdefault(entry.anime_id, []).append(Recommendation(source, votes))
        return {anime_id: tuple(items) for anime_id, items in found.items()}

    def _complete(
        self,
        cosines: dict[str, dict[str, float]],
        seed_vectors: dict[str, list[float]],
        entries: dict[str, CatalogueEntry],
    ) -> None:
        """The cosine by each vector for candidates another source found (absent: the entry lacks it)."""
        for name, seed_vector in seed_vectors.items():
            found = cosines[name]
            for anime_id in entries:
                if anime_id not in found:
                    vector = self.index.dense_vector(anime_id, using=name)
                    if vector is not None:
                        found[anime_id] = cosine(seed_vector, vector)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    norm = math.sqrt(sum(map(operator.mul, a, a)) * sum(map(operator.mul, b, b)))
    return sum(map(operator.mul, a, b)) / norm if norm else 0.0


def _terms(entry: CatalogueEntry, enriched: EnrichedAnime | None) -> frozenset[str]:
    terms: Iterable[str] = (*entry.tags, *(enriched.terms() if enriched else ()))
    return frozenset(t.strip().casefold() for t in terms if t.strip())


def _profile(
    entry: CatalogueEntry,
    enriched: EnrichedAnime | None,
    similarity: dict[str, float],
    recommended: tuple[Recommendation, ...],
    platforms: Platforms,
) -> Profile:
    links = set()
    for url in entry.related_anime:
        try:
            links.add(parse_source_url(url, platforms))
        except NotAnAnimeReference:
            continue
    score = entry.score.arithmetic_mean if entry.score is not None else None
    return Profile(
        anime_id=entry.anime_id,
        title=entry.title,
        type=entry.type,
        year=entry.season.year,
        terms=_terms(entry, enriched),
        studios=frozenset(entry.studios),
        platform_count=len(entry.ids()),
        score=score,
        similarity=similarity,
        recommended=recommended,
        pages=frozenset(entry.sources),
        links=frozenset(links),
    )
