"""Ranking anime similar to a seed: story, genres and themes, studio, community recommendations, era, type.

Pure: the search service gathers candidates (the index's neighbours by each named vector, lexical neighbours
by the seed's rarer terms, the platforms' recommendations) and describes each as a ``Profile`` with its
cosine per named vector; ``rank_similar`` scores them by one ``SimilarityKind``'s weights and says why.

The kinds are a table (``KINDS``): a kind is a set of weights over the same signals, and a named vector
(``content``, the title ``text`` vector, the poster ``image`` vector) is just a key of ``vectors``; the
``visual`` kind is one more entry, whose candidates are the seed's nearest posters alone (``by_vector``).

Ranking is two steps so that the service reads the catalogue only for the few entries it shows:
``score_similar`` scores every candidate from what the index and the store hold in bulk, ``pick_distinct``
walks the best ones and keeps one entry per franchise (it needs each one's related-anime links).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from attrs import field, frozen

from anime_mcp.core.models import AnimeType
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.ranking import notability

# The audience a work was made for: two works for different audiences rarely feel alike.
DEMOGRAPHICS = frozenset({"shounen", "seinen", "shoujo", "josei", "kids"})
ERA_SCALE = 12.0  # years: a work 12 years apart keeps exp(-1) of the era signal
SHOWN_TERMS = 4  # how many shared terms a reason names (the rarest first)
STORY_REASON = 0.5  # the content cosine from which a story counts as similar in the reasons
IMAGE = "image"  # the poster vector's name (``ports.vector_index.IMAGE_VECTOR``)
MIN_RARE_DF = 5  # a term seen fewer times than this counts as rare as this (noise tags stay bounded)

# How alike two formats feel (symmetric; a missing pair is 0): a series is close to a web series, less to
# a film; an entry of unknown format (often a clip or a commercial) is a poor recommendation.
_SERIES = (AnimeType.TV, AnimeType.ONA, AnimeType.OVA)
_TYPE_AFFINITY: dict[frozenset[AnimeType], float] = {
    frozenset({AnimeType.TV, AnimeType.ONA}): 0.9,
    frozenset({AnimeType.TV, AnimeType.OVA}): 0.6,
    frozenset({AnimeType.ONA, AnimeType.OVA}): 0.7,
    frozenset({AnimeType.MOVIE, AnimeType.TV}): 0.5,
    frozenset({AnimeType.MOVIE, AnimeType.ONA}): 0.5,
    frozenset({AnimeType.MOVIE, AnimeType.OVA}): 0.6,
    frozenset({AnimeType.SPECIAL, AnimeType.OVA}): 0.4,
    frozenset({AnimeType.SPECIAL, AnimeType.TV}): 0.2,
}
_STORYLESS = frozenset(t for t in AnimeType if t not in (*_SERIES, AnimeType.MOVIE, AnimeType.SPECIAL))


def type_affinity(a: AnimeType, b: AnimeType) -> float:
    """1 for the same format, less for neighbouring ones, 0 for a music video against a series."""
    if a == b:
        return 0.3 if a in _STORYLESS else 1.0
    return _TYPE_AFFINITY.get(frozenset({a, b}), 0.0)


@frozen
class SimilarityWeights:
    """How much each signal counts for one kind. ``vectors``: named vector -> weight."""

    vectors: Mapping[str, float]
    terms: float  # rarity-weighted overlap of genres, themes and tags
    studio: float
    recommended: float  # the platforms' community recommendations
    demographic: float
    era: float
    type: float
    notability: float  # known on many platforms, well rated: what recommendation pages name
    studio_required: bool = False  # only candidates sharing a studio with the seed
    # the named vector that alone gathers the candidates (the seed and every candidate must have it)
    by_vector: str | None = None


class SimilarityKind:
    """The kinds ``find_similar_anime`` offers (``similarity_type``)."""

    OVERALL = "overall"
    SEMANTIC = "semantic"
    GENRE = "genre"
    STUDIO = "studio"
    VISUAL = "visual"


# Chosen on the judged set (benchmarks/similar_quality.py) as rules, never per seed: the story vector and
# the rare shared terms carry most of it; recommendations, where stored, outweigh both; a strong notability
# prior (known on many platforms, well rated) is what recommendation pages favour (0.6 -> 1.2 took the
# overall kind from 0.88/0.25 to 0.91/0.30 hit@10/precision@10).
KINDS: Mapping[str, SimilarityWeights] = {
    SimilarityKind.OVERALL: SimilarityWeights(
        vectors={"content": 1.0, "text": 0.2},
        terms=1.4,
        studio=0.15,
        recommended=1.5,
        demographic=0.2,
        era=0.25,
        type=0.5,
        notability=1.2,
    ),
    SimilarityKind.SEMANTIC: SimilarityWeights(
        vectors={"content": 2.0, "text": 0.2},
        terms=0.5,
        studio=0.0,
        recommended=0.5,
        demographic=0.1,
        era=0.1,
        type=0.4,
        notability=0.8,
    ),
    SimilarityKind.GENRE: SimilarityWeights(
        vectors={"content": 0.3},
        terms=2.5,
        studio=0.0,
        recommended=0.3,
        demographic=0.4,
        era=0.1,
        type=0.4,
        notability=0.8,
    ),
    SimilarityKind.STUDIO: SimilarityWeights(
        vectors={"content": 0.5, "text": 0.1},
        terms=1.0,
        studio=1.0,
        recommended=0.3,
        demographic=0.1,
        era=0.3,
        type=0.4,
        notability=0.8,
        studio_required=True,
    ),
    # The poster leads (art style, character design, palette); era and format keep a 1990s OVA and a
    # music video from outranking a series drawn alike, the terms and notability break near-ties.
    SimilarityKind.VISUAL: SimilarityWeights(
        vectors={IMAGE: 2.0},
        terms=0.3,
        studio=0.1,
        recommended=0.0,
        demographic=0.1,
        era=0.3,
        type=0.2,
        notability=0.2,
        by_vector=IMAGE,
    ),
}
DEFAULT_KIND = SimilarityKind.OVERALL


class Terms(frozenset[str]):
    """Stripped, case-folded terms, as a ``Profile`` holds them: converting them again is free (a profile
    copied with ``evolve`` for each seed does not normalise its terms again)."""


def _lower(values: Iterable[str]) -> frozenset[str]:
    if isinstance(values, Terms):
        return values
    return Terms(v.strip().casefold() for v in values if v.strip())


@frozen
class Recommendation:
    """Users of one platform recommending this candidate to fans of the seed."""

    source: str  # "anilist", "mal"
    votes: int


@frozen
class Profile:
    """What the ranking knows of one anime (the seed or a candidate)."""

    anime_id: str
    title: str
    type: AnimeType = AnimeType.UNKNOWN
    year: int | None = None
    terms: frozenset[str] = field(default=frozenset(), converter=_lower)  # genres, themes, tags
    studios: frozenset[str] = field(default=frozenset(), converter=_lower)
    platform_count: int = 0
    score: float | None = None  # the catalogue's 0-10 score
    # how close to the seed by each named vector (cosine); a vector the entry lacks is absent
    similarity: Mapping[str, float] = field(factory=dict)
    recommended: tuple[Recommendation, ...] = ()  # by the seed's platforms, for this candidate
    # its own pages and the pages it links to (sequels, side stories, ...), to tell one franchise apart
    pages: frozenset[PlatformId] = frozenset()
    links: frozenset[PlatformId] = frozenset()

    def same_franchise(self, other: Profile) -> bool:
        """Whether either links to the other (a sequel, a recap, the film of the series)."""
        return bool(self.links & other.pages or other.links & self.pages)


@frozen
class TermRarity:
    """Document frequencies of terms over a collection: a rare shared term says more than a common one."""

    counts: Mapping[str, int]
    total: int
    # each term's weight once computed (a value cache: the counts never change)
    _weights: dict[str, float] = field(factory=dict, init=False, eq=False, repr=False)

    @classmethod
    def of(cls, profiles: Iterable[Profile]) -> TermRarity:
        counts: dict[str, int] = {}
        total = 0
        for profile in profiles:
            total += 1
            for term in profile.terms:
                counts[term] = counts.get(term, 0) + 1
        return cls(counts, total)

    def weight(self, term: str) -> float:
        found = self._weights.get(term)
        if found is None:
            df = max(self.counts.get(term, 0), MIN_RARE_DF)
            found = math.log((self.total + 1) / (df + 1)) + 0.1 if self.total > df else 0.1
            self._weights[term] = found
        return found


@frozen
class SimilarHit:
    anime_id: str
    relevance: float
    reasons: tuple[str, ...]


@frozen
class Signals:
    """What one candidate shares with the seed, before weighting (the reasons are made from it)."""

    vectors: float
    terms: float
    shared: tuple[str, ...]
    recommended: float
    studios: tuple[str, ...]


@frozen
class Scored:
    """A candidate with its score by one kind; ``pick_distinct`` turns the best into ``SimilarHit``s."""

    profile: Profile
    score: float
    signals: Signals


def _range(values: Sequence[float]) -> tuple[float, float]:
    return (min(values), max(values)) if values else (0.0, 0.0)


def recommendation_strength(votes: int) -> float:
    """0-1, saturating: one vote is a hint, a hundred are a consensus."""
    return min(1.0, math.log1p(max(votes, 0)) / math.log1p(100))


def rank_similar(
    seed: Profile,
    candidates: Sequence[Profile],
    rarity: TermRarity,
    *,
    kind: str = DEFAULT_KIND,
    limit: int = 10,
    franchise: frozenset[str] = frozenset(),
    exclude_franchise: bool = True,
) -> list[SimilarHit]:
    """The ``limit`` candidates most like ``seed`` by ``kind``, best first, each with its reasons.

    ``franchise``: the seed's own franchise (internal ids): left out, or with ``exclude_franchise=False``
    represented by one entry at most. Of any other franchise only the best entry is kept (the others link
    to it), so a list of ten is ten different works."""
    scored = score_similar(
        seed, candidates, rarity, kind=kind, franchise=franchise, exclude_franchise=exclude_franchise
    )
    return pick_distinct(seed, scored, limit=limit, franchise=franchise, exclude_franchise=exclude_franchise)


def score_similar(
    seed: Profile,
    candidates: Sequence[Profile],
    rarity: TermRarity,
    *,
    kind: str = DEFAULT_KIND,
    franchise: frozenset[str] = frozenset(),
    exclude_franchise: bool = True,
) -> list[Scored]:
    """Every eligible candidate scored by ``kind``, best first (ties by id). The vector cosines are
    rescaled over the candidates, so the score depends on the whole pool: score it once, pick after."""
    weights = KINDS[kind]
    pool = [c for c in candidates if c.anime_id != seed.anime_id]
    if exclude_franchise:
        pool = [c for c in pool if c.anime_id not in franchise]
    if weights.studio_required:
        pool = [c for c in pool if c.studios & seed.studios]
    if weights.by_vector is not None:
        pool = [c for c in pool if weights.by_vector in c.similarity]
    ranges = {n: _range([c.similarity[n] for c in pool if n in c.similarity]) for n in weights.vectors}
    seed_weight = sum(rarity.weight(t) for t in seed.terms)
    scored: list[Scored] = []
    for candidate in pool:
        signals = _signals(
            seed, candidate=candidate, weights=weights, ranges=ranges, rarity=rarity, seed_weight=seed_weight
        )
        score = (
            signals.vectors
            + weights.terms * signals.terms
            + weights.recommended * signals.recommended
            + weights.studio * bool(signals.studios)
            + weights.demographic * _demographic(seed, candidate)
            + weights.era * _era(seed, candidate)
            + weights.type * (type_affinity(seed.type, candidate.type) - 1.0)
            + weights.notability * _notability(candidate)
        )
        scored.append(Scored(candidate, score, signals))
    scored.sort(key=lambda s: (-s.score, s.profile.anime_id))
    return scored


def pick_distinct(
    seed: Profile,
    scored: Sequence[Scored],
    *,
    limit: int,
    franchise: frozenset[str] = frozenset(),
    exclude_franchise: bool = True,
) -> list[SimilarHit]:
    """The first ``limit`` of ``scored`` (best first) that are different works: one entry per franchise
    (by the profiles' ``pages`` and ``links``), the seed's own left out or, with
    ``exclude_franchise=False``, one of it at most. Greedy in order, so the picks from a prefix of
    ``scored`` are the first picks from all of it."""
    hits: list[SimilarHit] = []
    kept: list[Profile] = []
    own_franchise_shown = False
    for item in scored:
        candidate = item.profile
        if any(candidate.same_franchise(k) for k in kept):
            continue  # another entry of a franchise already listed
        if candidate.anime_id in franchise or candidate.same_franchise(seed):
            if own_franchise_shown or exclude_franchise:
                continue
            own_franchise_shown = True
        kept.append(candidate)
        hits.append(
            SimilarHit(candidate.anime_id, round(item.score, 6), _reasons(seed, candidate, item.signals))
        )
        if len(hits) == limit:
            break
    return hits


def _signals(
    seed: Profile,
    *,
    candidate: Profile,
    weights: SimilarityWeights,
    ranges: Mapping[str, tuple[float, float]],
    rarity: TermRarity,
    seed_weight: float,
) -> Signals:
    vectors = 0.0
    for name, weight in weights.vectors.items():
        low, high = ranges[name]
        value = candidate.similarity.get(name)
        if value is not None and high > low:
            vectors += weight * (value - low) / (high - low)
    rare = rarity.weight
    shared = {t: rare(t) for t in seed.terms & candidate.terms}
    union_weight = seed_weight + sum(rare(t) for t in candidate.terms if t not in shared)
    terms = sum(shared.values()) / union_weight if union_weight > 0 else 0.0
    votes = sum(r.votes for r in candidate.recommended)
    return Signals(
        vectors=vectors,
        terms=terms,
        shared=tuple(sorted((t for t in shared if t not in DEMOGRAPHICS), key=lambda t: (-shared[t], t))),
        recommended=recommendation_strength(votes) if candidate.recommended else 0.0,
        studios=tuple(sorted(seed.studios & candidate.studios)) if candidate.studios else (),
    )


def _demographic(seed: Profile, candidate: Profile) -> float:
    ours, theirs = seed.terms & DEMOGRAPHICS, candidate.terms & DEMOGRAPHICS
    if not ours or not theirs:
        return 0.0
    return 1.0 if ours & theirs else -1.0


def _era(seed: Profile, candidate: Profile) -> float:
    if seed.year is None or candidate.year is None:
        return 0.0
    return math.exp(-abs(seed.year - candidate.year) / ERA_SCALE)


def _notability(candidate: Profile) -> float:
    rated = ((candidate.score or 5.0) - 5.0) / 4.0  # 9/10 -> 1, 5/10 and unrated -> 0
    return 0.5 * notability(candidate.platform_count) + 0.5 * max(min(rated, 1.0), -1.0)


_SOURCE_NAMES = {"anilist": "AniList", "mal": "MyAnimeList", "kitsu": "Kitsu"}


def _reasons(seed: Profile, candidate: Profile, signals: Signals) -> tuple[str, ...]:
    reasons: list[str] = []
    poster = candidate.similarity.get(IMAGE)  # measured for the visual kind only: what leads it
    if poster is not None:
        reasons.append(f"similar poster ({poster:.2f})")
    if signals.shared:
        reasons.append("shares: " + ", ".join(signals.shared[:SHOWN_TERMS]))
    for recommendation in sorted(candidate.recommended, key=lambda r: -r.votes):
        name = _SOURCE_NAMES.get(recommendation.source, recommendation.source)
        users = "user" if recommendation.votes == 1 else "users"
        reasons.append(f"recommended by {recommendation.votes} {name} {users}")
    story = candidate.similarity.get("content")
    if story is not None and story >= STORY_REASON:
        reasons.append(f"similar story ({story:.2f})")
    if signals.studios:
        reasons.append("same studio: " + ", ".join(signals.studios))
    audience = seed.terms & candidate.terms & DEMOGRAPHICS
    if audience:
        reasons.append("same audience: " + ", ".join(sorted(audience)))
    return tuple(reasons)
