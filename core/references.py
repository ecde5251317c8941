"""Cross-platform ID resolution: every way people and catalogues write an anime reference.

``parse_reference`` reads what a user typed (``mal:1535``, a platform URL, an internal id such as
``mal-1535``, or a title); ``parse_source_url`` reads a platform page URL; ``canonical_url`` writes the one
URL form the anime-offline-database uses. Pure string work: no catalogue access happens here.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import parse_qs, urlsplit

from attrs import frozen

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.platforms import PLATFORM_ALIASES, Platform, PlatformId

_CANONICAL_URL: dict[Platform, str] = {
    Platform.MAL: "https://myanimelist.net/anime/{}",
    Platform.ANILIST: "https://anilist.co/anime/{}",
    Platform.KITSU: "https://kitsu.app/anime/{}",
    Platform.ANIDB: "https://anidb.net/anime/{}",
    Platform.ANN: "https://animenewsnetwork.com/encyclopedia/anime.php?id={}",
    Platform.ANIMEPLANET: "https://anime-planet.com/anime/{}",
    Platform.LIVECHART: "https://livechart.me/anime/{}",
    Platform.ANISEARCH: "https://anisearch.com/anime/{}",
    Platform.ANIMECOUNTDOWN: "https://animecountdown.com/{}",
    Platform.ANIMESCHEDULE: "https://animeschedule.net/anime/{}",
    Platform.NOTIFY: "https://notify.moe/anime/{}",
    Platform.SIMKL: "https://simkl.com/anime/{}",
}

_ID = r"(?P<id>[^/?#,]+)"

# host -> (platform, path patterns). Path patterns match the start of the path; what follows the id
# (a slug, a trailing slash, a sub-page such as /characters) is ignored.
_URL_RULES: dict[str, tuple[Platform, tuple[re.Pattern[str], ...]]] = {
    "myanimelist.net": (Platform.MAL, (re.compile(rf"/anime/{_ID}"),)),
    "anilist.co": (Platform.ANILIST, (re.compile(rf"/anime/{_ID}"),)),
    "kitsu.app": (Platform.KITSU, (re.compile(rf"/anime/{_ID}"),)),
    "kitsu.io": (Platform.KITSU, (re.compile(rf"/anime/{_ID}"),)),
    "anidb.net": (Platform.ANIDB, (re.compile(rf"/anime/{_ID}"), re.compile(r"/a(?P<id>[0-9]+)/?$"))),
    "anime-planet.com": (Platform.ANIMEPLANET, (re.compile(rf"/anime/{_ID}"),)),
    "livechart.me": (Platform.LIVECHART, (re.compile(rf"/anime/{_ID}"),)),
    "anisearch.com": (Platform.ANISEARCH, (re.compile(rf"/anime/{_ID}"),)),  # /anime/3633,death-note
    "anisearch.de": (Platform.ANISEARCH, (re.compile(rf"/anime/{_ID}"),)),
    "animecountdown.com": (Platform.ANIMECOUNTDOWN, (re.compile(rf"/{_ID}"),)),
    "animeschedule.net": (Platform.ANIMESCHEDULE, (re.compile(rf"/anime/{_ID}"),)),
    "notify.moe": (Platform.NOTIFY, (re.compile(rf"/anime/{_ID}"),)),
    "simkl.com": (Platform.SIMKL, (re.compile(rf"/anime/{_ID}"),)),
    "animenewsnetwork.com": (Platform.ANN, ()),
    "animenewsnetwork.cc": (Platform.ANN, ()),
}

# Old query-string forms: (platform, path, query key, required other query values).
_QUERY_RULES: tuple[tuple[Platform, str, str, dict[str, str]], ...] = (
    (Platform.ANN, "/encyclopedia/anime.php", "id", {}),
    (Platform.MAL, "/anime.php", "id", {}),
    (Platform.ANIDB, "/perl-bin/animedb.pl", "aid", {"show": "anime"}),
    (Platform.ANIDB, "/anime/", "aid", {}),
)

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PREFIXED = re.compile(r"^(?P<platform>[a-z][a-z.-]*):(?P<id>\S+)$", re.IGNORECASE)
_INTERNAL = re.compile(r"^(?P<platform>[a-z]+)-(?P<id>\S+)$")


def canonical_url(pid: PlatformId) -> str:
    """The single URL form the anime-offline-database uses for this page."""
    return _CANONICAL_URL[pid.platform].format(pid.id)


def _normalise_id(platform: Platform, raw: str) -> str:
    if platform in (Platform.ANIMEPLANET, Platform.ANIMESCHEDULE):
        return raw.lower()
    if platform is Platform.KITSU and not raw.isdigit():
        return raw.lower()
    if platform is Platform.NOTIFY:
        return raw  # case-sensitive opaque ids: "007" is not "7"
    if raw.isascii() and raw.isdigit():
        return raw.lstrip("0") or "0"
    return raw


def _make(platform: Platform, raw: str, original: str) -> PlatformId:
    try:
        return PlatformId(platform, _normalise_id(platform, raw))
    except NotAnAnimeReference:
        raise NotAnAnimeReference(
            f"not an anime reference: {original!r} has no valid {platform.value} id"
        ) from None


def looks_like_url(text: str) -> bool:
    text = text.strip()
    if _SCHEME.match(text):
        return True
    host = text.split("/", 1)[0].lower().removeprefix("www.")
    return "/" in text and host in _URL_RULES


def parse_source_url(url: str) -> PlatformId:
    """Read a platform page URL (any of the forms the platforms and catalogues use)."""
    text = url.strip()
    if not _SCHEME.match(text):
        text = "https://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
    except ValueError:
        raise NotAnAnimeReference(f"not an anime reference: {url!r} is not a valid URL") from None
    host = host.removeprefix("www.").removeprefix("m.")
    rule = _URL_RULES.get(host)
    if rule is None:
        raise NotAnAnimeReference(f"not an anime reference: {host or url!r} is not a known anime platform")
    platform, patterns = rule
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    query = parse_qs(parts.query)
    for q_platform, q_path, key, required in _QUERY_RULES:
        same_page = q_platform is platform and path.rstrip("/") == q_path.rstrip("/")
        if same_page and key in query and all(query.get(k) == [v] for k, v in required.items()):
            return _make(platform, query[key][0], url)
    for pattern in patterns:
        match = pattern.match(path)
        if match:
            return _make(platform, match.group("id"), url)
    raise NotAnAnimeReference(f"not an anime reference: {url!r} is not an anime page on {host}")


def normalise_title(text: str) -> str:
    """Case-, width- and punctuation-insensitive form of a title, for exact-title lookup.

    Letters and digits of every script are kept; everything else (spaces, ``;``, ``:``, ``・``) goes, so
    "Steins;Gate", "STEINS GATE" and "steins-gate" are the same key. Titles with no letters or digits at
    all exist (the catalogue has "◯" and "......"): they key on their visible characters instead. Only text
    with nothing visible (spaces, control characters) gives an empty key.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    key = "".join(ch for ch in folded if ch.isalnum())
    if key:
        return key
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "PS")


