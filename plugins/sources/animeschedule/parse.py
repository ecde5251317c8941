"""AnimeSchedule.net API v3 parsers (``https://animeschedule.net/api/v3``, bearer token). Pure, no I/O.

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``GET /anime/{slug}``. The id is the anime's
  ``route`` (slug). Other platforms' ids come from ``websites`` (MAL, AniList, Kitsu, AniDB, Anime-Planet).
- ``parse_anime_list(body, *, url, fetched_at) -> list[SourceRecord]``: the paged search wrapper
  ``{page, totalAmount, anime[]}`` of ``GET /anime?q=`` / ``?mal-ids=`` / ``?anidb-ids=``.
- ``parse_search(body, *, url) -> list[SearchCandidate]``: the same search answers.
- ``parse_schedule(body, *, url) -> list[AiringSlot]``: ``GET /timetables/{raw|sub|dub}?year=&week=&tz=``,
  one slot per entry with its exact episode time, raw/sub/dub kind, delay window and streams.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``: the plain-text 404 bodies
  ("Couldn't find anime with these parameters.", "Timetable data for this year/week does not exist."),
  401 (token), 429, challenge pages.

``0001-01-01T00:00:00Z`` is AnimeSchedule's "no date" value. Scores keep AnimeSchedule's 100-point scale.
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
    dedupe,
    detect_http_error,
    guarded,
    guarded_detector,
    html_to_text,
    id_from_url,
    japan_date,
    load_json,
    parse_datetime,
    partial_date,
    platform_id_or_none,
    positive_int,
    require_id,
    season_named,
    season_of,
    structure_list,
    wire_converter,
)
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, SourceError
from anime_mcp.core.languages import ROMAJI, UNDETERMINED, distinct_texts, localized_text
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import (
    LocalizedText,
    Rating,
    RelatedEntry,
    SearchCandidate,
    SourceRecord,
    StreamingLink,
)

SOURCE = "animeschedule"
IMAGE_URL = "https://img.animeschedule.net/production/assets/public/img/{}"

__all__ = [
    "IMAGE_URL",
    "detect_error",
    "parse_anime",
    "parse_anime_list",
    "parse_schedule",
    "parse_search",
]

# ============================================================================================ wire


@frozen
class _Named:
    name: str | None = None
    route: str | None = None


@frozen
class _Season:
    season: str | None = None
    year: str | int | None = None


@frozen
class _Names:
    romaji: str | None = None
    english: str | None = None
    native: str | None = None
    abbreviation: str | None = None
    synonyms: tuple[str | None, ...] | None = None


@frozen
class _Stats:
    average_score: float | None = None
    rating_count: int | None = None


@frozen
class _Stream:
    platform: str | None = None
    url: str | None = None
    name: str | None = None


@frozen
class _Anime:
    route: str
    id: str | None = None
    title: str | None = None
    premier: str | None = None
    sub_premier: str | None = None
    dub_premier: str | None = None
    year: int | None = None
    season: _Season | None = None
    description: str | None = None
    genres: tuple[_Named, ...] | None = None
    studios: tuple[_Named, ...] | None = None
    media_types: tuple[_Named, ...] | None = None
    episodes: int | None = None
    length_min: int | None = None
    status: str | None = None
    image_version_route: str | None = None
    stats: _Stats | None = None
    names: _Names | None = None
    relations: dict[str, tuple[str | None, ...] | None] | None = None
    websites: dict[str, Any] | None = None


@frozen
class _SearchPage:
    anime: tuple[_Anime, ...] | None = None
    page: int | None = None
    total_amount: int | None = None


@frozen
class _Slot:
    route: str
    title: str | None = None
    romaji: str | None = None
    english: str | None = None
    native: str | None = None
    delayed_from: str | None = None
    delayed_until: str | None = None
    status: str | None = None
    episode_date: str | None = None
    episode_number: int | None = None
    subtracted_episode_number: int | None = None
    episodes: int | None = None
    length_min: int | None = None
    air_type: str | None = None
    media_types: tuple[_Named, ...] | None = None
    image_version_route: str | None = None
    streams: tuple[_Stream, ...] | None = None
    airing_status: str | None = None


_CONVERTER = wire_converter(rename=camel)


def _season_year(value: Any, _: type) -> str | int | None:
    if value is None or isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"expected a year, got {type(value).__name__}")


_CONVERTER.register_structure_hook(str | int | None, _season_year)

# ============================================================================================ errors

_NOT_FOUND_TEXTS = (b"couldn't find anime", b"does not exist", b"not found")


def _text_error(raw: bytes) -> SourceError | None:
    text = raw.strip()[:500]
    if not text or text[:1] in (b"{", b"[", b"<"):
        return None
    lowered = text.lower()
    message = " ".join(text.decode("utf-8", "replace").split())[:200]
    if any(marker in lowered for marker in _NOT_FOUND_TEXTS):
        return NotFound(f"AnimeSchedule: {message}", source=SOURCE)
    if b"unauthorized" in lowered or b"token" in lowered:
        return AuthRequired(f"AnimeSchedule refused the token: {message}", source=SOURCE)
    return None


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error an AnimeSchedule answer stands for, or None for a normal document."""
    raw = as_bytes(body)
    if status in (401, 403) and not raw.lstrip().lower().startswith((b"<!doctype", b"<html")):
        return AuthRequired("AnimeSchedule refused the API token (set a valid bearer token)", source=SOURCE)
    if status == 404 or (200 <= status < 300 and raw.lstrip()[:1] not in (b"{", b"[")):
        error = _text_error(raw)
        if error is not None:
            return error
    return detect_http_error(status, raw, source=SOURCE, headers=headers)


