"""The similar-anime use case: gather candidates from the index and the enrichment store, rank them with
``core.similarity``.

Candidates come from the seed's neighbours by each named vector the kind weighs (the story ``content``
vector, the title ``text`` vector), from a lexical search of its rarest genres and themes, from a studio
filter (``studio`` kind) and from the platforms' community recommendations stored by enrichment; the
``visual`` kind takes the seed's nearest posters alone. Every candidate is then compared with the seed on
every signal, so one found by its genres still has its story similarity, and vice versa.

Each step reads in bulk (a few hundred candidates): their facts and missing vectors from the index in one
call each, their genres and themes from the store in one query. The catalogue is read only for the entries
walked to pick the answer (one per franchise needs their related-anime links), a few more than ``limit``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from attrs import evolve, frozen

from anime_mcp.core.enriched import GENRES, THEMES, EnrichedAnime
from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId, Platforms
from anime_mcp.core.references import IdReference, parse_reference, parse_source_url
from anime_mcp.core.search_errors import IndexNotBuilt, InvalidSearch
from anime_mcp.core.similarity import (
    KINDS,
    Profile,
    Recommendation,
    Scored,
    SimilarHit,
    TermRarity,
    pick_distinct,
    score_similar,
)
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.embedder import SparseEncoder
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.vector_index import CONTENT_VECTOR, DENSE_VECTOR, IndexQuery, VectorIndex

# Pool sizes measured on the judged set (benchmarks/similar_quality.py, docs/benchmarks.md).
VECTOR_POOLS = {CONTENT_VECTOR: 150, DENSE_VECTOR: 150}  # neighbours per named vector
LEXICAL_POOL = 60  # neighbours by the seed's rare terms
LEXICAL_TERMS = 6  # how many of the seed's rarest terms the lexical search asks for
VISUAL_POOL = 100  # nearest posters (the visual kind's only candidates)
PICK_MARGIN = 5  # entries read beyond ``limit`` at first, for those another pick's franchise skips
CACHED_PROFILES = 20_000  # candidate profiles (and franchises) kept per snapshot, emptied when full
POOL_VECTORS = (CONTENT_VECTOR, DENSE_VECTOR)  # always searched: a candidate source even at weight 0
TERM_FIELDS = (GENRES, THEMES)  # what the store gives of each candidate


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


@frozen
class _Pool:
    """The candidates gathered: cosine by each named vector searched, the seed's vectors, recommendations."""

    cosines: dict[str, dict[str, float]]
    seed_vectors: dict[str, list[float]]
    ids: set[str]
    recommended: dict[str, tuple[Recommendation, ...]]


class SimilarCache:
    """What similar-anime reads once per snapshot (kept by the search service): the candidates as the index
    and the store describe them, and each seed's franchise. The index's facts and the catalogue's links do
    not change within a snapshot; the store's genres and themes are counted once per snapshot already
    (term rarity). Popular anime are everyone's candidates, so most reads are hits."""

    def __init__(self, size: int = CACHED_PROFILES) -> None:
        self.size = size
        self._profiles: dict[str, Profile] = {}
        self._knowledge: EnrichmentStore | None = None  # the store the profiles' terms were read from
        self._franchises: dict[str, frozenset[str]] = {}

    def known(self, anime_ids: Iterable[str], knowledge: EnrichmentStore | None) -> dict[str, Profile]:
        """The profiles read before from the index and ``knowledge`` (none when the store differs)."""
        if knowledge is not self._knowledge:
            self._profiles, self._knowledge = {}, knowledge
        return {a: found for a in anime_ids if (found := self._profiles.get(a)) is not None}

    def keep(self, profiles: Mapping[str, Profile]) -> None:
        if len(self._profiles) + len(profiles) > self.size:
            self._profiles = {}
        self._profiles.update(profiles)

    def franchise(self, anime_id: str, read: Callable[[], Iterable[str]]) -> frozenset[str]:
        """The franchise of ``anime_id``, ``read()`` the first time."""
        found = self._franchises.get(anime_id)
        if found is None:
            if len(self._franchises) >= self.size:
                self._franchises = {}
            found = self._franchises[anime_id] = frozenset(read())
        return found