@frozen
class IdReference:
    """A reference that names one platform page (typed as ``mal:1535``, a URL or an internal id)."""

    platform_id: PlatformId


@frozen
class TitleReference:
    """A reference by exact title or synonym, already normalised."""

    text: str
    key: str


Reference = IdReference | TitleReference


def parse_reference(text: str) -> Reference:
    """Read any form of anime reference a user types; raise ``NotAnAnimeReference`` for junk."""
    if not isinstance(text, str):
        raise NotAnAnimeReference(f"not an anime reference: expected text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise NotAnAnimeReference("not an anime reference: the reference is empty")
    if len(stripped) > 1000:
        raise NotAnAnimeReference("not an anime reference: longer than 1000 characters")
    if looks_like_url(stripped):
        return IdReference(parse_source_url(stripped))
    prefixed = _PREFIXED.match(stripped)
    if prefixed and prefixed.group("platform").lower() in PLATFORM_ALIASES:
        platform = PLATFORM_ALIASES[prefixed.group("platform").lower()]
        return IdReference(_make(platform, prefixed.group("id"), text))
    internal = _INTERNAL.match(stripped)
    if internal and internal.group("platform") in PLATFORM_ALIASES:
        platform = PLATFORM_ALIASES[internal.group("platform")]
        try:
            return IdReference(PlatformId(platform, _normalise_id(platform, internal.group("id"))))
        except NotAnAnimeReference:
            pass  # e.g. a title such as "mal-content": fall through to title lookup
    key = normalise_title(stripped)
    if not key:
        raise NotAnAnimeReference(
            f"not an anime reference: {text!r} is neither an id (mal:1535), a platform URL nor a title"
        )
    return TitleReference(stripped, key)