def _load(body: bytes | str) -> Any:
    raw = as_bytes(body)
    error = _text_error(raw)
    if error is not None:
        raise error
    return load_json(raw, source=SOURCE)


# ============================================================================================ mapping

_STATUS = {
    "finished": Status.FINISHED,
    "ongoing": Status.ONGOING,
    "delayed": Status.ONGOING,
    "upcoming": Status.UPCOMING,
    "not yet aired": Status.UPCOMING,
}
# "websites" keys -> platform (values are URLs without a scheme: "myanimelist.net/anime/1").
_SITE_KEYS = ("mal", "aniList", "kitsu", "anidb", "animePlanet", "ann", "anisearch", "livechart", "notify")
# "websites" keys that are streaming services (older answers; newer ones list them under "streams").
_STREAM_KEYS = {
    "crunchyroll": "Crunchyroll",
    "funimation": "Funimation",
    "amazon": "Amazon",
    "hulu": "Hulu",
    "netflix": "Netflix",
    "hidive": "HIDIVE",
    "youtube": "YouTube",
    "apple": "Apple TV",
    "disney": "Disney+",
    "bilibili": "Bilibili TV",
}
_RELATION_WORDS = {
    "sequels": "sequel",
    "prequels": "prequel",
    "parents": "parent story",
    "alternatives": "alternative version",
    "sideStories": "side story",
    "spinoffs": "spin-off",
    "other": "other",
}


def _with_scheme(url: str | None) -> str | None:
    text = clean_str(url)
    if text is None:
        return None
    return text if "://" in text else f"https://{text}"


def _slug(value: object) -> PlatformId:
    return require_id(Platform.ANIMESCHEDULE, value, source=SOURCE)


def _picture(route: str | None) -> str | None:
    text = clean_str(route)
    return IMAGE_URL.format(text.lstrip("/")) if text else None


def _type(media_types: tuple[_Named, ...] | None) -> Any:
    for media_type in media_types or ():
        found = anime_type(media_type.name)
        if found is not None:
            return found
    return None


def _titles(anime: _Anime) -> list[str | None]:
    names = anime.names or _Names()
    return [names.english, names.romaji, names.native, names.abbreviation, *(names.synonyms or ())]


