"""notify.moe API parsers (``https://notify.moe/api``). Pure functions, no I/O.

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``GET /api/anime/{id}``. Other platforms'
  ids come from ``mappings`` (MAL, AniList, Kitsu, AniDB). Studios are listed by notify.moe company ids
  only, so the record does not fill ``studios``.
- ``parse_relations(body, *, url) -> list[RelatedEntry]``: ``GET /api/animerelations/{id}``
  (``"items": null`` means none).
- ``detect_error(status, body, *, headers=None) -> SourceError | None``.

Scores keep notify.moe's 1-10 scale (``rating.overall``, only when ``rating.count.overall`` > 0: notify.moe
shows a neutral 5 for unrated anime).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    as_bytes,
    camel,
    clean_str,
    detect_http_error,
    guarded,
    guarded_detector,
    html_to_text,
    load_json,
    partial_date,
    platform_id_or_none,
    positive_int,
    require_id,
    season_of,
    wire_converter,
)
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.languages import ROMAJI, UNDETERMINED, distinct_texts, localized_text
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.sources import LocalizedText, Rating, RelatedEntry, SourceRecord

SOURCE = "notify"
IMAGE_URL = "https://media.notify.moe/images/anime/large/{}{}"

__all__ = ["IMAGE_URL", "detect_error", "parse_anime", "parse_relations"]

# ============================================================================================ wire


@frozen
class _Title:
    canonical: str | None = None
    romaji: str | None = None
    english: str | None = None
    japanese: str | None = None
    hiragana: str | None = None
    synonyms: tuple[str | None, ...] | None = None


@frozen
class _Image:
    extension: str | None = None


@frozen
class _Counts:
    overall: int | None = None


@frozen
class _Rating:
    overall: float | None = None
    count: _Counts | None = None


@frozen
class _Mapping:
    service: str | None = None
    service_id: str | None = None


@frozen
class _Anime:
    id: str
    type: str | None = None
    title: _Title | None = None
    summary: str | None = None
    status: str | None = None
    genres: tuple[str | None, ...] | None = None
    start_date: str | None = None
    end_date: str | None = None
    episode_count: int | None = None
    episode_length: int | None = None
    image: _Image | None = None
    rating: _Rating | None = None
    mappings: tuple[_Mapping, ...] | None = None


@frozen
class _RelationItem:
    anime_id: str
    type: str | None = None


@frozen
class _Relations:
    anime_id: str | None = None
    items: tuple[_RelationItem, ...] | None = None


_CONVERTER = wire_converter(rename=camel)

# ============================================================================================ errors


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error a notify.moe answer stands for, or None for a normal document."""
    raw = as_bytes(body)
    error = detect_http_error(status, raw, source=SOURCE, headers=headers)
    if error is None and 200 <= status < 300 and raw.strip().lower() in (b"not found", b"null", b""):
        return NotFound("notify.moe has no such anime", source=SOURCE)
    return error


def _load(body: bytes | str) -> Any:
    raw = as_bytes(body)
    if raw.strip().lower() in (b"not found", b"404 page not found", b"anime not found"):
        raise NotFound("notify.moe has no such anime", source=SOURCE)
    doc = load_json(raw, source=SOURCE)
    if doc is None:
        raise NotFound("notify.moe has no such anime", source=SOURCE)
    return doc


# ============================================================================================ mapping

_STATUS = {
    "finished": Status.FINISHED,
    "current": Status.ONGOING,
    "upcoming": Status.UPCOMING,
    "tba": Status.UNKNOWN,
}
_MAPPINGS = {
    "myanimelist/anime": Platform.MAL,
    "anilist/anime": Platform.ANILIST,
    "kitsu/anime": Platform.KITSU,
    "anidb/anime": Platform.ANIDB,
}


def _notify_id(value: object) -> PlatformId:
    return require_id(Platform.NOTIFY, value, source=SOURCE)


def _score(rating: _Rating | None) -> Rating | None:
    if rating is None or rating.overall is None or rating.count is None:
        return None
    votes = rating.count.overall
    if not votes or votes <= 0 or not 0 < rating.overall <= 10:
        return None
    return Rating(value=rating.overall, scale=10.0, votes=votes)


def _localized_titles(title: _Title) -> list[LocalizedText]:
    """notify's canonical title is its main one (romaji or English); ``hiragana`` is the Japanese reading."""
    main = clean_str(title.canonical)
    romaji_main = main is not None and clean_str(title.romaji) == main
    english_main = not romaji_main and main is not None and clean_str(title.english) == main
    return distinct_texts(
        [
            localized_text(ROMAJI, title.romaji, "main" if romaji_main else "official"),
            localized_text("en", title.english, "main" if english_main else "official"),
            localized_text("ja", title.japanese, "official"),
            localized_text("ja-Hira", title.hiragana, "reading"),
            *(localized_text(UNDETERMINED, synonym, "synonym") for synonym in title.synonyms or ()),
        ]
    )


def _record(anime: _Anime, *, fetched_at: dt.datetime) -> SourceRecord:
    pid = _notify_id(anime.id)
    b = RecordBuilder(pid)
    title = anime.title or _Title()
    b.set("title", clean_str(title.canonical) or clean_str(title.romaji) or clean_str(title.english))
    if anime.title is not None:
        b.set_list(
            "titles",
            [title.romaji, title.english, title.japanese, title.hiragana, *(title.synonyms or ())],
        )
        b.set_list("localized_titles", _localized_titles(title))
    b.set("type", anime_type(anime.type))
    b.set("episodes", positive_int(anime.episode_count))
    b.set("status", _STATUS.get((anime.status or "").lower()))
    start, end = partial_date(anime.start_date), partial_date(anime.end_date)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("season", season_of(start))
    b.set("year", start.year if start else None)
    b.set("score", _score(anime.rating))
    synopsis = html_to_text(anime.summary)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # notify.moe's summaries are English
    if anime.genres is not None:
        b.set_list("genres", anime.genres)
    extension = clean_str(anime.image.extension) if anime.image else None
    if extension and extension.startswith(".") and extension[1:].isalnum():
        b.set("picture", IMAGE_URL.format(pid.id, extension))
    length = positive_int(anime.episode_length)
    b.set("duration_seconds", length * 60 if length else None)
    if anime.mappings is not None:
        b.set_list(
            "cross_ids",
            [
                platform_id_or_none(_MAPPINGS[m.service], m.service_id)
                for m in anime.mappings
                if m.service in _MAPPINGS
            ],
        )
    return b.build(fetched_at=fetched_at)


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    doc = _load(body)
    if not isinstance(doc, dict):
        raise ParseError("an anime is a JSON object", source=SOURCE)
    return _record(_CONVERTER.structure(doc, _Anime), fetched_at=fetched_at)


@guarded(SOURCE)
def parse_relations(body: bytes | str, *, url: str = "") -> list[RelatedEntry]:
    relations: _Relations = _CONVERTER.structure(_load(body), _Relations)
    entries = []
    for item in relations.items or ():
        pid = platform_id_or_none(Platform.NOTIFY, item.anime_id)
        entries.append(
            RelatedEntry(
                relation=" ".join((item.type or "other").lower().split()),
                platform_id=pid,
                url=canonical_url(pid) if pid else None,
            )
        )
    return entries
