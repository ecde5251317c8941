"""What a live source returns: one record per platform page, with provenance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Generic, TypeVar

from attrs import field, frozen

from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import PlatformId


def _field_names(names: Iterable[str]) -> frozenset[str]:
    """``SourceRecord.fields`` as a frozenset (a typed converter: mypy cannot solve ``frozenset``'s)."""
    return frozenset(names)


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
    subtitles: tuple[str, ...] = ()  # subtitle languages, as the source writes them (Kitsu "en")
    dubs: tuple[str, ...] = ()  # audio languages, as the source writes them


@frozen
class RelatedEntry:
    """Another work the source links to this anime (sequel, side story, adaptation, ...)."""

    relation: str  # the site's own word, lower case with spaces: "sequel", "side story", "adaptation"
    title: str | None = None
    # The related work on a known platform: set for anime, and for "unknown" media when the source gives
    # an id without saying what kind of work it names (AniList, ANN ids are shared by anime and manga).
    platform_id: PlatformId | None = None
    media: str = "anime"  # "anime", "manga", "unknown" (the source does not say) or the source's own word
    url: str | None = None


@frozen
class PersonCredit:
    """A person credited on an anime: staff with their positions, or a voice actor with a language."""

    name: str
    roles: tuple[str, ...] = ()  # "Director", "Music", ... (empty for a voice actor)
    language: str | None = None  # the dub language, for voice actors
    person_id: str | None = None  # the platform's own id of the person
    url: str | None = None
    picture: str | None = None


@frozen
class CharacterCredit:
    """A character of an anime with its voice actors."""

    name: str
    role: str | None = None  # "main", "supporting", ... in the site's words, lower case
    character_id: str | None = None
    url: str | None = None
    picture: str | None = None
    voice_actors: tuple[PersonCredit, ...] = ()


@frozen
class LocalizedText:
    """A title or synopsis in one language: ``language`` is a BCP 47 tag (``en``, ``ja``, ``ja-Latn`` for
    romaji, ``zh-Hans``) or ``und`` when the source does not say."""

    language: str
    text: str
    kind: str | None = None  # for titles: "main", "official", "synonym", "short", as the source ranks it


@frozen
class RecommendedEntry:
    """Another anime the platform's users recommend to fans of this one, with how many agree (AniList's
    recommendation rating, Jikan's vote count)."""

    platform_id: PlatformId
    votes: int
    title: str | None = None


@frozen
class CacheInfo:
    """How a record was served when it came from a response cache rather than live: its age, and whether it
    was stale (past its freshness, served because the platform failed)."""

    age_seconds: float
    stale: bool = False


@frozen
class SourceRecord:
    """One platform's answer about one anime.

    ``fields`` names what this record really filled (``title``, ``synopsis``, ``score``, ...), so merging
    can tell "the source said nothing" from "the source said empty".
    """

    platform_id: PlatformId
    url: str
    fetched_at: dt.datetime
    fields: frozenset[str] = field(converter=_field_names)
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
    tags: tuple[str, ...] = ()  # themes, categories, tags beyond the genres (AniList tags, Kitsu categories)
    relations: tuple[RelatedEntry, ...] = ()
    characters: tuple[CharacterCredit, ...] = ()
    staff: tuple[PersonCredit, ...] = ()
    localized_titles: tuple[LocalizedText, ...] = ()  # titles with their languages, when the source says
    synopses: tuple[LocalizedText, ...] = ()  # synopses with their languages, when the source says
    recommendations: tuple[RecommendedEntry, ...] = ()  # the community's "if you liked this, watch ..."
    # How this record was served, not data about the anime: None = live (set by the HTTP source base).
    cache: CacheInfo | None = None


@frozen
class SearchCandidate:
    """One hit of a platform search (or list: season, ranking): enough to pick the right anime."""

    platform_id: PlatformId
    title: str
    url: str
    titles: tuple[str, ...] = ()
    type: AnimeType | None = None
    year: int | None = None
    episodes: int | None = None
    status: Status | None = None
    picture: str | None = None
    score: Rating | None = None


@frozen
class Episode:
    """One episode as a platform lists it."""

    number: int | None  # the number within its kind (regular episode 1, special 1, ...); None if unnumbered
    title: str | None = None
    titles: tuple[str, ...] = ()
    kind: str = "regular"  # "regular", "special", "credit", "trailer", "parody", "other"
    aired: dt.date | None = None
    aired_at: dt.datetime | None = None  # when the source gives a time of day too
    duration_seconds: int | None = None
    synopsis: str | None = None
    score: Rating | None = None
    filler: bool | None = None
    recap: bool | None = None
    url: str | None = None
    episode_id: str | None = None  # the platform's own id of the episode, when it has one


T = TypeVar("T")


@frozen
class Page(Generic[T]):
    """One page of a paginated list; ``next_url`` is the request for the following page, if any."""

    items: tuple[T, ...]
    next_url: str | None = None
    total: int | None = None
