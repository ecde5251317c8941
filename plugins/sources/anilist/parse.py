"""AniList GraphQL parsers (``POST https://graphql.anilist.co``). Pure functions, no I/O.

Every function takes the whole GraphQL answer (``{"data": ..., "errors": [...]}``):

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``query { Media(id: ..., type: ANIME) {...} }``;
  ``idMal`` becomes a MAL cross id.
- ``parse_anime_list(body, *, url, fetched_at) -> list[SourceRecord]`` (alias ``parse_season``):
  ``Page { media {...} }`` answers (season lists, searches with full fields).
- ``parse_search(body, *, url) -> list[SearchCandidate]``: ``Page { media {...} }`` (or one ``Media``).
- ``parse_characters(body, *, url) -> list[CharacterCredit]``: ``Media { characters | characterPreview
  { edges { role node {...} voiceActors {...} } } }``.
- ``parse_staff(body, *, url) -> list[PersonCredit]``: ``Media { staff | staffPreview { edges {...} } }``.
- ``parse_schedule(body, *, url) -> list[AiringSlot]``: ``Media { airingSchedule { nodes {...} }
  nextAiringEpisode {...} }`` and ``Page { airingSchedules { airingAt episode media {...} } }``.
- ``page_info(body) -> tuple[int | None, bool]``: current page and ``hasNextPage`` of a ``Page`` answer.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``.

Scores keep AniList's 100-point scale (``averageScore``, else ``meanScore``). Titles keep their languages
(``localized_titles``): ``english`` is ``en``, ``native`` the language of ``countryOfOrigin`` (``ja`` for
JP, ``zh`` for CN, ...), ``romaji`` that language in Latin script (``ja-Latn``); without a country both
are ``und``/``und-Latn``; synonyms say no language (``und``). The description is English. A ``Media``
that carries ``characters``/``characterPreview`` or ``staff``/``staffPreview`` fills those fields too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import frozen

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    camel,
    clean_str,
    date_parts,
    dedupe,
    detect_json_error,
    guarded,
    guarded_detector,
    html_to_text,
    load_json_checked,
    platform_id_or_none,
    positive_int,
    require_id,
    retry_after,
    season_named,
    season_of,
    wire_converter,
)
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, RateLimited, SourceError, Unavailable
from anime_mcp.core.languages import UNDETERMINED, distinct_texts, localized_text
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import (
    CharacterCredit,
    LocalizedText,
    PersonCredit,
    Rating,
    RecommendedEntry,
    RelatedEntry,
    SearchCandidate,
    SourceRecord,
    StreamingLink,
)

SOURCE = "anilist"

__all__ = [
    "detect_error",
    "page_info",
    "parse_anime",
    "parse_anime_list",
    "parse_characters",
    "parse_schedule",
    "parse_search",
    "parse_season",
    "parse_staff",
]

# ============================================================================================ wire


@frozen
class _Title:
    romaji: str | None = None
    english: str | None = None
    native: str | None = None
    user_preferred: str | None = None


@frozen
class _FuzzyDate:
    year: int | None = None
    month: int | None = None
    day: int | None = None


@frozen
class _Cover:
    extra_large: str | None = None
    large: str | None = None
    medium: str | None = None


@frozen
class _StudioNode:
    name: str
    id: int | None = None
    is_animation_studio: bool | None = None


@frozen
class _StudioEdge:
    node: _StudioNode
    is_main: bool | None = None


@frozen
class _Studios:
    edges: tuple[_StudioEdge, ...] | None = None
    nodes: tuple[_StudioNode, ...] | None = None


@frozen
class _RelatedNode:
    id: int
    id_mal: int | None = None
    type: str | None = None
    format: str | None = None
    title: _Title | None = None


@frozen
class _RelationEdge:
    node: _RelatedNode
    relation_type: str | None = None


@frozen
class _Relations:
    edges: tuple[_RelationEdge, ...] = ()


@frozen
class _ExternalLink:
    url: str | None = None
    site: str | None = None
    type: str | None = None


@frozen
class _Ranking:
    rank: int
    type: str
    all_time: bool | None = None
    format: str | None = None
    season: str | None = None
    year: int | None = None


@frozen
class _Tag:
    name: str
    rank: int | None = None
    is_media_spoiler: bool | None = None
    is_general_spoiler: bool | None = None


@frozen
class _ScoreBucket:
    score: int | None = None
    amount: int | None = None


@frozen
class _Stats:
    score_distribution: tuple[_ScoreBucket, ...] | None = None


@frozen
class _Airing:
    airing_at: int
    episode: int | None = None


@frozen
class _AiringSchedule:
    nodes: tuple[_Airing, ...] = ()


@frozen
class _Name:
    full: str | None = None
    first: str | None = None
    last: str | None = None
    native: str | None = None


@frozen
class _Image:
    large: str | None = None
    medium: str | None = None


@frozen
class _Person:
    id: int | None = None
    name: _Name | None = None
    image: _Image | None = None
    language: str | None = None
    language_v2: str | None = None
    site_url: str | None = None


@frozen
class _CharacterEdge:
    node: _Person
    role: str | None = None
    voice_actors: tuple[_Person, ...] | None = None


@frozen
class _Characters:
    edges: tuple[_CharacterEdge, ...] = ()


@frozen
class _StaffEdge:
    node: _Person
    role: str | None = None


@frozen
class _Staff:
    edges: tuple[_StaffEdge, ...] = ()


@frozen
class _RecommendationNode:
    rating: int | None = None
    media_recommendation: _RelatedNode | None = None


@frozen
class _Recommendations:
    nodes: tuple[_RecommendationNode | None, ...] = ()


@frozen
class _Media:
    id: int
    id_mal: int | None = None
    country_of_origin: str | None = None
    title: _Title | None = None
    synonyms: tuple[str, ...] | None = None
    type: str | None = None
    format: str | None = None
    status: str | None = None
    episodes: int | None = None
    duration: int | None = None
    start_date: _FuzzyDate | None = None
    end_date: _FuzzyDate | None = None
    season: str | None = None
    season_year: int | None = None
    average_score: int | None = None
    mean_score: int | None = None
    description: str | None = None
    genres: tuple[str, ...] | None = None
    cover_image: _Cover | None = None
    studios: _Studios | None = None
    relations: _Relations | None = None
    external_links: tuple[_ExternalLink, ...] | None = None
    rankings: tuple[_Ranking, ...] | None = None
    tags: tuple[_Tag, ...] | None = None
    stats: _Stats | None = None
    next_airing_episode: _Airing | None = None
    airing_schedule: _AiringSchedule | None = None
    characters: _Characters | None = None
    character_preview: _Characters | None = None
    staff: _Staff | None = None
    staff_preview: _Staff | None = None
    recommendations: _Recommendations | None = None
    site_url: str | None = None


@frozen
class _PageInfo:
    current_page: int | None = None
    has_next_page: bool | None = None
    total: int | None = None


@frozen
class _ScheduleEntry:
    airing_at: int
    media: _Media
    episode: int | None = None


@frozen
class _Page:
    page_info: _PageInfo | None = None
    media: tuple[_Media, ...] | None = None
    airing_schedules: tuple[_ScheduleEntry, ...] | None = None


_CONVERTER = wire_converter(rename=camel)

# ============================================================================================ errors


def _error_from_document(doc: object, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    if not isinstance(doc, dict):
        return None
    errors = doc.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    first = errors[0] if isinstance(errors[0], dict) else {}
    message = " ".join(str(first.get("message") or "GraphQL error").split())[:300]
    status = first.get("status")
    code = status if isinstance(status, int) and not isinstance(status, bool) else 0
    lowered = message.lower()
    if code == 429 or "too many requests" in lowered:
        return RateLimited(message, source=SOURCE, retry_after=retry_after(headers))
    if code == 404 or lowered.startswith("not found"):
        return NotFound(message, source=SOURCE)
    if code == 401 or "invalid token" in lowered or "unauthorized" in lowered:
        return AuthRequired(message, source=SOURCE)
    if "temporarily disabled" in lowered or code >= 500 or code == 403:
        return Unavailable(message, source=SOURCE)
    data = doc.get("data")
    if isinstance(data, dict) and any(v is not None for v in data.values()):
        return None  # partial data with a warning-like error: let the parser use the data
    return Unavailable(f"AniList refused the query ({code or 'no status'}): {message}", source=SOURCE)


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error an AniList answer stands for (GraphQL ``errors``, 429, ...), or None."""
    return detect_json_error(
        status, body, source=SOURCE, headers=headers, document_error=_error_from_document, by_status=_refused
    )


