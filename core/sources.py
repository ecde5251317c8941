"""What a live source returns: one record per platform page, with provenance."""

from __future__ import annotations

import datetime as dt

from attrs import field, frozen

from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import PlatformId


@frozen
class Rating:
    """A score in the site's own scale (MAL 10, AniList 100, Kitsu 100 %, AniDB 10) with its vote count."""

    value: float
    scale: float
    votes: int | None = None

    @property
    def normalised(self) -> float:
        """The same score on a 0-10 scale, for comparison across platforms."""
        return round(self.value * 10.0 / self.scale, 4)


@frozen
class StreamingLink:
    service: str
    url: str
    regions: tuple[str, ...] = ()


@frozen
class SourceRecord:
    """One platform's answer about one anime.

    ``fields`` names what this record really filled (``title``, ``synopsis``, ``score``, ...), so merging
    can tell "the source said nothing" from "the source said empty".
    """

    platform_id: PlatformId
    url: str
    fetched_at: dt.datetime
    fields: frozenset[str] = field(converter=frozenset)
    title: str | None = None
    titles: tuple[str, ...] = ()
    type: AnimeType | None = None
    episodes: int | None = None
    status: Status | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    season: Season | None = None
    year: int | None = None
    score: Rating | None = None
    rank: int | None = None
    popularity: int | None = None
    synopsis: str | None = None
    studios: tuple[str, ...] = ()
    genres: tuple[str, ...] = ()
    picture: str | None = None
    duration_seconds: int | None = None
    streaming: tuple[StreamingLink, ...] = ()
    cross_ids: tuple[PlatformId, ...] = ()  # the same anime on other platforms, as the source states it
