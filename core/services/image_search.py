"""Image search use cases: anime whose poster looks like a picture, and text + picture together.

The picture arrives decoded (``RgbImage``: the faces decode it through ``ports.image_input``, with its caps),
is embedded by the CLIP model (``ports.image_embedder``) and compared with the poster vectors of the index
(``IMAGE_VECTOR``), under the same filters as text search.

Multimodal search blends two rankings by weight: the normal hybrid text search, and the picture's poster
ranking. When the text is given, the CLIP text tower's vector of it is searched against the posters too, a
small extra signal inside the text side ("dark", "mecha", "pastel" are things posters show).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.core.search_errors import IndexModelMismatch, IndexNotBuilt, InvalidSearch
from anime_mcp.core.services.search import MAX_LIMIT, SearchResult, SearchService
from anime_mcp.ports.image_embedder import ImageEmbedder, RgbImage
from anime_mcp.ports.vector_index import IMAGE_VECTOR, ImageVectorsInfo, IndexQuery

POOL = 50  # candidates per ranking before blending
DEFAULT_IMAGE_WEIGHT = 0.5
CLIP_TEXT_SHARE = 0.25  # of the text side: the CLIP text tower against the posters, beside hybrid search


class ImageSearch:
    """Search by picture and multimodal search over the current index (``search.index``) and catalogue."""

    def __init__(
        self,
        search: SearchService,
        embedder: ImageEmbedder,
        posters: Callable[[], ImageVectorsInfo | None] | None = None,
    ) -> None:
        """``posters``: what the index's poster vectors were made with (``ImageVectorStore.image_vectors``),
        asked before each search so a model changed since ``index-images`` is a clear error."""
        self.search = search
        self.embedder = embedder
        self._posters_info = posters

    def by_image(
        self, image: RgbImage, filters: SearchFilters | None = None, *, limit: int = 10
    ) -> list[SearchResult]:
        """The anime whose posters are nearest to ``image``, nearest first (relevance: cosine)."""
        _check_limit(limit)
        filters = filters or SearchFilters()
        hits = self._posters(self.embedder.embed_images([image])[0], filters, limit)
        return self._entries(hits.items(), limit)

    def multimodal(
        self,
        text: str,
        image: RgbImage,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        image_weight: float = DEFAULT_IMAGE_WEIGHT,
        mode: SearchMode = SearchMode.HYBRID,
    ) -> list[SearchResult]:
        """Text and picture together: ``(1 - image_weight) * text + image_weight * picture``, each ranking's
        scores rescaled to 0-1 over its candidates (relevance: the blended score)."""
        _check_limit(limit)
        if not 0.0 <= image_weight <= 1.0:
            raise InvalidSearch(f"image_weight must be between 0 and 1, not {image_weight}")
        filters = filters or SearchFilters()
        pool = max(POOL, limit)
        found = self.search.search(text, filters, limit=pool, mode=mode)
        known = {r.entry.anime_id: r for r in found}
        posters = self._posters(self.embedder.embed_images([image])[0], filters, pool)
        worded = self._posters(self.embedder.embed_texts([text])[0], filters, pool, required=False)
        text_weight = 1.0 - image_weight
        blended = blend(
            [
                ({a: r.relevance for a, r in known.items()}, text_weight * (1.0 - CLIP_TEXT_SHARE)),
                (worded, text_weight * CLIP_TEXT_SHARE),
                (posters, image_weight),
            ]
        )
        ranked = sorted(blended.items(), key=lambda item: (-item[1], item[0]))
        return self._entries(ranked, limit, known)

    def _posters(
        self, vector: Sequence[float], filters: SearchFilters, limit: int, *, required: bool = True
    ) -> dict[str, float]:
        self._check_model()
        query = IndexQuery(dense=vector, using=IMAGE_VECTOR, filters=filters, limit=limit)
        hits = self.search.index.search(query)
        if not hits and required and filters == SearchFilters() and self.search.index.count():
            raise IndexNotBuilt(
                "the search index holds no poster vectors yet; run `anime-mcp index-images` (it downloads "
                "and embeds each anime's picture)"
            )
        return {hit.anime_id: hit.relevance for hit in hits}

    def _check_model(self) -> None:
        info = self._posters_info() if self._posters_info is not None else None
        if info is None or (info.model, info.dimension) == (self.embedder.name, self.embedder.dimension):
            return
        raise IndexModelMismatch(
            f"the poster vectors of the index were made by {info.model} ({info.dimension}-d) but the "
            f"configured image model is {self.embedder.name} ({self.embedder.dimension}-d); run "
            f"`anime-mcp index-images` to embed the posters again with {self.embedder.name}, or set "
            f"ANIME_MCP_IMAGE_MODEL back to {info.model}"
        )

    def _entries(
        self,
        ranked: Iterable[tuple[str, float]],
        limit: int,
        known: Mapping[str, SearchResult] | None = None,
    ) -> list[SearchResult]:
        results = []
        for anime_id, score in ranked:
            hit = (known or {}).get(anime_id)
            entry = hit.entry if hit is not None else self.search.catalogue.by_anime_id(anime_id)
            if entry is not None:  # an index a little older than the store may name a removed entry
                results.append(SearchResult(entry, score))
            if len(results) == limit:
                break
        return results


def blend(rankings: Sequence[tuple[Mapping[str, float], float]]) -> dict[str, float]:
    """Weighted sum of rankings, each rescaled to 0-1 between its worst and best candidate (an anime absent
    from a ranking scores 0 there); rankings with no candidates or no weight add nothing."""
    scores: dict[str, float] = {}
    for ranking, weight in rankings:
        if weight <= 0 or not ranking:
            continue
        low, high = min(ranking.values()), max(ranking.values())
        spread = high - low
        for anime_id, value in ranking.items():
            scaled = (value - low) / spread if spread > 0 else 1.0
            scores[anime_id] = scores.get(anime_id, 0.0) + weight * scaled
    return scores


def _check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidSearch(f"limit must be between 1 and {MAX_LIMIT}, not {limit}")
