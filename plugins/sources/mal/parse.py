"""MyAnimeList parsers: the official API v2 JSON and Jikan v4 JSON (any Jikan-compatible service).

Pure functions, no I/O. Both formats are recognised automatically (``detect_format``); the ``*_v2`` and
``*_jikan`` functions read one format only.

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``GET /v2/anime/{id}?fields=...`` or
  Jikan ``GET /v4/anime/{id}`` and ``/v4/anime/{id}/full``.
- ``parse_anime_list(body, *, url, fetched_at) -> list[SourceRecord]``: list answers whose items are full
  anime objects (Jikan search, seasons, schedules, top; MAL v2 ``data[].node`` with fields).
- ``parse_search(body, *, url) -> list[SearchCandidate]``: MAL v2 ``GET /v2/anime?q=`` (also season and
  ranking lists) and Jikan ``GET /v4/anime?q=`` (and any Jikan anime list).
- ``parse_episodes(body, *, url) -> Page[Episode]``: Jikan ``/v4/anime/{id}/episodes?page=N``;
  ``next_url`` asks for the following page while Jikan says ``has_next_page``.
- ``parse_characters(body, *, url) -> list[CharacterCredit]``: Jikan ``/v4/anime/{id}/characters``.
- ``parse_staff(body, *, url) -> list[PersonCredit]``: Jikan ``/v4/anime/{id}/staff``.
- ``parse_schedule(body, *, url) -> list[AiringSlot]``: Jikan ``/v4/schedules[?filter=day]`` (weekly
  broadcast slots in Japanese time).
- ``detect_error(status, body, *, headers=None) -> SourceError | None`` and ``detect_format(body)``.

Scores keep MAL's 1-10 scale (episode scores Jikan's 1-5 scale). Titles keep their languages in
``localized_titles``: MAL's main (``Default``) title is romanised Japanese (``ja-Latn``); ``Japanese``,
``English``, ``German``, ... titles become ``ja``, ``en``, ``de``; synonyms say no language (``und``). MAL
labels the native title "Japanese" whatever the country of the work: that is what the source states.
Synopses are English.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from attrs import frozen

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    clean_str,
    date_parts,
    dedupe,
    detect_json_error,
    guarded,
    guarded_detector,
    id_from_url,
    load_json_checked,
    parse_datetime,
    partial_date,
    positive_int,
    require_id,
    retry_after,
    season_named,
    season_of,
    wire_converter,
)
from anime_mcp.core.errors import (
    AuthRequired,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)
from anime_mcp.core.languages import ROMAJI, UNDETERMINED, distinct_texts, localized_text
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import (
    CharacterCredit,
    Episode,
    LocalizedText,
    Page,
    PersonCredit,
    Rating,
    RelatedEntry,
    SearchCandidate,
    SourceRecord,
    StreamingLink,
)

SOURCE = "mal"
MAL_V2 = "mal-v2"
JIKAN = "jikan-v4"

__all__ = [
    "JIKAN",
    "MAL_V2",
    "detect_error",
    "detect_format",
    "parse_anime",
    "parse_anime_list",
    "parse_characters",
    "parse_episodes",
    "parse_schedule",
    "parse_search",
    "parse_staff",
]

# ============================================================================================ wire: API v2


@frozen
class _V2Picture:
    medium: str | None = None
    large: str | None = None


@frozen
class _V2AltTitles:
    synonyms: tuple[str, ...] | None = None
    en: str | None = None
    ja: str | None = None


@frozen
class _V2Season:
    year: int | None = None
    season: str | None = None


@frozen
class _V2Named:
    name: str
    id: int | None = None


@frozen
class _V2Node:
    id: int
    title: str | None = None
    main_picture: _V2Picture | None = None


@frozen
class _V2Related:
    node: _V2Node
    relation_type: str | None = None
    relation_type_formatted: str | None = None


@frozen
class _V2Anime:
    id: int
    title: str | None = None
    main_picture: _V2Picture | None = None
    alternative_titles: _V2AltTitles | None = None
    start_date: str | None = None
    end_date: str | None = None
    synopsis: str | None = None
    mean: float | None = None
    rank: int | None = None
    popularity: int | None = None
    num_scoring_users: int | None = None
    media_type: str | None = None
    status: str | None = None
    genres: tuple[_V2Named, ...] | None = None
    num_episodes: int | None = None
    start_season: _V2Season | None = None
    average_episode_duration: int | None = None
    studios: tuple[_V2Named, ...] | None = None
    related_anime: tuple[_V2Related, ...] | None = None


@frozen
class _V2Item:
    node: _V2Anime


@frozen
class _V2List:
    data: tuple[_V2Item, ...]
    paging: dict[str, Any] | None = None


# ============================================================================================ wire: Jikan


@frozen
class _JImageSet:
    image_url: str | None = None
    small_image_url: str | None = None
    large_image_url: str | None = None


@frozen
class _JImages:
    jpg: _JImageSet | None = None
    webp: _JImageSet | None = None


@frozen
class _JTitle:
    title: str
    type: str | None = None


@frozen
class _JDateProp:
    day: int | None = None
    month: int | None = None
    year: int | None = None


@frozen
class _JAiredProp:
    from_: _JDateProp | None = None
    to: _JDateProp | None = None


@frozen
class _JAired:
    from_: str | None = None
    to: str | None = None
    prop: _JAiredProp | None = None


@frozen
class _JNamed:
    name: str
    mal_id: int | None = None
    type: str | None = None
    url: str | None = None


@frozen
class _JLink:
    name: str | None = None
    url: str | None = None


@frozen
class _JRelation:
    relation: str
    entry: tuple[_JNamed, ...] = ()


@frozen
class _JBroadcast:
    day: str | None = None
    time: str | None = None
    timezone: str | None = None
    string: str | None = None


@frozen
class _JAnime:
    mal_id: int
    url: str | None = None
    images: _JImages | None = None
    titles: tuple[_JTitle, ...] | None = None
    title: str | None = None
    title_english: str | None = None
    title_japanese: str | None = None
    title_synonyms: tuple[str, ...] | None = None
    type: str | None = None
    episodes: int | None = None
    status: str | None = None
    aired: _JAired | None = None
    duration: str | None = None
    score: float | None = None
    scored_by: int | None = None
    rank: int | None = None
    popularity: int | None = None
    synopsis: str | None = None
    season: str | None = None
    year: int | None = None
    broadcast: _JBroadcast | None = None
    studios: tuple[_JNamed, ...] | None = None
    genres: tuple[_JNamed, ...] | None = None
    explicit_genres: tuple[_JNamed, ...] | None = None
    themes: tuple[_JNamed, ...] | None = None
    demographics: tuple[_JNamed, ...] | None = None
    relations: tuple[_JRelation, ...] | None = None
    external: tuple[_JLink, ...] | None = None
    streaming: tuple[_JLink, ...] | None = None


@frozen
class _JOne:
    data: _JAnime


@frozen
class _JPagination:
    last_visible_page: int | None = None
    has_next_page: bool | None = None
    current_page: int | None = None


@frozen
class _JList:
    data: tuple[_JAnime, ...]
    pagination: _JPagination | None = None


@frozen
class _JEpisode:
    mal_id: int | None = None
    url: str | None = None
    title: str | None = None
    title_japanese: str | None = None
    title_romanji: str | None = None
    aired: str | None = None
    score: float | None = None
    filler: bool | None = None
    recap: bool | None = None


@frozen
class _JEpisodes:
    data: tuple[_JEpisode, ...]
    pagination: _JPagination | None = None


@frozen
class _JPerson:
    name: str
    mal_id: int | None = None
    url: str | None = None
    images: _JImages | None = None


@frozen
class _JVoiceActor:
    person: _JPerson
    language: str | None = None


@frozen
class _JCharacterRole:
    character: _JPerson
    role: str | None = None
    voice_actors: tuple[_JVoiceActor, ...] = ()


@frozen
class _JCharacters:
    data: tuple[_JCharacterRole, ...]


@frozen
class _JStaffRole:
    person: _JPerson
    positions: tuple[str, ...] = ()


@frozen
class _JStaff:
    data: tuple[_JStaffRole, ...]


_CONVERTER = wire_converter()

# ============================================================================================ errors

_JIKAN_ERROR_KEYS = frozenset({"status", "type", "message"})


def _error_from_document(doc: object, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """MAL v2 ``{"error": "not_found", "message": ""}`` and Jikan ``{"status": 404, "type": ...}`` bodies."""
    if not isinstance(doc, dict) or "data" in doc:
        return None
    if doc.keys() >= _JIKAN_ERROR_KEYS:
        status = doc.get("status")
        code = int(status) if isinstance(status, int | str) and str(status).isdigit() else 0
        kind = str(doc.get("type") or "")
        message = " ".join(str(doc.get("message") or kind or "error").split())[:300]
        if code == 429 or "RateLimit" in kind:
            return RateLimited(f"Jikan: {message}", source=SOURCE, retry_after=retry_after(headers))
        if code == 404:
            return NotFound(f"Jikan: {message}", source=SOURCE)
        if code in (401, 403):
            return AuthRequired(f"Jikan: {message}", source=SOURCE)
        if code >= 500 or "Unavailable" in kind or "Upstream" in kind or "Timeout" in kind:
            return Unavailable(f"Jikan: {message}", source=SOURCE)
        if code >= 400:
            return Unavailable(f"Jikan refused the request ({code}): {message}", source=SOURCE)
        return None
    error = doc.get("error")
    if isinstance(error, str) and set(doc) <= {"error", "message", "error_description", "hint"}:
        message = " ".join(str(doc.get("message") or doc.get("error_description") or error).split())[:300]
        if error == "not_found":
            return NotFound(f"MAL API: {message}", source=SOURCE)
        if error in ("invalid_token", "invalid_client", "unauthorized", "forbidden", "invalid_request"):
            return AuthRequired(
                f"MAL API refused the credentials ({error}): check the X-MAL-CLIENT-ID", source=SOURCE
            )
        if error in ("too_many_requests", "rate_limited"):
            return RateLimited(f"MAL API: {message}", source=SOURCE, retry_after=retry_after(headers))
        return Unavailable(f"MAL API error {error!r}: {message}", source=SOURCE)
    return None


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error a MAL API v2 / Jikan answer stands for, or None for a normal document."""
    return detect_json_error(
        status, body, source=SOURCE, headers=headers, document_error=_error_from_document, by_status=_refused
    )


