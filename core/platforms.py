"""The anime platforms we know and the identity of one anime on one of them."""

from __future__ import annotations

import enum
import re

from attrs import field, frozen

from anime_mcp.core.errors import NotAnAnimeReference


class Platform(enum.StrEnum):
    MAL = "mal"
    ANILIST = "anilist"
    KITSU = "kitsu"
    ANIDB = "anidb"
    ANN = "ann"
    ANIMEPLANET = "animeplanet"
    LIVECHART = "livechart"
    ANISEARCH = "anisearch"
    ANIMECOUNTDOWN = "animecountdown"
    ANIMESCHEDULE = "animeschedule"
    NOTIFY = "notify"
    SIMKL = "simkl"


# What an id looks like on each platform. Numeric platforms get canonical digits (no leading zeros),
# so "mal:01535" and "mal:1535" are one id.
_NUMERIC = re.compile(r"[1-9][0-9]{0,11}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,255}")  # real slugs may end with "-"
# An all-digit kitsu id is a numeric id (canonical digits), never a slug: "007" is not a second form of "7".
_KITSU = re.compile(r"[1-9][0-9]{0,11}|(?![0-9]+$)[a-z0-9][a-z0-9-]{0,255}")
_NOTIFY = re.compile(r"[A-Za-z0-9_-]{1,64}")

ID_PATTERNS: dict[Platform, re.Pattern[str]] = {
    Platform.MAL: _NUMERIC,
    Platform.ANILIST: _NUMERIC,
    Platform.KITSU: _KITSU,  # numeric ids in catalogues; slugs in user-typed URLs
    Platform.ANIDB: _NUMERIC,
    Platform.ANN: _NUMERIC,
    Platform.ANIMEPLANET: _SLUG,
    Platform.LIVECHART: _NUMERIC,
    Platform.ANISEARCH: _NUMERIC,
    Platform.ANIMECOUNTDOWN: _NUMERIC,
    Platform.ANIMESCHEDULE: _SLUG,
    Platform.NOTIFY: _NOTIFY,
    Platform.SIMKL: _NUMERIC,
}

# Names people type before the colon ("myanimelist:1535", "anime-planet:death-note").
PLATFORM_ALIASES: dict[str, Platform] = {
    **{p.value: p for p in Platform},
    "myanimelist": Platform.MAL,
    "animenewsnetwork": Platform.ANN,
    "anime-planet": Platform.ANIMEPLANET,
    "ap": Platform.ANIMEPLANET,
    "notify.moe": Platform.NOTIFY,
    "notifymoe": Platform.NOTIFY,
}


def _check_id(instance: PlatformId, attribute: object, value: str) -> None:
    if not ID_PATTERNS[instance.platform].fullmatch(value):
        raise NotAnAnimeReference(f"{value!r} is not a valid {instance.platform.value} id")


@frozen(order=True)
class PlatformId:
    """One anime on one platform, e.g. ``PlatformId(Platform.MAL, "1535")``."""

    platform: Platform = field(converter=Platform)
    id: str = field(validator=_check_id)

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.id}"
