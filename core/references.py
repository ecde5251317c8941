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
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, PlatformId, Platforms, PlatformSpec

_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_PREFIXED = re.compile(r"^(?P<platform>[a-z][a-z0-9.-]*):(?P<id>\S+)$", re.IGNORECASE)
_INTERNAL = re.compile(r"^(?P<platform>[a-z][a-z0-9]*)-(?P<id>\S+)$")


def canonical_url(pid: PlatformId, platforms: Platforms = BUILTIN_PLATFORMS) -> str:
    """The single URL form the anime-offline-database uses for this page (``KeyError``: unknown platform)."""
    return platforms[pid.platform].url(pid.id)


def _platform_id(spec: PlatformSpec, raw: str) -> PlatformId:
    """The canonical id of ``raw`` on ``spec``'s platform, checked against the platform's own id pattern."""
    value = spec.normalise(raw)
    if not spec.valid_id(value):
        raise NotAnAnimeReference(f"{value!r} is not a valid {spec.id.value} id")
    return PlatformId(spec.id, value)


def _make(spec: PlatformSpec, raw: str, original: str) -> PlatformId:
    try:
        return _platform_id(spec, raw)
    except NotAnAnimeReference:
        raise NotAnAnimeReference(
            f"not an anime reference: {original!r} has no valid {spec.id.value} id"
        ) from None


def looks_like_url(text: str, platforms: Platforms = BUILTIN_PLATFORMS) -> bool:
    text = text.strip()
    if _SCHEME.match(text):
        return True
    host = text.split("/", 1)[0].lower().removeprefix("www.")
    return "/" in text and platforms.by_host(host) is not None


def parse_source_url(url: str, platforms: Platforms = BUILTIN_PLATFORMS) -> PlatformId:
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
    spec = platforms.by_host(host)
    if spec is None:
        raise NotAnAnimeReference(f"not an anime reference: {host or url!r} is not a known anime platform")
    path = re.sub(r"/{2,}", "/", parts.path or "/")
    query = parse_qs(parts.query)
    for form in spec.query_urls:
        same_page = path.rstrip("/") == form.path.rstrip("/")
        if same_page and form.key in query and all(query.get(k) == [v] for k, v in form.required):
            return _make(spec, query[form.key][0], url)
    for pattern in spec.url_paths:
        match = pattern.match(path)
        if match:
            return _make(spec, match.group("id"), url)
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


def parse_reference(text: str, platforms: Platforms = BUILTIN_PLATFORMS) -> Reference:
    """Read any form of anime reference a user types; raise ``NotAnAnimeReference`` for junk.

    ``platforms`` is the registry of platforms to recognise (default: the built-in ones; the plugin host's
    ``platforms()`` adds those plugins declare).
    """
    if not isinstance(text, str):
        raise NotAnAnimeReference(f"not an anime reference: expected text, got {type(text).__name__}")
    stripped = text.strip()
    if not stripped:
        raise NotAnAnimeReference("not an anime reference: the reference is empty")
    if len(stripped) > 1000:
        raise NotAnAnimeReference("not an anime reference: longer than 1000 characters")
    if looks_like_url(stripped, platforms):
        return IdReference(parse_source_url(stripped, platforms))
    prefixed = _PREFIXED.match(stripped)
    spec = platforms.by_name(prefixed.group("platform")) if prefixed else None
    if prefixed and spec is not None:
        return IdReference(_make(spec, prefixed.group("id"), text))
    internal = _INTERNAL.match(stripped)
    spec = platforms.by_name(internal.group("platform")) if internal else None
    if internal and spec is not None:
        try:
            return IdReference(_platform_id(spec, internal.group("id")))
        except NotAnAnimeReference:
            pass  # e.g. a title such as "mal-content": fall through to title lookup
    key = normalise_title(stripped)
    if not key:
        raise NotAnAnimeReference(
            f"not an anime reference: {text!r} is neither an id (mal:1535), a platform URL nor a title"
        )
    return TitleReference(stripped, key)
