"""What the search index knows about an entry besides its vectors: the facts filters and ranking use.

``IndexedFacts.of(entry)`` normalises them once (tags and studios lower-cased and sorted, the score rounded),
so the reference meaning of a filter (``SearchFilters.matches_facts``) and what an index adapter stores
cannot drift apart. How an adapter lays the facts out (a Qdrant payload, columns) is the adapter's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from attrs import field, frozen

from anime_mcp.core.models import AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform


def _sorted_lower(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({v.lower() for v in values}))


def _platform_ids(values: Mapping[Platform, str]) -> dict[Platform, str]:
    return dict(sorted(values.items()))


@frozen
class IndexedFacts:
    anime_id: str
    title: str
    type: AnimeType
    status: Status
    season: Season
    year: int | None
    episodes: int
    score: float | None  # the catalogue score, rounded to 4 places
    tags: tuple[str, ...] = field(converter=_sorted_lower)
    studios: tuple[str, ...] = field(converter=_sorted_lower)
    ids: Mapping[Platform, str] = field(converter=_platform_ids)  # platform -> id on it, sorted

    @property
    def platforms(self) -> tuple[Platform, ...]:
        """The platforms the anime has a page on, sorted."""
        return tuple(self.ids)

    def as_plain(self) -> dict[str, object]:
        """The facts as plain JSON data, for the content fingerprint (``documents.content_fingerprint``).

        The layout is frozen: fingerprints stored in existing indexes hash it, so changing it re-embeds the
        whole catalogue. Index adapters lay out their own payloads."""
        return {
            "anime_id": self.anime_id,
            "title": self.title,
            "type": self.type.value,
            "status": self.status.value,
            "season": self.season.value,
            "year": self.year,
            "episodes": self.episodes,
            "score": self.score,
            "tags": list(self.tags),
            "studios": list(self.studios),
            "platforms": [p.value for p in self.platforms],
            "ids": {p.value: i for p, i in self.ids.items()},
        }

    @classmethod
    def of(cls, entry: CatalogueEntry) -> IndexedFacts:
        return cls(
            anime_id=entry.anime_id,
            title=entry.title,
            type=entry.type,
            status=entry.status,
            season=entry.season.season,
            year=entry.year,
            episodes=entry.episodes,
            score=round(entry.score.arithmetic_mean, 4) if entry.score else None,
            tags=entry.tags,
            studios=entry.studios,
            ids=entry.ids(),
        )