def _refused(status: int, doc: object, raw: bytes) -> SourceError | None:
    if status in (400, 403) and isinstance(doc, dict):
        return Unavailable(f"AniList refused the query (HTTP {status})", source=SOURCE)
    return None


def _data(body: bytes | str) -> dict[str, Any]:
    doc = load_json_checked(body, source=SOURCE, document_error=_error_from_document)
    if not isinstance(doc, dict) or not isinstance(doc.get("data"), dict):
        raise ParseError("not an AniList GraphQL answer (no data object)", source=SOURCE)
    data: dict[str, Any] = doc["data"]
    return data


def _media(body: bytes | str) -> _Media:
    data = _data(body)
    if "Media" not in data:
        raise ParseError("the GraphQL answer has no Media", source=SOURCE)
    if data["Media"] is None:
        raise NotFound("AniList has no such anime", source=SOURCE)
    media: _Media = _CONVERTER.structure(data["Media"], _Media)
    return media


def _page(body: bytes | str) -> _Page:
    data = _data(body)
    if data.get("Page") is None:
        raise ParseError("the GraphQL answer has no Page", source=SOURCE)
    page: _Page = _CONVERTER.structure(data["Page"], _Page)
    return page


# ============================================================================================ mapping

_STATUS = {
    "FINISHED": Status.FINISHED,
    "RELEASING": Status.ONGOING,
    "HIATUS": Status.ONGOING,
    "NOT_YET_RELEASED": Status.UPCOMING,
    "CANCELLED": Status.UNKNOWN,
}
# Streaming services among AniList's external links, for answers whose links carry no "type".
_STREAMING_SITES = frozenset(
    {
        "crunchyroll", "funimation", "netflix", "hulu", "amazon", "amazon prime video", "hidive",
        "disney plus", "tubi tv", "adult swim", "vrv", "bilibili tv", "iqiyi", "wakanim", "animelab",
        "hbo max", "max", "retrocrush", "tver", "abema", "u-next", "d anime store", "youtube",
        "aniplus", "muse asia", "ani-one asia", "viki", "viu", "tencent video", "youku", "bilibili",
    }
)  # fmt: skip