def _localized_titles(anime: _Anime) -> list[LocalizedText]:
    """The main ``title`` (romaji when ``names.romaji`` is the same text, else in no stated language), then
    ``names``: English, native (its language unstated: ``und``), the abbreviation and synonyms."""
    names = anime.names or _Names()
    main = clean_str(anime.title)
    romaji_main = main is not None and clean_str(names.romaji) == main
    return distinct_texts(
        [
            localized_text(UNDETERMINED, None if romaji_main else main, "main"),
            localized_text(ROMAJI, names.romaji, "main" if romaji_main else "official"),
            localized_text("en", names.english, "official"),
            localized_text(UNDETERMINED, names.native, "official"),
            localized_text(UNDETERMINED, names.abbreviation, "short"),
            *(localized_text(UNDETERMINED, synonym, "synonym") for synonym in names.synonyms or ()),
        ]
    )


def _score(anime: _Anime) -> Rating | None:
    stats = anime.stats
    if stats is None or stats.average_score is None or not 0 < stats.average_score <= 100:
        return None
    votes = stats.rating_count
    return Rating(
        value=round(stats.average_score, 4), scale=100.0, votes=votes if votes and votes >= 0 else None
    )


def _streams(items: Any) -> list[StreamingLink]:
    links = []
    for item in items or ():
        stream = item if isinstance(item, _Stream) else _CONVERTER.structure(item, _Stream)
        url = _with_scheme(stream.url)
        service = clean_str(stream.name) or clean_str(stream.platform)
        if url and service:
            links.append(StreamingLink(service=service, url=url))
    return links


def _websites(anime: _Anime) -> tuple[list[PlatformId | None], list[StreamingLink]] | None:
    sites = anime.websites
    if sites is None:
        return None
    ids = [id_from_url(_with_scheme(sites.get(key))) for key in _SITE_KEYS if isinstance(sites.get(key), str)]
    streams = _streams(sites.get("streams")) if isinstance(sites.get("streams"), list) else []
    for key, service in _STREAM_KEYS.items():
        url = _with_scheme(sites.get(key)) if isinstance(sites.get(key), str) else None
        if url:
            streams.append(StreamingLink(service=service, url=url))
    return ids, streams


def _relations(anime: _Anime) -> list[RelatedEntry] | None:
    if anime.relations is None:
        return None
    entries = []
    for key, slugs in anime.relations.items():
        word = _RELATION_WORDS.get(key) or " ".join(key.lower().split())
        for slug in slugs or ():
            pid = platform_id_or_none(Platform.ANIMESCHEDULE, slug)
            if pid is not None:
                entries.append(RelatedEntry(relation=word, platform_id=pid, url=canonical_url(pid)))
    return entries


def _record(anime: _Anime, *, fetched_at: dt.datetime) -> SourceRecord:
    b = RecordBuilder(_slug(anime.route))
    b.set("title", anime.title)
    if anime.names is not None:
        b.set_list("titles", _titles(anime))
        b.set_list("localized_titles", _localized_titles(anime))
    b.set("type", _type(anime.media_types))
    b.set("episodes", positive_int(anime.episodes))
    b.set("status", _STATUS.get((anime.status or "").strip().lower()))
    premier = japan_date(anime.premier)  # midnight in Japan, written in UTC
    start = partial_date(premier.isoformat()) if premier else None
    b.set("start_date", premier)
    season = anime.season
    b.set("season", (season_named(season.season) if season else None) or season_of(start))
    season_year = int(str(season.year)) if season and str(season.year or "").isdigit() else None
    b.set("year", season_year or positive_int(anime.year) or (start.year if start else None))
    b.set("score", _score(anime))
    synopsis = html_to_text(anime.description)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # AnimeSchedule's descriptions are English
    if anime.studios is not None:
        b.set_list("studios", [s.name for s in anime.studios])
    if anime.genres is not None:
        b.set_list("genres", [g.name for g in anime.genres])
    b.set("picture", _picture(anime.image_version_route))
    length = positive_int(anime.length_min)
    b.set("duration_seconds", length * 60 if length else None)
    websites = _websites(anime)
    if websites is not None:
        ids, streams = websites
        b.set_list("cross_ids", ids)
        b.set_list("streaming", streams)
    b.set_list("relations", _relations(anime))
    return b.build(fetched_at=fetched_at)