class SimilarFinder:
    """One ranking run over the ports; ``rarity`` gives the term rarity and ``cache`` what was read before
    (both kept by the caller per snapshot)."""

    def __init__(
        self,
        *,
        catalogue: Catalogue,
        index: VectorIndex,
        encoder: SparseEncoder,
        platforms: Platforms,
        knowledge: EnrichmentStore | None,
        rarity: Callable[[], TermRarity | None],
        cache: SimilarCache | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.index = index
        self.encoder = encoder
        self.platforms = platforms
        self.knowledge = knowledge
        self.rarity = rarity
        self.cache = cache or SimilarCache()
        self._entries: dict[str, CatalogueEntry | None] = {}  # read from the catalogue in this run

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
        enriched = self.knowledge.get(seed.anime_id) if self.knowledge is not None else None
        seed_profile = _seed_profile(seed, enriched, self.platforms)
        rarity = self.rarity()
        if weights.by_vector is not None:
            pool = self._nearest(seed, weights.by_vector, filters)
        else:
            pool = self._gathered(seed, seed_profile.terms, enriched, rarity, filters)
        bare = self._bare_profiles(pool.ids)
        weighted = {n: v for n, v in pool.seed_vectors.items() if weights.vectors.get(n, 0.0) > 0}
        self._complete(pool.cosines, weighted, bare)
        profiles = [
            evolve(
                profile,
                similarity={n: found[anime_id] for n, found in pool.cosines.items() if anime_id in found},
                recommended=pool.recommended.get(anime_id, ()),
            )
            for anime_id, profile in bare.items()
        ]
        scored = score_similar(
            seed_profile,
            profiles,
            rarity or TermRarity.of([seed_profile, *profiles]),
            kind=request.kind,
            franchise=request.franchise,
            exclude_franchise=request.exclude_franchise,
        )
        return [
            SimilarResult(entry, hit.relevance, hit.reasons)
            for hit in self._pick(seed_profile, scored, request)
            if (entry := self._entries.get(hit.anime_id)) is not None
        ]

    def _nearest(self, seed: CatalogueEntry, name: str, filters: SearchFilters) -> _Pool:
        """The seed's nearest neighbours by one named vector (the poster), the only candidates."""
        vector = self.index.dense_vector(seed.anime_id, using=name)
        if vector is None:
            raise IndexNotBuilt(
                f"{seed.title} ({seed.anime_id}) has no {name} vector: no posters are indexed yet (run "
                "`anime-mcp index-images`, it downloads and embeds each anime's picture) or its picture "
                "was missing or broken; try another similarity_type"
            )
        hits = self.index.search(IndexQuery(dense=vector, using=name, filters=filters, limit=VISUAL_POOL))
        cosines = {h.anime_id: h.relevance for h in hits}
        return _Pool({name: cosines}, {name: vector}, set(cosines), {})

    def _gathered(
        self,
        seed: CatalogueEntry,
        seed_terms: frozenset[str],
        enriched: EnrichedAnime | None,
        rarity: TermRarity | None,
        filters: SearchFilters,
    ) -> _Pool:
        """Neighbours by each named vector and by the rarest terms, and the recommended entries."""
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
        cosines: dict[str, dict[str, float]] = {}
        for name, vector in seed_vectors.items():
            query = IndexQuery(dense=vector, using=name, filters=filters, limit=VECTOR_POOLS[name])
            cosines[name] = {h.anime_id: h.relevance for h in self.index.search(query)}
        ids = {anime_id for found in cosines.values() for anime_id in found}
        ids |= self._lexical(seed_terms, rarity, filters)
        recommended = self._recommended(enriched, filters)
        ids |= set(recommended)
        return _Pool(cosines, seed_vectors, ids, recommended)

    def _bare_profiles(self, anime_ids: Collection[str]) -> dict[str, Profile]:
        """The candidates' profiles before comparison: their facts from the index and their genres and
        themes from the store, one bulk read each for those not read before in this snapshot."""
        known = self.cache.known(anime_ids, self.knowledge)
        missing = sorted(a for a in anime_ids if a not in known)
        if not missing:
            return known
        facts = self.index.facts(missing)
        terms = self.knowledge.get_many(list(facts), TERM_FIELDS) if self.knowledge and facts else {}
        read = {anime_id: _profile(found, terms.get(anime_id)) for anime_id, found in facts.items()}
        self.cache.keep(read)
        return {**known, **read}

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
            self._entries[entry.anime_id] = entry
            found.setdefault(entry.anime_id, []).append(Recommendation(source, votes))
        return {anime_id: tuple(items) for anime_id, items in found.items()}

    def _complete(
        self,
        cosines: dict[str, dict[str, float]],
        seed_vectors: dict[str, list[float]],
        candidates: Collection[str],
    ) -> None:
        """The cosine by each vector for candidates another source found (absent: the entry lacks it)."""
        for name, seed_vector in seed_vectors.items():
            found = cosines[name]
            missing = [anime_id for anime_id in candidates if anime_id not in found]
            if missing:
                found.update(self.index.scores(seed_vector, missing, using=name))

    def _pick(self, seed: Profile, scored: Sequence[Scored], request: SimilarRequest) -> list[SimilarHit]:
        """One entry per franchise from the best: reads the catalogue (related-anime links) for a window of
        the best candidates, widened while franchises already listed leave it short of ``limit``."""
        window = request.limit + PICK_MARGIN
        while True:
            head = [linked for item in scored[:window] if (linked := self._linked(item)) is not None]
            hits = pick_distinct(
                seed,
                head,
                limit=request.limit,
                franchise=request.franchise,
                exclude_franchise=request.exclude_franchise,
            )
            if len(hits) >= request.limit or window >= len(scored):
                return hits
            window *= 2

    def _linked(self, item: Scored) -> Scored | None:
        """``item`` with its own pages and related-anime links (None: gone from the catalogue)."""
        anime_id = item.profile.anime_id
        if anime_id not in self._entries:
            self._entries[anime_id] = self.catalogue.by_anime_id(anime_id)
        entry = self._entries[anime_id]
        if entry is None:
            return None
        pages, links = _pages(entry, self.platforms)
        return evolve(item, profile=evolve(item.profile, pages=pages, links=links))


def _terms(tags: Iterable[str], enriched: EnrichedAnime | None) -> frozenset[str]:
    terms: Iterable[str] = (*tags, *(enriched.terms() if enriched else ()))
    return frozenset(t.strip().casefold() for t in terms if t.strip())


Pages = frozenset[PlatformId]


def _pages(entry: CatalogueEntry, platforms: Platforms) -> tuple[Pages, Pages]:
    """The entry's own pages and the pages it links to (sequels, side stories, ...)."""
    links = set()
    for url in entry.related_anime:
        try:
            links.add(parse_source_url(url, platforms))
        except NotAnAnimeReference:
            continue
    return frozenset(entry.sources), frozenset(links)


def _seed_profile(entry: CatalogueEntry, enriched: EnrichedAnime | None, platforms: Platforms) -> Profile:
    pages, links = _pages(entry, platforms)
    return Profile(
        anime_id=entry.anime_id,
        title=entry.title,
        type=entry.type,
        year=entry.season.year,
        terms=_terms(entry.tags, enriched),
        studios=frozenset(entry.studios),
        platform_count=len(entry.ids()),
        score=entry.score.arithmetic_mean if entry.score is not None else None,
        pages=pages,
        links=links,
    )


def _profile(facts: IndexedFacts, enriched: EnrichedAnime | None) -> Profile:
    """A candidate as the index and the store know it (its cosines and recommendations are added per
    seed, its pages and links when it is picked)."""
    return Profile(
        anime_id=facts.anime_id,
        title=facts.title,
        type=facts.type,
        year=facts.year,
        terms=_terms(facts.tags, enriched),
        studios=frozenset(facts.studios),
        platform_count=len(facts.ids),
        score=facts.score,
    )