def _anilist_id(value: object) -> PlatformId:
    return require_id(Platform.ANILIST, value, source=SOURCE)


def _title(media: _Media) -> str | None:
    t = media.title
    if t is None:
        return None
    return clean_str(t.romaji) or clean_str(t.user_preferred) or clean_str(t.english) or clean_str(t.native)


def _titles(media: _Media) -> list[str | None]:
    t = media.title or _Title()
    return [t.english, t.native, t.user_preferred, t.romaji, *(media.synonyms or ())]


# AniList's countryOfOrigin (ISO 3166-1) -> the language of the native title.
_NATIVE_LANGUAGE = {"JP": "ja", "CN": "zh", "KR": "ko", "TW": "zh-Hant", "HK": "zh-Hant", "TH": "th"}


def _localized_titles(media: _Media) -> list[LocalizedText | None]:
    t = media.title or _Title()
    native = _NATIVE_LANGUAGE.get((media.country_of_origin or "").upper(), UNDETERMINED)
    return [
        localized_text(f"{native.split('-')[0]}-Latn", t.romaji, "main"),
        localized_text("en", t.english, "official"),
        localized_text(native, t.native, "official"),
        *(localized_text(UNDETERMINED, synonym, "synonym") for synonym in media.synonyms or ()),
    ]


