"""The catalogue world: one anime-offline-database entry as a frozen domain object."""

from __future__ import annotations

import enum

from attrs import field, frozen

from anime_mcp.core.platforms import Platform, PlatformId


class AnimeType(enum.StrEnum):
    TV = "TV"
    MOVIE = "MOVIE"
    OVA = "OVA"
    ONA = "ONA"
    SPECIAL = "SPECIAL"
    UNKNOWN = "UNKNOWN"


class Status(enum.StrEnum):
    FINISHED = "FINISHED"
    ONGOING = "ONGOING"
    UPCOMING = "UPCOMING"
    UNKNOWN = "UNKNOWN"


class Season(enum.StrEnum):
    SPRING = "SPRING"
    SUMMER = "SUMMER"
    FALL = "FALL"
    WINTER = "WINTER"
    UNDEFINED = "UNDEFINED"


@frozen
class AnimeSeason:
    season: Season = Season.UNDEFINED
    year: int | None = None


@frozen
class Duration:
    """Length of one episode, in seconds (AOD always serialises the unit as SECONDS)."""

    seconds: int


@frozen
class Score:
    """AOD's aggregate of the platforms' scores, on AOD's 1-10 scale."""

    arithmetic_geometric_mean: float
    arithmetic_mean: float
    median: float


def _tuple_of_str(values: object) -> tuple[str, ...]:
    return tuple(values) if not isinstance(values, str) else (values,)  # type: ignore[arg-type]


@frozen
class CatalogueEntry:
    """Every field of an anime-offline-database entry.

    ``sources`` holds the platform pages we recognise; ``other_sources`` keeps source URLs of platforms we
    do not know yet, so that nothing from the catalogue is lost.
    """

    title: str
    sources: tuple[PlatformId, ...] = field(converter=tuple)
    type: AnimeType = AnimeType.UNKNOWN
    episodes: int = 0
    status: Status = Status.UNKNOWN
    season: AnimeSeason = AnimeSeason()
    picture: str = ""
    thumbnail: str = ""
    duration: Duration | None = None
    score: Score | None = None
    synonyms: tuple[str, ...] = field(default=(), converter=_tuple_of_str)
    studios: tuple[str, ...] = field(default=(), converter=_tuple_of_str)
    producers: tuple[str, ...] = field(default=(), converter=_tuple_of_str)
    related_anime: tuple[str, ...] = field(default=(), converter=_tuple_of_str)
    tags: tuple[str, ...] = field(default=(), converter=_tuple_of_str)
    other_sources: tuple[str, ...] = field(default=(), converter=_tuple_of_str)

    @property
    def year(self) -> int | None:
        return self.season.year

    @property
    def anime_id(self) -> str:
        """Our internal id: the entry's primary platform page, e.g. ``mal-1535``."""
        return internal_id(self.sources)

    def ids(self) -> dict[Platform, str]:
        """One id per platform (the first one listed, if a platform appears twice)."""
        found: dict[Platform, str] = {}
        for source in self.sources:
            found.setdefault(source.platform, source.id)
        return found


# Which platform's id names an entry internally: the most widespread and most stable first.
PRIMARY_PLATFORM_ORDER: tuple[Platform, ...] = (
    Platform.MAL,
    Platform.ANILIST,
    Platform.KITSU,
    Platform.ANIDB,
    Platform.ANIMEPLANET,
    Platform.ANISEARCH,
    Platform.LIVECHART,
    Platform.ANN,
    Platform.SIMKL,
    Platform.ANIMECOUNTDOWN,
    Platform.NOTIFY,
    Platform.ANIMESCHEDULE,
)


def _primary_rank(platform: Platform) -> int:
    """Built-in platforms in ``PRIMARY_PLATFORM_ORDER``; platforms declared by plugins after them."""
    try:
        return PRIMARY_PLATFORM_ORDER.index(platform)
    except ValueError:
        return len(PRIMARY_PLATFORM_ORDER)


def internal_id(sources: tuple[PlatformId, ...]) -> str:
    """``{platform}-{id}`` of the highest-ranked source; stable while that page exists."""
    if not sources:
        raise ValueError("an entry needs at least one recognised source")
    primary = min(sources, key=lambda s: (_primary_rank(s.platform), s.platform.value, s.id))
    return f"{primary.platform.value}-{primary.id}"
