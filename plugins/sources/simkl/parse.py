"""Simkl API parsers (``https://api.simkl.com``, ``client_id``). Pure functions, no I/O.

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``GET /anime/{id}`` (summary) and
  ``GET /anime/{id}?extended=full``. Other platforms' ids come from ``ids`` (MAL, AniDB, ANN, AniList,
  Kitsu, ...).
- ``parse_search(body, *, url) -> list[SearchCandidate]``: ``GET /search/anime?q=`` (plain or
  ``extended=full``) and list endpoints such as ``GET /anime/best/{filter}``.
- ``parse_episodes(body, *, url) -> Page[Episode]``: ``GET /anime/episodes/{id}[?extended=full]``.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``: ``{"error": ..., "code": ...}``
  bodies, 401/403 (client id), 404, 429, challenge pages.

Scores keep Simkl's own 1-10 scale (``ratings.simkl``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    clean_str,
    dedupe,
    detect_json_error,
    float_from_text,
    guarded,
    guarded_detector,
    html_to_text,
    int_from_text,
    japan_date,
    load_json_checked,
    parse_datetime,
    partial_date,
    platform_id_or_none,
    positive_int,
    require_id,
    retry_after,
    season_of,
    structure_list,
    wire_converter,
)
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, RateLimited, SourceError, Unavailable
from anime_mcp.core.languages import UNDETERMINED, distinct_texts, localized_text, romanised
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.sources import Episode, LocalizedText, Page, Rating, SearchCandidate, SourceRecord

SOURCE = "simkl"
POSTER_URL = "https://simkl.in/posters/{}_m.jpg"
EPISODE_IMAGE_URL = "https://simkl.in/episodes/{}_w.jpg"

__all__ = ["POSTER_URL", "detect_error", "parse_anime", "parse_episodes", "parse_search"]

# ============================================================================================ wire


@frozen
class _AltTitle:
    name: str | None = None
    lang: int | None = None
    type: str | None = None


@frozen
class _Anime:
    ids: dict[str, Any]
    title: str | None = None
    year: int | None = None
    type: str | None = None
    en_title: str | None = None
    alt_titles: tuple[_AltTitle, ...] | None = None
    all_titles: tuple[str | None, ...] | None = None
    rank: int | None = None
    poster: str | None = None
    first_aired: str | None = None
    runtime: int | None = None
    overview: str | None = None
    genres: tuple[str | None, ...] | None = None
    total_episodes: int | None = None
    ep_count: int | None = None
    status: str | None = None
    anime_type: str | None = None
    ratings: dict[str, Any] | None = None
    url: str | None = None


@frozen
class _Episode:
    title: str | None = None
    description: str | None = None
    episode: int | None = None
    type: str | None = None
    aired: bool | None = None
    img: str | None = None
    date: str | None = None
    ids: dict[str, Any] | None = None


_CONVERTER = wire_converter()

# ============================================================================================ errors


def _error_from_document(doc: object, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    if not isinstance(doc, dict) or "ids" in doc or "error" not in doc:
        return None
    error = str(doc.get("error") or "")
    code = int_from_text(doc.get("code")) or 0
    message = " ".join(str(doc.get("message") or error or "error").split())[:300]
    lowered = error.lower()
    if code in (401, 403) or "client_id" in lowered or "token" in lowered:
        return AuthRequired(f"Simkl refused the client id ({error}): {message}", source=SOURCE)
    if code == 404 or "not_found" in lowered or "not found" in lowered:
        return NotFound(f"Simkl: {message}", source=SOURCE)
    if code == 429 or "rate" in lowered:
        return RateLimited(f"Simkl: {message}", source=SOURCE, retry_after=retry_after(headers))
    return Unavailable(f"Simkl error {error!r}: {message}", source=SOURCE)


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error a Simkl answer stands for, or None for a normal document."""
    return detect_json_error(
        status, body, source=SOURCE, headers=headers, document_error=_error_from_document, by_status=_refused
    )


def _refused(status: int, doc: object, raw: bytes) -> SourceError | None:
    if status in (401, 403) and not raw.lstrip().lower().startswith((b"<!doctype", b"<html")):
        return AuthRequired("Simkl refused the request: check the client id", source=SOURCE)
    return None


def _load(body: bytes | str) -> Any:
    return load_json_checked(body, source=SOURCE, document_error=_error_from_document)


# ============================================================================================ mapping

_STATUS = {"ended": Status.FINISHED, "airing": Status.ONGOING, "tba": Status.UNKNOWN}
# Simkl "ids" keys -> platform.
_ID_KEYS = {
    "mal": Platform.MAL,
    "anidb": Platform.ANIDB,
    "ann": Platform.ANN,
    "anilist": Platform.ANILIST,
    "kitsu": Platform.KITSU,
    "livechart": Platform.LIVECHART,
    "anisearch": Platform.ANISEARCH,
    "animeplanet": Platform.ANIMEPLANET,
}


def _simkl_id(ids: dict[str, Any]) -> PlatformId:
    return require_id(Platform.SIMKL, ids.get("simkl", ids.get("simkl_id")), source=SOURCE)


def _rating(anime: _Anime) -> Rating | None:
    simkl = (anime.ratings or {}).get("simkl")
    if not isinstance(simkl, dict):
        return None
    value = float_from_text(simkl.get("rating"))
    if value is None or not 0 < value <= 10:
        return None
    votes = simkl.get("votes")
    return Rating(value=value, scale=10.0, votes=votes if isinstance(votes, int) and votes >= 0 else None)