def _refused(status: int, doc: object, raw: bytes) -> SourceError | None:
    if status == 403 and isinstance(doc, dict):
        return AuthRequired("MAL API answered 403: check the X-MAL-CLIENT-ID", source=SOURCE)
    return None


def _load(body: bytes | str) -> Any:
    return load_json_checked(body, source=SOURCE, document_error=_error_from_document)


def _format_of(doc: Any) -> str:
    if isinstance(doc, dict):
        data = doc.get("data")
        if "pagination" in doc or (isinstance(data, dict) and "mal_id" in data):
            return JIKAN
        if isinstance(data, list):
            first = data[0] if data else None
            if isinstance(first, dict) and "node" in first:
                return MAL_V2
            if isinstance(first, dict) and ("mal_id" in first or "character" in first or "person" in first):
                return JIKAN
            if not data:
                return MAL_V2 if "paging" in doc else JIKAN
        if "id" in doc and ("title" in doc or "main_picture" in doc):
            return MAL_V2
    raise ParseError("the document is neither MAL API v2 nor Jikan v4 JSON", source=SOURCE)


@guarded(SOURCE)
def detect_format(body: bytes | str) -> str:
    """``"mal-v2"`` or ``"jikan-v4"``; raises the typed error for error documents, ParseError for others."""
    return _format_of(_load(body))


