"""Airing times: when an episode of an anime airs (or aired), in which version (raw, subbed, dubbed)."""

from __future__ import annotations

import datetime as dt
import enum

from attrs import frozen

from anime_mcp.core.models import AnimeType
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import StreamingLink


class AirKind(enum.StrEnum):
    RAW = "raw"  # the original (Japanese) broadcast
    SUB = "sub"  # the subtitled release
    DUB = "dub"  # the dubbed release


@frozen
class AiringSlot:
    """One airing of an anime.

    Either an exact time (``airs_at``, timezone-aware) for one episode, as AnimeSchedule timetables and
    AniList airing schedules give it, or only a weekly slot (``weekday`` + ``local_time`` in ``timezone``),
    as MAL/Jikan broadcast data gives it.
    """

    platform_id: PlatformId
    title: str
    kind: AirKind = AirKind.RAW
    airs_at: dt.datetime | None = None
    episode: int | None = None
    episodes: int | None = None  # the announced total number of episodes
    weekday: int | None = None  # 0 = Monday ... 6 = Sunday
    local_time: dt.time | None = None
    timezone: str | None = None  # IANA name, e.g. "Asia/Tokyo", for weekday/local_time
    titles: tuple[str, ...] = ()
    type: AnimeType | None = None
    duration_seconds: int | None = None
    picture: str | None = None
    status: str | None = None  # the source's word for this airing: "aired", "unaired", "delayed-air"
    delayed_from: dt.date | None = None
    delayed_until: dt.date | None = None
    streaming: tuple[StreamingLink, ...] = ()