def _picture(poster: str | None) -> str | None:
    text = clean_str(poster)
    return POSTER_URL.format(text) if text and "/" in text and " " not in text else None


def _titles(anime: _Anime) -> list[str | None]:
    return [anime.en_title, *(t.name for t in anime.alt_titles or ()), *(anime.all_titles or ())]


# Simkl's numeric ``alt_titles[].lang`` codes are undocumented; these three are read off the recordings
# (English, Russian in Cyrillic, the Japanese official title). Any other code is ``und``.
_ALT_LANGUAGES = {7: "en", 22: "ru", 25: "ja"}


def _localized_titles(anime: _Anime) -> list[LocalizedText]:
    """The main title (in no stated language), ``en_title`` and the typed ``alt_titles``."""
    titles = [
        localized_text(UNDETERMINED, anime.title, "main"),
        localized_text("en", anime.en_title, "official"),
    ]
    for alt in anime.alt_titles or ():
        text = clean_str(alt.name)
        if text is not None:
            language = romanised(_ALT_LANGUAGES.get(alt.lang or 0, UNDETERMINED), text)
            titles.append(localized_text(language, text, clean_str(alt.type)))
    titles += [localized_text(UNDETERMINED, t, "synonym") for t in anime.all_titles or ()]
    return distinct_texts(titles)


def _type(anime: _Anime) -> Any:
    return anime_type(anime.anime_type) or (anime_type(anime.type) if anime.type != "anime" else None)


def _record(anime: _Anime, *, fetched_at: dt.datetime) -> SourceRecord:
    b = RecordBuilder(_simkl_id(anime.ids))
    b.set("title", anime.title)
    if anime.en_title is not None or anime.alt_titles is not None or anime.all_titles is not None:
        b.set_list("titles", _titles(anime))
        b.set_list("localized_titles", _localized_titles(anime))
    b.set("type", _type(anime))
    b.set("episodes", positive_int(anime.total_episodes) or positive_int(anime.ep_count))
    b.set("status", _STATUS.get((anime.status or "").lower()))
    start = japan_date(anime.first_aired)
    b.set("start_date", start)
    b.set("season", season_of(partial_date(start.isoformat())) if start else None)
    b.set("year", positive_int(anime.year) or (start.year if start else None))
    b.set("score", _rating(anime))
    b.set("rank", positive_int(anime.rank))
    synopsis = html_to_text(anime.overview)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # Simkl's overviews are English
    if anime.genres is not None:
        b.set_list("genres", anime.genres)
    b.set("picture", _picture(anime.poster))
    runtime = positive_int(anime.runtime)
    b.set("duration_seconds", runtime * 60 if runtime else None)
    cross = [platform_id_or_none(platform, anime.ids.get(key)) for key, platform in _ID_KEYS.items()]
    if any(key in anime.ids for key in _ID_KEYS):
        b.set_list("cross_ids", cross)
    return b.build(fetched_at=fetched_at)


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    """``/anime/{id}`` (summary or ``extended=full``); ``null`` / ``[]`` answers are ``NotFound``."""
    doc = _load(body)
    if doc is None or (isinstance(doc, list | dict) and not doc):
        raise NotFound("Simkl has no such anime", source=SOURCE)
    if isinstance(doc, list):
        if len(doc) != 1:
            raise ParseError("a list came back where one anime was expected", source=SOURCE)
        doc = doc[0]
    return _record(_CONVERTER.structure(doc, _Anime), fetched_at=fetched_at)


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    """Search hits and list entries (``/search/anime``, ``/anime/best/...``) with their Simkl ids."""
    doc = _load(body)
    if doc is None:
        return []
    candidates = []
    for anime in structure_list(
        _CONVERTER, doc, _Anime, source=SOURCE, not_a_list="a search answer is a JSON array"
    ):
        pid = _simkl_id(anime.ids)
        title = clean_str(anime.title) or pid.id
        start = japan_date(anime.first_aired)
        candidates.append(
            SearchCandidate(
                platform_id=pid,
                title=title,
                url=canonical_url(pid),
                titles=tuple(t for t in dedupe(_titles(anime)) if t != title),
                type=_type(anime),
                year=positive_int(anime.year) or (start.year if start else None),
                episodes=positive_int(anime.total_episodes) or positive_int(anime.ep_count),
                status=_STATUS.get((anime.status or "").lower()),
                picture=_picture(anime.poster),
                score=_rating(anime),
            )
        )
    return candidates


_EPISODE_KINDS = {"episode": "regular", "special": "special"}


@guarded(SOURCE)
def parse_episodes(body: bytes | str, *, url: str = "") -> Page[Episode]:
    """``/anime/episodes/{id}``: every episode in one answer (``next_url`` is always None)."""
    doc = _load(body)
    episodes = []
    for episode in structure_list(
        _CONVERTER, doc, _Episode, source=SOURCE, not_a_list="an episode list is a JSON array"
    ):
        aired_at = parse_datetime(episode.date)
        ids = episode.ids or {}
        episode_id = int_from_text(ids.get("simkl_id", ids.get("simkl")))
        episodes.append(
            Episode(
                number=positive_int(episode.episode),
                title=clean_str(episode.title),
                kind=_EPISODE_KINDS.get(
                    (episode.type or "episode").lower(), (episode.type or "other").lower()
                ),
                aired=aired_at.date() if aired_at else None,
                aired_at=aired_at,
                synopsis=html_to_text(episode.description),
                episode_id=str(episode_id) if episode_id is not None else None,
            )
        )
    return Page(items=tuple(episodes))