def _picture(media: _Media) -> str | None:
    cover = media.cover_image
    if cover is None:
        return None
    url = clean_str(cover.extra_large) or clean_str(cover.large) or clean_str(cover.medium)
    return None if url is None or url.rsplit("/", 1)[-1].startswith("default.") else url


def _score(media: _Media) -> Rating | None:
    value = media.average_score if media.average_score else media.mean_score
    if not value or not 0 < value <= 100:
        return None
    votes = None
    if media.stats is not None and media.stats.score_distribution is not None:
        votes = sum(max(b.amount or 0, 0) for b in media.stats.score_distribution)
    return Rating(value=float(value), scale=100.0, votes=votes)


def _ranking(media: _Media, kind: str) -> int | None:
    for ranking in media.rankings or ():
        if ranking.type == kind and ranking.all_time and ranking.season is None and ranking.year is None:
            return positive_int(ranking.rank)
    return None


def _relation(edge: _RelationEdge) -> RelatedEntry:
    node = edge.node
    media = (node.type or "unknown").lower()
    pid = _anilist_id(node.id) if media in ("anime", "unknown") else None
    title = node.title
    return RelatedEntry(
        relation=" ".join((edge.relation_type or "other").replace("_", " ").lower().split()),
        title=(clean_str(title.user_preferred) or clean_str(title.romaji)) if title else None,
        platform_id=pid,
        media=media,
        url=canonical_url(pid) if pid else f"https://anilist.co/{media}/{node.id}",
    )


def _is_streaming(link: _ExternalLink) -> bool:
    if link.type is not None:
        return link.type.upper() == "STREAMING"
    return (link.site or "").strip().lower() in _STREAMING_SITES


def _record(media: _Media, *, fetched_at: dt.datetime) -> SourceRecord:
    b = RecordBuilder(_anilist_id(media.id))
    b.set("title", _title(media))
    if media.title is not None or media.synonyms is not None:
        b.set_list("titles", _titles(media))
        b.set_list("localized_titles", distinct_texts(_localized_titles(media)))
    b.set("type", anime_type(media.format))
    b.set("episodes", positive_int(media.episodes))
    b.set("status", _STATUS.get(media.status or ""))
    start = date_parts(*_ymd(media.start_date))
    end = date_parts(*_ymd(media.end_date))
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("season", season_named(media.season) or (season_of(start) if media.season is None else None))
    b.set("year", media.season_year or (start.year if start else None))
    b.set("score", _score(media))
    b.set("rank", _ranking(media, "RATED"))
    b.set("popularity", _ranking(media, "POPULAR"))
    synopsis = html_to_text(media.description)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # AniList's descriptions are English
    characters = media.characters or media.character_preview
    if characters is not None:
        b.set_list("characters", _character_credits(characters))
    staff = media.staff or media.staff_preview
    if staff is not None:
        b.set_list("staff", _staff_credits(staff))
    if media.studios is not None:
        edges = media.studios.edges
        if edges is not None:
            b.set_list("studios", [e.node.name for e in edges if e.is_main])
        elif media.studios.nodes is not None:
            b.set_list("studios", [n.name for n in media.studios.nodes if n.is_animation_studio is not False])
    if media.genres is not None:
        b.set_list("genres", media.genres)
    if media.tags is not None:
        b.set_list(
            "tags", [t.name for t in media.tags if not t.is_media_spoiler and not t.is_general_spoiler]
        )
    b.set("picture", _picture(media))
    b.set("duration_seconds", media.duration * 60 if media.duration and media.duration > 0 else None)
    if media.external_links is not None:
        b.set_list(
            "streaming",
            [
                StreamingLink(service=site, url=link_url)
                for link in media.external_links
                if _is_streaming(link)
                and (site := clean_str(link.site))
                and (link_url := clean_str(link.url))
            ],
        )
    if media.id_mal is not None:
        b.set_list("cross_ids", [platform_id_or_none(Platform.MAL, media.id_mal)])
    if media.relations is not None:
        b.set_list("relations", [_relation(edge) for edge in media.relations.edges])
    if media.recommendations is not None:
        b.set_list("recommendations", _recommended(media.recommendations))
    return b.build(fetched_at=fetched_at)