def _candidate(anime: _Anime) -> SearchCandidate:
    pid = _slug(anime.route)
    premier = japan_date(anime.premier)  # midnight in Japan, written in UTC
    title = clean_str(anime.title) or pid.id
    return SearchCandidate(
        platform_id=pid,
        title=title,
        url=canonical_url(pid),
        titles=tuple(t for t in dedupe(_titles(anime)) if t != title),
        type=_type(anime.media_types),
        year=positive_int(anime.year) or (premier.year if premier else None),
        episodes=positive_int(anime.episodes),
        status=_STATUS.get((anime.status or "").strip().lower()),
        picture=_picture(anime.image_version_route),
        score=_score(anime),
    )


def _search_page(body: bytes | str) -> tuple[_Anime, ...]:
    doc = _load(body)
    if isinstance(doc, list):
        return tuple(_CONVERTER.structure(item, _Anime) for item in doc)
    if isinstance(doc, dict) and "route" in doc:
        return (_CONVERTER.structure(doc, _Anime),)
    page: _SearchPage = _CONVERTER.structure(doc, _SearchPage)
    if page.anime is None:
        raise ParseError("not an AnimeSchedule search answer (no anime list)", source=SOURCE)
    return page.anime


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    """One anime (``/anime/{slug}``); a one-hit search page is accepted too."""
    doc = _load(body)
    if isinstance(doc, dict) and "anime" in doc and "route" not in doc:
        hits = _search_page(body)
        if not hits:
            raise NotFound("AnimeSchedule found no such anime", source=SOURCE)
        return _record(hits[0], fetched_at=fetched_at)
    return _record(_CONVERTER.structure(doc, _Anime), fetched_at=fetched_at)


@guarded(SOURCE)
def parse_anime_list(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> list[SourceRecord]:
    return [_record(anime, fetched_at=fetched_at) for anime in _search_page(body)]


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    return [_candidate(anime) for anime in _search_page(body)]


_AIR_KINDS = {"raw": AirKind.RAW, "sub": AirKind.SUB, "dub": AirKind.DUB}


@guarded(SOURCE)
def parse_schedule(body: bytes | str, *, url: str = "") -> list[AiringSlot]:
    """A weekly timetable: one slot per entry (exact UTC time, episode, raw/sub/dub, delays, streams)."""
    doc = _load(body)
    slots = []
    for entry in structure_list(
        _CONVERTER, doc, _Slot, source=SOURCE, not_a_list="a timetable is a JSON array of entries"
    ):
        pid = _slug(entry.route)
        title = clean_str(entry.title) or clean_str(entry.romaji) or pid.id
        delayed_from = parse_datetime(entry.delayed_from)
        delayed_until = parse_datetime(entry.delayed_until)
        length = positive_int(entry.length_min)
        slots.append(
            AiringSlot(
                platform_id=pid,
                title=title,
                kind=_AIR_KINDS.get((entry.air_type or "").strip().lower(), AirKind.RAW),
                airs_at=parse_datetime(entry.episode_date),
                episode=positive_int(entry.episode_number),
                episodes=positive_int(entry.episodes),
                titles=tuple(t for t in dedupe([entry.english, entry.romaji, entry.native]) if t != title),
                type=_type(entry.media_types),
                duration_seconds=length * 60 if length else None,
                picture=_picture(entry.image_version_route),
                status=clean_str(entry.airing_status),
                delayed_from=delayed_from.date() if delayed_from else None,
                delayed_until=delayed_until.date() if delayed_until else None,
                streaming=tuple(_streams(entry.streams)),
            )
        )
    return slots
