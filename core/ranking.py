"""Ranking what the index found: hybrid fusion of the lexical, semantic, content and story-word sides, and
the notability prior.

``fuse_weighted`` is the default hybrid ranking (the search service asks the index for each side alone and
fuses here, with the weights of ``HYBRID`` or, for a story described, ``STORY``);
``reciprocal_rank_fusion`` is the reference for the engines' own rank fusion (``fusion="rrf"``
of an ``IndexQuery``), which the contract tests hold both index adapters to.
"""

from __future__ import annotations

from collections.abc import Sequence

from attrs import evolve, frozen


@frozen
class SearchHit:
    """One entry the index found: its id, its relevance, and the facts ranking needs."""

    anime_id: str
    relevance: float
    platform_count: int = 0  # on how many platforms the anime has a page


@frozen
class FusionWeights:
    """How much each side counts in ``fuse_weighted``."""

    sparse: float = 1.0  # lexical: titles, tags, studios
    dense: float = 0.2  # the title document's meaning
    content: float = 0.0  # the story: synopsis, genres and themes (entries with a synopsis only)
    notability: float = 0.35
    story: float = 0.0  # the story's words: BM25 over the same text (the content lexical vector)


# Chosen on the judged title and story queries (benchmarks/search_quality.py, benchmarks/story_search.py):
# no single set serves both (content 0.5 for everyone cost title queries 0.06 MRR and still missed most
# stories), so hybrid search weighs by what the query looks like. Names, tags and studios are short (the
# judged ones: 1-5 words); a story told in a sentence is long (12-24 words).
# A story is found mostly by its words (the story lexical side alone: recall@10 0.84 on the judged stories,
# the MiniLM content vector alone 0.6), with the content vector and the titles as tie-breakers; weights over a
# broad plateau (story 0.5-1.5 with content 0.2-0.6 all within 0.01 MRR), the middle of it taken.
DESCRIPTION_WORDS = 8  # a query this long describes a story
HYBRID = FusionWeights(content=0.2)
STORY = FusionWeights(sparse=0.2, dense=0.1, content=0.4, notability=0.5, story=1.0)
# for an index built before the story's words were (no content lexical vector): the content vector leads
STORY_WITHOUT_WORDS = FusionWeights(sparse=0.3, dense=0.2, content=1.0, notability=0.2)


def story_weights(*, story_words: bool = True) -> FusionWeights:
    """The weights of a story search: ``STORY``, or ``STORY_WITHOUT_WORDS`` for an index without them."""
    return STORY if story_words else STORY_WITHOUT_WORDS


def hybrid_weights(text: str, *, story_words: bool = True) -> FusionWeights:
    """The weights hybrid search uses for ``text``: a description is searched as a story, a name as titles
    and tags (with a little of the story, for tag-like queries). ``story_words``: whether the index has the
    content lexical vector."""
    if len(text.split()) >= DESCRIPTION_WORDS:
        return story_weights(story_words=story_words)
    return HYBRID


def notability(platform_count: int) -> float:
    """0.1-1.0: on how many platforms an anime has a page (a proxy for how widely it is known)."""
    return min(max(platform_count, 1), 10) / 10


def rerank_by_notability(hits: Sequence[SearchHit], weight: float) -> list[SearchHit]:
    """Add ``weight * notability`` to each hit's relevance and re-sort (stable for equal scores).

    Among similar matches the widely known anime comes first ("high school volleyball" -> Haikyuu!!), while a
    clear title match keeps its lead: the prior is added to the fused score, not ranked against it.
    """
    if weight <= 0:
        return list(hits)
    boosted = [evolve(h, relevance=h.relevance + weight * notability(h.platform_count)) for h in hits]
    return sorted(boosted, key=lambda h: -h.relevance)


def fuse_weighted(
    dense: Sequence[SearchHit],
    sparse: Sequence[SearchHit],
    content: Sequence[SearchHit] = (),
    story: Sequence[SearchHit] = (),
    *,
    dense_weight: float = 0.2,
    sparse_weight: float = 1.0,
    content_weight: float = 0.0,
    notability_weight: float = 0.35,
    story_weight: float = 0.0,
) -> list[SearchHit]:
    """Hybrid ranking: normalised lexical, semantic and content scores, weighted, plus the notability prior.

    - lexical and story words: score / best score of that side, so the clearest match is 1.0 even when it
      is the only one (rank fusion, or fusion by score distribution, gives a lone exact match an average
      score); an entry without a synopsis has no story words and ranks by the other sides alone;
    - semantic and content: cosine rescaled to 0-1 between the worst and the best candidate; an entry
      without a synopsis is never a content candidate and ranks by the other sides alone;
    - notability: ``notability_weight * notability(platform_count)``, so among similar matches the widely
      known anime comes first while a clear title match keeps its lead.

    The weights were chosen on the judged queries (docs/benchmarks.md, ``HYBRID`` and ``STORY``).
    """
    scores: dict[str, float] = {}
    first: dict[str, SearchHit] = {}
    sides = (
        (sparse, sparse_weight, _by_best),
        (dense, dense_weight, _by_range),
        (content, content_weight, _by_range),
        (story, story_weight, _by_best),
    )
    for hits, weight, normalise in sides:
        if weight <= 0:
            continue
        for hit, value in zip(hits, normalise([h.relevance for h in hits]), strict=True):
            scores[hit.anime_id] = scores.get(hit.anime_id, 0.0) + weight * value
            first.setdefault(hit.anime_id, hit)
    fused = [
        evolve(first[a], relevance=score + notability_weight * notability(first[a].platform_count))
        for a, score in scores.items()
    ]
    return sorted(fused, key=lambda h: (-h.relevance, h.anime_id))


def fuse(
    dense: Sequence[SearchHit],
    sparse: Sequence[SearchHit],
    content: Sequence[SearchHit],
    weights: FusionWeights,
    story: Sequence[SearchHit] = (),
) -> list[SearchHit]:
    """``fuse_weighted`` with one set of weights."""
    return fuse_weighted(
        dense,
        sparse,
        content,
        story,
        dense_weight=weights.dense,
        sparse_weight=weights.sparse,
        content_weight=weights.content,
        notability_weight=weights.notability,
        story_weight=weights.story,
    )


def reciprocal_rank_fusion(rankings: Sequence[Sequence[str]], *, k: int = 60) -> list[tuple[str, float]]:
    """Fuse ranked id lists: score = sum of 1 / (k + position), position from 0, as Qdrant computes it.

    The reference the index adapters' ``fusion="rrf"`` is tested against; ties keep first-seen order.
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, key in enumerate(ranking):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def _by_best(values: Sequence[float]) -> list[float]:
    best = max(values, default=0.0)
    return [v / best if best > 0 else 0.0 for v in values]


def _by_range(values: Sequence[float]) -> list[float]:
    if not values:
        return []
    low, high = min(values), max(values)
    return [(v - low) / (high - low) if high > low else 1.0 for v in values]