def _recommended(block: _Recommendations) -> list[RecommendedEntry]:
    """Anime AniList's users recommend to fans of this one, by their rating (net upvotes); manga and
    recommendations nobody upvoted are left out."""
    found: list[RecommendedEntry] = []
    for node in block.nodes:
        other = node.media_recommendation if node is not None else None
        if other is None or (other.type or "ANIME").upper() != "ANIME":
            continue
        votes = positive_int(node.rating) if node is not None else None
        if votes is None:
            continue
        title = other.title
        name = (clean_str(title.user_preferred) or clean_str(title.romaji)) if title else None
        found.append(RecommendedEntry(platform_id=_anilist_id(other.id), votes=votes, title=name))
    return sorted(found, key=lambda r: -r.votes)


def _ymd(date: _FuzzyDate | None) -> tuple[int | None, int | None, int | None]:
    return (date.year, date.month, date.day) if date is not None else (None, None, None)


def _candidate(media: _Media) -> SearchCandidate:
    pid = _anilist_id(media.id)
    title = _title(media)
    start = date_parts(*_ymd(media.start_date))
    return SearchCandidate(
        platform_id=pid,
        title=title or pid.id,
        url=canonical_url(pid),
        titles=tuple(t for t in dedupe(_titles(media)) if t != title),
        type=anime_type(media.format),
        year=media.season_year or (start.year if start else None),
        episodes=positive_int(media.episodes),
        status=_STATUS.get(media.status or ""),
        picture=_picture(media),
        score=_score(media),
    )


def _name(person: _Person) -> str | None:
    name = person.name
    if name is None:
        return None
    joined = " ".join(part for part in (clean_str(name.first), clean_str(name.last)) if part)
    return clean_str(name.full) or clean_str(joined) or clean_str(name.native)


def _person(person: _Person, *, roles: tuple[str, ...] = ()) -> PersonCredit | None:
    name = _name(person)
    if name is None:
        return None
    return PersonCredit(
        name=name,
        roles=roles,
        language=clean_str(person.language_v2) or clean_str(person.language),
        person_id=str(person.id) if person.id is not None else None,
        url=clean_str(person.site_url) or (f"https://anilist.co/staff/{person.id}" if person.id else None),
        picture=clean_str(person.image.large) if person.image else None,
    )


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    """One ``Media``; ``{"data": {"Media": null}}`` (with a 404 error) is ``NotFound``."""
    return _record(_media(body), fetched_at=fetched_at)