# ============================================================================================ helpers

_MAL_STATUS = {
    "finished_airing": Status.FINISHED,
    "finished airing": Status.FINISHED,
    "currently_airing": Status.ONGOING,
    "currently airing": Status.ONGOING,
    "not_yet_aired": Status.UPCOMING,
    "not yet aired": Status.UPCOMING,
}
_DURATION_PART = re.compile(r"(\d+)\s*(hr|h|min|m|sec|s)\b", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")


def _status(value: str | None) -> Status | None:
    return _MAL_STATUS.get(value.strip().lower()) if value else None


def _mal_id(value: object) -> PlatformId:
    return require_id(Platform.MAL, value, source=SOURCE)


def _duration_seconds(text: str | None) -> int | None:
    """Jikan's "24 min per ep", "2 hr. 15 min.", "30 sec per ep"; "Unknown" -> None."""
    if not text:
        return None
    seconds = 0
    for amount, unit in _DURATION_PART.findall(text):
        value = int(amount[:6])
        kind = unit.lower()
        seconds += value * (3600 if kind.startswith("h") else 60 if kind.startswith("m") else 1)
    return seconds or None


def _rating(value: float | None, votes: int | None, scale: float = 10.0) -> Rating | None:
    if value is None or not 0 < value <= scale:
        return None
    return Rating(value=value, scale=scale, votes=votes if votes is not None and votes >= 0 else None)


def _rank(value: int | None) -> int | None:
    return positive_int(value)


def _picture_v2(picture: _V2Picture | None) -> str | None:
    if picture is None:
        return None
    return clean_str(picture.large) or clean_str(picture.medium)


def _picture_jikan(images: _JImages | None) -> str | None:
    if images is None:
        return None
    for image_set in (images.jpg, images.webp):
        if image_set is not None:
            url = clean_str(image_set.image_url) or clean_str(image_set.large_image_url)
            if url and "/qm_50." not in url and "questionmark" not in url:
                return url
    return None


def _relation_word(value: str | None) -> str:
    return " ".join((value or "other").replace("_", " ").lower().split()) or "other"


def _next_page_url(url: str, current: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    query.append(("page", str(current + 1)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _page_of(url: str) -> int:
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "page" and value.isdigit() and len(value) < 7:
            return int(value)
    return 1


def _person_picture(images: _JImages | None) -> str | None:
    if images is None or images.jpg is None:
        return None
    url = clean_str(images.jpg.image_url)
    return url if url and "questionmark" not in url else None


# ============================================================================================ API v2


def _v2_record(anime: _V2Anime, *, fetched_at: dt.datetime) -> SourceRecord:
    b = RecordBuilder(_mal_id(anime.id))
    b.set("title", anime.title)
    alt = anime.alternative_titles
    if alt is not None:
        b.set_list("titles", [alt.en, alt.ja, *(alt.synonyms or ())])
        synonyms = (localized_text(UNDETERMINED, t, "synonym") for t in alt.synonyms or ())
        localized = [localized_text(ROMAJI, anime.title, "main")]
        localized += [localized_text("en", alt.en, "official"), localized_text("ja", alt.ja, "official")]
        b.set_list("localized_titles", distinct_texts([*localized, *synonyms]))
    b.set("type", anime_type(anime.media_type))
    b.set("episodes", positive_int(anime.num_episodes))
    b.set("status", _status(anime.status))
    start, end = partial_date(anime.start_date), partial_date(anime.end_date)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    season = anime.start_season
    b.set("season", season_named(season.season) if season else None)
    b.set("year", (season.year if season and season.year else None) or (start.year if start else None))
    if not b.has("season"):
        b.set("season", season_of(start))
    b.set("score", _rating(anime.mean, anime.num_scoring_users))
    b.set("rank", _rank(anime.rank))
    b.set("popularity", _rank(anime.popularity))
    _set_synopsis(b, anime.synopsis)
    if anime.studios is not None:
        b.set_list("studios", [s.name for s in anime.studios])
    if anime.genres is not None:
        b.set_list("genres", [g.name for g in anime.genres])
    b.set("picture", _picture_v2(anime.main_picture))
    b.set("duration_seconds", positive_int(anime.average_episode_duration))
    if anime.related_anime is not None:
        b.set_list(
            "relations",
            [
                RelatedEntry(
                    relation=_relation_word(r.relation_type),
                    title=clean_str(r.node.title),
                    platform_id=_mal_id(r.node.id),
                    url=canonical_url(_mal_id(r.node.id)),
                )
                for r in anime.related_anime
            ],
        )
    return b.build(fetched_at=fetched_at)


def _v2_candidate(anime: _V2Anime) -> SearchCandidate:
    pid = _mal_id(anime.id)
    alt = anime.alternative_titles
    start = partial_date(anime.start_date)
    return SearchCandidate(
        platform_id=pid,
        title=clean_str(anime.title) or pid.id,
        url=canonical_url(pid),
        titles=dedupe([alt.en, alt.ja, *(alt.synonyms or ())]) if alt else (),
        type=anime_type(anime.media_type),
        year=(anime.start_season.year if anime.start_season else None) or (start.year if start else None),
        episodes=positive_int(anime.num_episodes),
        status=_status(anime.status),
        picture=_picture_v2(anime.main_picture),
        score=_rating(anime.mean, anime.num_scoring_users),
    )


# ============================================================================================ Jikan


def _jikan_titles(anime: _JAnime) -> list[str | None]:
    titles: list[str | None] = [t.title for t in anime.titles or () if (t.type or "").lower() != "default"]
    titles += [anime.title_english, anime.title_japanese, *(anime.title_synonyms or ())]
    return titles


# Jikan's title types that are not languages.
_JIKAN_KINDS = {"default": (ROMAJI, "main"), "synonym": (UNDETERMINED, "synonym")}


def _jikan_localized(anime: _JAnime) -> list[LocalizedText]:
    titles: list[LocalizedText | None] = []
    for title in anime.titles or ():
        kind = (title.type or "").strip().lower()
        language, kind_name = _JIKAN_KINDS.get(kind, (kind, "official"))
        titles.append(localized_text(language, title.title, kind_name))
    titles += [
        localized_text(ROMAJI, anime.title, "main"),
        localized_text("en", anime.title_english, "official"),
        localized_text("ja", anime.title_japanese, "official"),
        *(localized_text(UNDETERMINED, t, "synonym") for t in anime.title_synonyms or ()),
    ]
    return distinct_texts(titles)


def _set_synopsis(b: RecordBuilder, text: str | None) -> None:
    synopsis = clean_str(text)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # MAL's synopses are English


def _jikan_dates(anime: _JAnime) -> tuple[Any, Any]:
    aired = anime.aired
    if aired is None:
        return None, None
    start = partial_date(aired.from_)
    end = partial_date(aired.to)
    prop = aired.prop
    if prop is not None:
        if start is None and prop.from_ is not None:
            start = date_parts(prop.from_.year, prop.from_.month, prop.from_.day)
        if end is None and prop.to is not None:
            end = date_parts(prop.to.year, prop.to.month, prop.to.day)
    return start, end


def _jikan_record(anime: _JAnime, *, fetched_at: dt.datetime) -> SourceRecord:
    pid = _mal_id(anime.mal_id)
    b = RecordBuilder(pid)
    b.set("title", anime.title or next((t.title for t in anime.titles or () if t.type == "Default"), None))
    if anime.titles is not None or anime.title_synonyms is not None:
        b.set_list("titles", _jikan_titles(anime))
        b.set_list("localized_titles", _jikan_localized(anime))
    b.set("type", anime_type(anime.type))
    b.set("episodes", positive_int(anime.episodes))
    b.set("status", _status(anime.status))
    start, end = _jikan_dates(anime)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("season", season_named(anime.season) or (season_of(start) if anime.season is None else None))
    b.set("year", anime.year if anime.year else (start.year if start else None))
    b.set("score", _rating(anime.score, anime.scored_by))
    b.set("rank", _rank(anime.rank))
    b.set("popularity", _rank(anime.popularity))
    _set_synopsis(b, anime.synopsis)
    if anime.studios is not None:
        b.set_list("studios", [s.name for s in anime.studios])
    if anime.genres is not None or anime.explicit_genres is not None:
        b.set_list("genres", [g.name for g in (*(anime.genres or ()), *(anime.explicit_genres or ()))])
    if anime.themes is not None or anime.demographics is not None:
        b.set_list("tags", [g.name for g in (*(anime.themes or ()), *(anime.demographics or ()))])
    b.set("picture", _picture_jikan(anime.images))
    b.set("duration_seconds", _duration_seconds(anime.duration))
    if anime.streaming is not None:
        b.set_list(
            "streaming",
            [
                StreamingLink(service=name, url=link)
                for item in anime.streaming
                if (name := clean_str(item.name)) and (link := clean_str(item.url))
            ],
        )
    if anime.external is not None:
        b.set_list("cross_ids", [id_from_url(link.url) for link in anime.external])
    if anime.relations is not None:
        b.set_list("relations", [_jikan_related(r.relation, e) for r in anime.relations for e in r.entry])
    return b.build(fetched_at=fetched_at)


def _jikan_related(relation: str, entry: _JNamed) -> RelatedEntry:
    media = (entry.type or "anime").lower()
    pid = None
    if media == "anime" and entry.mal_id is not None:
        pid = _mal_id(entry.mal_id)
    return RelatedEntry(
        relation=_relation_word(relation),
        title=clean_str(entry.name),
        platform_id=pid,
        media=media,
        url=canonical_url(pid) if pid else clean_str(entry.url),
    )


def _jikan_candidate(anime: _JAnime) -> SearchCandidate:
    pid = _mal_id(anime.mal_id)
    start, _ = _jikan_dates(anime)
    return SearchCandidate(
        platform_id=pid,
        title=clean_str(anime.title) or pid.id,
        url=canonical_url(pid),
        titles=tuple(t for t in dedupe(_jikan_titles(anime)) if t != anime.title),
        type=anime_type(anime.type),
        year=anime.year or (start.year if start else None),
        episodes=positive_int(anime.episodes),
        status=_status(anime.status),
        picture=_picture_jikan(anime.images),
        score=_rating(anime.score, anime.scored_by),
    )


def _jikan_list(doc: Any) -> _JList:
    if isinstance(doc, dict) and isinstance(doc.get("data"), dict):
        return _JList(data=(_CONVERTER.structure(doc["data"], _JAnime),))
    return _CONVERTER.structure(doc, _JList)


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    """One anime from MAL API v2 or Jikan v4 (``/anime/{id}`` or ``/anime/{id}/full``)."""
    doc = _load(body)
    if _format_of(doc) == MAL_V2:
        if isinstance(doc, dict) and "data" in doc:
            raise ParseError("a MAL API v2 list came back where one anime was expected", source=SOURCE)
        return _v2_record(_CONVERTER.structure(doc, _V2Anime), fetched_at=fetched_at)
    if not isinstance(doc.get("data"), dict):
        raise ParseError("a Jikan list came back where one anime was expected", source=SOURCE)
    return _jikan_record(_CONVERTER.structure(doc, _JOne).data, fetched_at=fetched_at)


@guarded(SOURCE)
def parse_anime_list(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> list[SourceRecord]:
    """Every anime of a list answer whose items are full anime objects."""
    doc = _load(body)
    if _format_of(doc) == MAL_V2:
        if not (isinstance(doc, dict) and "data" in doc):
            return [_v2_record(_CONVERTER.structure(doc, _V2Anime), fetched_at=fetched_at)]
        return [
            _v2_record(item.node, fetched_at=fetched_at) for item in _CONVERTER.structure(doc, _V2List).data
        ]
    return [_jikan_record(anime, fetched_at=fetched_at) for anime in _jikan_list(doc).data]


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    """Search (or season / ranking / schedule) hits with their MAL ids."""
    doc = _load(body)
    if _format_of(doc) == MAL_V2:
        if not (isinstance(doc, dict) and "data" in doc):
            return [_v2_candidate(_CONVERTER.structure(doc, _V2Anime))]
        return [_v2_candidate(item.node) for item in _CONVERTER.structure(doc, _V2List).data]
    return [_jikan_candidate(anime) for anime in _jikan_list(doc).data]


@guarded(SOURCE)
def parse_episodes(body: bytes | str, *, url: str = "") -> Page[Episode]:
    """One page of Jikan ``/anime/{id}/episodes``; ``next_url`` is the next page while there is one."""
    doc = _CONVERTER.structure(_load(body), _JEpisodes)
    episodes = []
    for item in doc.data:
        aired_at = parse_datetime(item.aired)
        episodes.append(
            Episode(
                number=positive_int(item.mal_id),
                title=clean_str(item.title),
                titles=tuple(t for t in dedupe([item.title_romanji, item.title_japanese]) if t != item.title),
                aired=aired_at.date() if aired_at else None,
                score=_rating(item.score, None, scale=5.0),
                filler=item.filler,
                recap=item.recap,
                url=clean_str(item.url),
                episode_id=str(item.mal_id) if item.mal_id is not None else None,
            )
        )
    pagination = doc.pagination
    next_url = None
    if pagination is not None and pagination.has_next_page and url:
        next_url = _next_page_url(url, pagination.current_page or _page_of(url))
    return Page(items=tuple(episodes), next_url=next_url)


def _person(p: _JPerson, *, roles: tuple[str, ...] = (), language: str | None = None) -> PersonCredit:
    return PersonCredit(
        name=p.name,
        roles=roles,
        language=clean_str(language),
        person_id=str(p.mal_id) if p.mal_id is not None else None,
        url=clean_str(p.url),
        picture=_person_picture(p.images),
    )


@guarded(SOURCE)
def parse_characters(body: bytes | str, *, url: str = "") -> list[CharacterCredit]:
    """Jikan ``/anime/{id}/characters``: characters with their role and voice actors."""
    doc = _CONVERTER.structure(_load(body), _JCharacters)
    return [
        CharacterCredit(
            name=item.character.name,
            role=(clean_str(item.role) or "").lower() or None,
            character_id=str(item.character.mal_id) if item.character.mal_id is not None else None,
            url=clean_str(item.character.url),
            picture=_person_picture(item.character.images),
            voice_actors=tuple(_person(va.person, language=va.language) for va in item.voice_actors),
        )
        for item in doc.data
    ]


@guarded(SOURCE)
def parse_staff(body: bytes | str, *, url: str = "") -> list[PersonCredit]:
    """Jikan ``/anime/{id}/staff``: people with their positions."""
    doc = _CONVERTER.structure(_load(body), _JStaff)
    return [_person(item.person, roles=dedupe(item.positions)) for item in doc.data]


def _weekday(value: str | None) -> int | None:
    text = (value or "").strip().lower().rstrip("s")
    return _WEEKDAYS.index(text) if text in _WEEKDAYS else None


def _local_time(value: str | None) -> dt.time | None:
    match = _TIME.match(value or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    return dt.time(hour, minute) if hour < 24 and minute < 60 else None


@guarded(SOURCE)
def parse_schedule(body: bytes | str, *, url: str = "") -> list[AiringSlot]:
    """Jikan ``/schedules``: each airing anime's weekly broadcast slot (Japanese broadcast time)."""
    slots = []
    for anime in _jikan_list(_load(body)).data:
        pid = _mal_id(anime.mal_id)
        broadcast = anime.broadcast or _JBroadcast()
        slots.append(
            AiringSlot(
                platform_id=pid,
                title=clean_str(anime.title) or pid.id,
                kind=AirKind.RAW,
                episodes=positive_int(anime.episodes),
                weekday=_weekday(broadcast.day),
                local_time=_local_time(broadcast.time),
                timezone=clean_str(broadcast.timezone),
                titles=tuple(t for t in dedupe(_jikan_titles(anime)) if t != anime.title),
                type=anime_type(anime.type),
                duration_seconds=_duration_seconds(anime.duration),
                picture=_picture_jikan(anime.images),
                streaming=tuple(
                    StreamingLink(service=name, url=link)
                    for item in anime.streaming or ()
                    if (name := clean_str(item.name)) and (link := clean_str(item.url))
                ),
            )
        )
    return slots
