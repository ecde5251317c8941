"""Ranking anime similar to a seed: story, genres and themes, studio, community recommendations, era, type.

Pure: the search service gathers candidates (the index's neighbours by each named vector, lexical neighbours
by the seed's rarer terms, the platforms' recommendations) and describes each as a ``Profile`` with its
cosine per named vector; ``rank_similar`` scores them by one ``SimilarityKind``'s weights and says why.

The kinds are a table (``KINDS``): a kind is a set of weights over the same signals, and a named vector
(``content``, the title ``text`` vector, later ``image``) is just a key of ``vectors``, so a ``visual`` kind
is one more entry once the index has image vectors.
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


class SimilarityKind:
    """The kinds ``find_similar_anime`` offers (``similarity_type``)."""

    OVERALL = "overall"
    SEMANTIC = "semantic"
    GENRE = "genre"
    STUDIO = "studio"


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
}
DEFAULT_KIND = SimilarityKind.OVERALL


def _lower(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().casefold() for v in values if v.strip())


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
        df = max(self.counts.get(term, 0), MIN_RARE_DF)
        return math.log((self.total + 1) / (df + 1)) + 0.1 if self.total > df else 0.1


@frozen
class SimilarHit:
    anime_id: str
    relevance: float
    reasons: tuple[str, ...]


@frozen
class _Signals:
    vectors: float
    terms: float
    shared: tuple[str, ...]
    recommended: float
    studios: tuple[str, ...]


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
    weights = KINDS[kind]
    pool = [c for c in candidates if c.anime_id != seed.anime_id]
    if exclude_franchise:
        pool = [c for c in pool if c.anime_id not in franchise]
    if weights.studio_required:
        pool = [c for c in pool if c.studios & seed.studios]
    ranges = {n: _range([c.similarity[n] for c in pool if n in c.similarity]) for n in weights.vectors}
    seed_weight = sum(rarity.weight(t) for t in seed.terms)
    scored: list[tuple[float, Profile, _Signals]] = []
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
        scored.append((score, candidate, signals))
    scored.sort(key=lambda s: (-s[0], s[1].anime_id))
    hits: list[SimilarHit] = []
    kept: list[Profile] = []
    own_franchise_shown = False
    for score, candidate, signals in scored:
        if any(candidate.same_franchise(k) for k in kept):
            continue  # another entry of a franchise already listed
        if candidate.anime_id in franchise or candidate.same_franchise(seed):
            if own_franchise_shown or exclude_franchise:
                continue
            own_franchise_shown = True
        kept.append(candidate)
        hits.append(SimilarHit(candidate.anime_id, round(score, 6), _reasons(seed, candidate, signals)))
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
) -> _Signals:
    vectors = 0.0
    for name, weight in weights.vectors.items():
        low, high = ranges[name]
        value = candidate.similarity.get(name)
        if value is not None and high > low:
            vectors += weight * (value - low) / (high - low)
    shared = seed.terms & candidate.terms
    union_weight = seed_weight + sum(rarity.weight(t) for t in candidate.terms - seed.terms)
    terms = sum(rarity.weight(t) for t in shared) / union_weight if union_weight > 0 else 0.0
    votes = sum(r.votes for r in candidate.recommended)
    return _Signals(
        vectors=vectors,
        terms=terms,
        shared=tuple(sorted(shared - DEMOGRAPHICS, key=lambda t: (-rarity.weight(t), t))),
        recommended=recommendation_strength(votes) if candidate.recommended else 0.0,
        studios=tuple(sorted(seed.studios & candidate.studios)),
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


def _reasons(seed: Profile, candidate: Profile, signals: _Signals) -> tuple[str, ...]:
    reasons: list[str] = []
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