@guarded(SOURCE)
def parse_anime_list(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> list[SourceRecord]:
    """Every ``Page.media`` item as a record (season lists, searches asking for full fields)."""
    return [_record(media, fetched_at=fetched_at) for media in _page(body).media or ()]


parse_season = parse_anime_list


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    data = _data(body)
    if data.get("Media") is not None:
        return [_candidate(_CONVERTER.structure(data["Media"], _Media))]
    return [_candidate(media) for media in _page(body).media or ()]


@guarded(SOURCE)
def page_info(body: bytes | str) -> tuple[int | None, bool]:
    """``(currentPage, hasNextPage)`` of a ``Page`` answer, to ask for the following page."""
    info = _page(body).page_info
    if info is None:
        return None, False
    return info.current_page, bool(info.has_next_page)


@guarded(SOURCE)
def parse_characters(body: bytes | str, *, url: str = "") -> list[CharacterCredit]:
    media = _media(body)
    block = media.characters or media.character_preview
    if block is None:
        raise ParseError("the Media has neither characters nor characterPreview", source=SOURCE)
    return _character_credits(block)


def _character_credits(block: _Characters) -> list[CharacterCredit]:
    credits = []
    for edge in block.edges:
        name = _name(edge.node)
        if name is None:
            continue
        actors = [_person(va) for va in edge.voice_actors or ()]
        credits.append(
            CharacterCredit(
                name=name,
                role=(clean_str(edge.role) or "").lower() or None,
                character_id=str(edge.node.id) if edge.node.id is not None else None,
                url=clean_str(edge.node.site_url)
                or (f"https://anilist.co/character/{edge.node.id}" if edge.node.id else None),
                picture=clean_str(edge.node.image.large) if edge.node.image else None,
                voice_actors=tuple(a for a in actors if a is not None),
            )
        )
    return credits


@guarded(SOURCE)
def parse_staff(body: bytes | str, *, url: str = "") -> list[PersonCredit]:
    """Staff edges, one credit per person with all their roles."""
    media = _media(body)
    block = media.staff or media.staff_preview
    if block is None:
        raise ParseError("the Media has neither staff nor staffPreview", source=SOURCE)
    return _staff_credits(block)


def _staff_credits(block: _Staff) -> list[PersonCredit]:
    roles: dict[str, list[str]] = {}
    people: dict[str, _Person] = {}
    for edge in block.edges:
        key = str(edge.node.id) if edge.node.id is not None else (_name(edge.node) or "")
        if not key:
            continue
        people.setdefault(key, edge.node)
        role = clean_str(edge.role)
        if role:
            roles.setdefault(key, []).append(role)
    credits = [_person(person, roles=dedupe(roles.get(key, []))) for key, person in people.items()]
    return [c for c in credits if c is not None]


def _from_epoch(value: object) -> dt.datetime | None:
    """AniList's ``airingAt`` (Unix seconds) as an aware UTC datetime; junk is None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    try:
        return dt.datetime.fromtimestamp(value, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _slot(media: _Media, airing_at: int, episode: int | None) -> AiringSlot | None:
    when = _from_epoch(airing_at)
    if when is None:
        return None
    pid = _anilist_id(media.id)
    title = _title(media)
    return AiringSlot(
        platform_id=pid,
        title=title or pid.id,
        kind=AirKind.RAW,
        airs_at=when,
        episode=positive_int(episode),
        episodes=positive_int(media.episodes),
        titles=tuple(t for t in dedupe(_titles(media)) if t != title),
        type=anime_type(media.format),
        duration_seconds=media.duration * 60 if media.duration and media.duration > 0 else None,
        picture=_picture(media),
    )


@guarded(SOURCE)
def parse_schedule(body: bytes | str, *, url: str = "") -> list[AiringSlot]:
    """Airing times of one ``Media`` (``airingSchedule`` + ``nextAiringEpisode``) or of a ``Page``."""
    data = _data(body)
    slots: list[AiringSlot | None] = []
    if data.get("Media") is not None:
        media = _media(body)
        seen: set[tuple[int, int | None]] = set()
        nodes = list(media.airing_schedule.nodes) if media.airing_schedule else []
        if media.next_airing_episode is not None:
            nodes.append(media.next_airing_episode)
        for node in nodes:
            if (node.airing_at, node.episode) not in seen:
                seen.add((node.airing_at, node.episode))
                slots.append(_slot(media, node.airing_at, node.episode))
    else:
        for entry in _page(body).airing_schedules or ():
            slots.append(_slot(entry.media, entry.airing_at, entry.episode))
    return [slot for slot in slots if slot is not None]
