"""Kitsu JSON:API parsers (``https://kitsu.app/api/edge``). Pure functions, no I/O.

- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: ``GET /anime/{id}`` or the list-shaped
  ``GET /anime?filter[id]={id}`` (``filter[slug]=``), with whatever ``include=`` brought along: ``genres``,
  ``categories`` (tags), ``animeProductions.producer`` (studios), ``mediaRelationships.destination``,
  ``mappings`` (cross ids) and ``streamingLinks.streamer``. An empty ``data`` list is ``NotFound``.
- ``parse_search(body, *, url) -> list[SearchCandidate]``: ``GET /anime?filter[text]=...`` (any anime list).
- ``parse_episodes(body, *, url) -> Page[Episode]``: ``GET /anime/{id}/episodes``; ``next_url`` is the
  answer's ``links.next`` (follow it until it is None).
- ``parse_streaming_links(body, *, url) -> list[StreamingLink]``: ``GET /anime/{id}/streaming-links
  ?include=streamer``.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``: JSON:API ``errors`` documents,
  429, challenge pages.

Scores keep Kitsu's ``averageRating`` percentage (scale 100); votes are the sum of ``ratingFrequencies``.
Titles keep their languages from the ``titles`` keys (``en_jp`` romaji is ``ja-Latn``, ``ja_jp`` ``ja``,
``en_us`` ``en``; ``core.languages``); synopses are English. Characters and staff are not read: they would
need another ``include`` (or request), and Kitsu's castings are no longer maintained.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from attrs import frozen

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    camel,
    clean_str,
    dedupe,
    detect_json_error,
    float_from_text,
    guarded,
    guarded_detector,
    int_from_text,
    load_json_checked,
    parse_datetime,
    partial_date,
    platform_id_or_none,
    positive_int,
    require_id,
    retry_after,
    season_of,
    wire_converter,
)
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, RateLimited, SourceError, Unavailable
from anime_mcp.core.languages import UNDETERMINED, distinct_texts, localized_text
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.sources import (
    Episode,
    LocalizedText,
    Page,
    Rating,
    RelatedEntry,
    SearchCandidate,
    SourceRecord,
    StreamingLink,
)

SOURCE = "kitsu"

__all__ = [
    "detect_error",
    "parse_anime",
    "parse_episodes",
    "parse_search",
    "parse_streaming_links",
]

# ============================================================================================ wire


@frozen
class _Relationship:
    data: Any = None
    present: bool = False  # whether the answer carried "data" at all (only links otherwise)


@frozen
class _Resource:
    id: str
    type: str
    attributes: dict[str, Any] | None = None
    relationships: dict[str, dict[str, Any]] | None = None

    def relationship(self, name: str) -> _Relationship:
        rel = (self.relationships or {}).get(name)
        if not isinstance(rel, dict) or "data" not in rel:
            return _Relationship()
        return _Relationship(data=rel["data"], present=True)


@frozen
class _Document:
    data: Any
    included: tuple[_Resource, ...] | None = None
    links: dict[str, Any] | None = None
    meta: dict[str, Any] | None = None


@frozen
class _Image:
    original: str | None = None
    large: str | None = None
    medium: str | None = None
    small: str | None = None
    tiny: str | None = None


@frozen
class _AnimeAttributes:
    slug: str | None = None
    synopsis: str | None = None
    description: str | None = None
    titles: dict[str, str | None] | None = None
    canonical_title: str | None = None
    abbreviated_titles: tuple[str | None, ...] | None = None
    average_rating: str | float | None = None
    rating_frequencies: dict[str, Any] | None = None
    start_date: str | None = None
    end_date: str | None = None
    popularity_rank: int | None = None
    rating_rank: int | None = None
    subtype: str | None = None
    show_type: str | None = None
    status: str | None = None
    poster_image: _Image | None = None
    episode_count: int | None = None
    episode_length: int | None = None


@frozen
class _EpisodeAttributes:
    canonical_title: str | None = None
    titles: dict[str, str | None] | None = None
    number: int | None = None
    relative_number: int | None = None
    season_number: int | None = None
    synopsis: str | None = None
    description: str | None = None
    airdate: str | None = None
    length: int | None = None


@frozen
class _StreamingAttributes:
    url: str | None = None
    subs: tuple[str | None, ...] | None = None
    dubs: tuple[str | None, ...] | None = None
    regions: tuple[str | None, ...] | None = None  # ISO 3166 codes where the link plays ("US", "CA")


_CONVERTER = wire_converter(rename=camel)
_CONVERTER.register_structure_hook(str | float | None, lambda v, _: _str_or_number(v))


def _str_or_number(value: Any) -> str | float | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise TypeError(f"expected a string or a number, got {type(value).__name__}")


# ============================================================================================ errors


def _error_from_document(doc: object, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    if not isinstance(doc, dict) or "data" in doc:
        return None
    errors = doc.get("errors")
    if not isinstance(errors, list) or not errors:
        return None
    first = errors[0] if isinstance(errors[0], dict) else {}
    code = int_from_text(first.get("status") or first.get("code")) or 0
    message = " ".join(str(first.get("detail") or first.get("title") or "error").split())[:300]
    if code == 404:
        return NotFound(message, source=SOURCE)
    if code == 429:
        return RateLimited(message, source=SOURCE, retry_after=retry_after(headers))
    if code in (401, 403):
        return AuthRequired(message, source=SOURCE)
    return Unavailable(f"Kitsu refused the request ({code or 'no status'}): {message}", source=SOURCE)


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error a Kitsu answer stands for (JSON:API ``errors``, 429, ...), or None."""
    return detect_json_error(
        status, body, source=SOURCE, document_error=_error_from_document, headers=headers
    )


def _document(body: bytes | str) -> _Document:
    doc = load_json_checked(body, source=SOURCE, document_error=_error_from_document)
    if not isinstance(doc, dict) or "data" not in doc:
        raise ParseError("not a JSON:API document (no data member)", source=SOURCE)
    document: _Document = _CONVERTER.structure(doc, _Document)
    return document


def _resources(data: Any) -> list[_Resource]:
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    return [_CONVERTER.structure(item, _Resource) for item in items]


class _Included:
    def __init__(self, included: tuple[_Resource, ...] | None) -> None:
        self.present = included is not None
        self._by_key = {(r.type, r.id): r for r in included or ()}

    def get(self, ref: Any) -> _Resource | None:
        if not isinstance(ref, dict):
            return None
        type_, id_ = ref.get("type"), ref.get("id")
        if not isinstance(type_, str) or not isinstance(id_, str | int) or isinstance(id_, bool):
            return None
        return self._by_key.get((type_, str(id_)))

    def resolve(self, rel: _Relationship) -> list[_Resource] | None:
        """The included resources a relationship points to; None when the answer cannot say."""
        if not rel.present:
            return None
        refs = rel.data if isinstance(rel.data, list) else [rel.data] if rel.data is not None else []
        found = [self.get(ref) for ref in refs]
        if any(r is None for r in found):
            return None  # not (all) included: the list we could build would be incomplete
        return [r for r in found if r is not None]


# ============================================================================================ mapping

_STATUS = {
    "finished": Status.FINISHED,
    "current": Status.ONGOING,
    "upcoming": Status.UPCOMING,
    "unreleased": Status.UPCOMING,
    "tba": Status.UNKNOWN,
}
# Kitsu mapping "externalSite" -> platform.
_MAPPING_SITES = {
    "myanimelist/anime": Platform.MAL,
    "anilist/anime": Platform.ANILIST,
    "anilist": Platform.ANILIST,
    "anidb": Platform.ANIDB,
    "animenewsnetwork": Platform.ANN,
    "anime_news_network": Platform.ANN,
    "anisearch": Platform.ANISEARCH,
    "animeplanet": Platform.ANIMEPLANET,
    "livechart": Platform.LIVECHART,
    "notify": Platform.NOTIFY,
}


def _attrs(resource: _Resource, cls: type[Any]) -> Any:
    return _CONVERTER.structure(resource.attributes or {}, cls)


def _kitsu_id(value: object) -> PlatformId:
    return require_id(Platform.KITSU, value, source=SOURCE)


def _score(attributes: _AnimeAttributes) -> Rating | None:
    value = float_from_text(attributes.average_rating)
    if value is None or not 0 < value <= 100:
        return None
    votes = None
    if attributes.rating_frequencies is not None:
        counts = [int_from_text(v) for v in attributes.rating_frequencies.values()]
        votes = sum(c for c in counts if c is not None and c > 0)
    return Rating(value=value, scale=100.0, votes=votes)


def _picture(image: _Image | None) -> str | None:
    if image is None:
        return None
    for candidate in (image.original, image.large, image.medium, image.small, image.tiny):
        url = clean_str(candidate)
        if url and "/missing" not in url:
            return url
    return None


def _titles(attributes: _AnimeAttributes) -> list[str | None]:
    titles = list((attributes.titles or {}).values())
    return titles + list(attributes.abbreviated_titles or ())


def _localized_titles(attributes: _AnimeAttributes) -> list[LocalizedText | None]:
    """``titles`` by key (``en_jp`` romaji, ``ja_jp`` Japanese ...): the canonical one is the main title;
    ``abbreviatedTitles`` are synonyms in no stated language."""
    main = clean_str(attributes.canonical_title)
    titles: list[LocalizedText | None] = []
    for key, text in (attributes.titles or {}).items():
        kind = "main" if main is not None and clean_str(text) == main else "official"
        titles.append(localized_text(key, text, kind))
        main = None if kind == "main" else main  # one main title
    synonyms = (localized_text(UNDETERMINED, t, "synonym") for t in attributes.abbreviated_titles or ())
    return titles + list(synonyms)


def _title(attributes: _AnimeAttributes) -> str | None:
    titles = attributes.titles or {}
    return (
        clean_str(attributes.canonical_title) or clean_str(titles.get("en_jp")) or clean_str(titles.get("en"))
    )


def _names(resources: list[_Resource] | None, key: str) -> list[str | None] | None:
    if resources is None:
        return None
    return [clean_str((r.attributes or {}).get(key)) for r in resources]


def _studios(anime: _Resource, included: _Included) -> list[str | None] | None:
    productions = included.resolve(anime.relationship("animeProductions"))
    if productions is None:
        return None
    names: list[str | None] = []
    for production in productions:
        if (production.attributes or {}).get("role") != "studio":
            continue
        producers = included.resolve(production.relationship("producer"))
        if producers is None:
            return None
        names += [clean_str((p.attributes or {}).get("name")) for p in producers]
    return names


def _relations(anime: _Resource, included: _Included) -> list[RelatedEntry] | None:
    relationships = included.resolve(anime.relationship("mediaRelationships"))
    if relationships is None:
        return None
    entries = []
    for relationship in relationships:
        role = clean_str((relationship.attributes or {}).get("role")) or "other"
        destination = relationship.relationship("destination")
        ref = destination.data if isinstance(destination.data, dict) else {}
        target = included.get(ref)
        media = clean_str(ref.get("type")) or "unknown"
        target_id = ref.get("id")
        pid = platform_id_or_none(Platform.KITSU, target_id) if media == "anime" else None
        title = None
        if target is not None:
            attributes = target.attributes or {}
            title = clean_str(attributes.get("canonicalTitle"))
        entries.append(
            RelatedEntry(
                relation=role.replace("_", " ").lower(),
                title=title,
                platform_id=pid,
                media=media,
                url=canonical_url(pid)
                if pid
                else (f"https://kitsu.app/{media}/{target_id}" if target_id else None),
            )
        )
    return entries


def _cross_ids(anime: _Resource, included: _Included) -> list[PlatformId | None] | None:
    mappings = included.resolve(anime.relationship("mappings"))
    if mappings is None:
        return None
    ids = []
    for mapping in mappings:
        attributes = mapping.attributes or {}
        platform = _MAPPING_SITES.get(str(attributes.get("externalSite") or ""))
        if platform is not None:
            ids.append(platform_id_or_none(platform, attributes.get("externalId")))
    return ids


def _streaming_link(link: _Resource, included: _Included) -> StreamingLink | None:
    attributes: _StreamingAttributes = _attrs(link, _StreamingAttributes)
    url = clean_str(attributes.url)
    if url is None:
        return None
    streamers = included.resolve(link.relationship("streamer")) or []
    service = next((clean_str((s.attributes or {}).get("siteName")) for s in streamers), None)
    return StreamingLink(
        service=service or (urlsplit(url).hostname or "unknown"),
        url=url,
        regions=dedupe(r.upper() for r in attributes.regions or () if r),
        subtitles=dedupe(attributes.subs or ()),
        dubs=dedupe(attributes.dubs or ()),
    )


def _record(anime: _Resource, included: _Included, *, fetched_at: dt.datetime) -> SourceRecord:
    attributes: _AnimeAttributes = _attrs(anime, _AnimeAttributes)
    b = RecordBuilder(_kitsu_id(anime.id))
    b.set("title", _title(attributes))
    if attributes.titles is not None or attributes.abbreviated_titles is not None:
        b.set_list("titles", _titles(attributes))
        b.set_list("localized_titles", distinct_texts(_localized_titles(attributes)))
    b.set("type", anime_type(attributes.subtype or attributes.show_type))
    b.set("episodes", positive_int(attributes.episode_count))
    b.set("status", _STATUS.get(attributes.status or ""))
    start, end = partial_date(attributes.start_date), partial_date(attributes.end_date)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("season", season_of(start))
    b.set("year", start.year if start else None)
    b.set("score", _score(attributes))
    b.set("rank", positive_int(attributes.rating_rank))
    b.set("popularity", positive_int(attributes.popularity_rank))
    synopsis = clean_str(attributes.synopsis) or clean_str(attributes.description)
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # Kitsu's synopses are English
    b.set_list("studios", _studios(anime, included))
    b.set_list("genres", _names(included.resolve(anime.relationship("genres")), "name"))
    b.set_list("tags", _names(included.resolve(anime.relationship("categories")), "title"))
    b.set("picture", _picture(attributes.poster_image))
    length = positive_int(attributes.episode_length)
    b.set("duration_seconds", length * 60 if length else None)
    streaming = included.resolve(anime.relationship("streamingLinks"))
    if streaming is not None:
        b.set_list("streaming", [_streaming_link(link, included) for link in streaming])
    b.set_list("cross_ids", _cross_ids(anime, included))
    b.set_list("relations", _relations(anime, included))
    return b.build(fetched_at=fetched_at)


def _requested_id(url: str) -> str | None:
    parts = urlsplit(url)
    for key, value in parse_qsl(parts.query):
        if key in ("filter[id]", "filter[slug]"):
            return value
    tail = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, url: str = "", fetched_at: dt.datetime) -> SourceRecord:
    """One anime (single resource or the one matching the requested id/slug in a list answer)."""
    document = _document(body)
    animes = [r for r in _resources(document.data) if r.type == "anime"]
    if not animes:
        raise NotFound("Kitsu returned no anime (deleted or unknown entry)", source=SOURCE)
    wanted = _requested_id(url)
    anime = next(
        (a for a in animes if wanted in (a.id, (a.attributes or {}).get("slug"))),
        animes[0],
    )
    return _record(anime, _Included(document.included), fetched_at=fetched_at)


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    document = _document(body)
    candidates = []
    for anime in _resources(document.data):
        if anime.type != "anime":
            continue
        attributes: _AnimeAttributes = _attrs(anime, _AnimeAttributes)
        pid = _kitsu_id(anime.id)
        title = _title(attributes)
        start = partial_date(attributes.start_date)
        candidates.append(
            SearchCandidate(
                platform_id=pid,
                title=title or pid.id,
                url=canonical_url(pid),
                titles=tuple(t for t in dedupe(_titles(attributes)) if t != title),
                type=anime_type(attributes.subtype or attributes.show_type),
                year=start.year if start else None,
                episodes=positive_int(attributes.episode_count),
                status=_STATUS.get(attributes.status or ""),
                picture=_picture(attributes.poster_image),
                score=_score(attributes),
            )
        )
    return candidates


@guarded(SOURCE)
def parse_episodes(body: bytes | str, *, url: str = "") -> Page[Episode]:
    """One page of episodes; ``next_url`` is ``links.next`` (None on the last page)."""
    document = _document(body)
    episodes = []
    for resource in _resources(document.data):
        if resource.type != "episodes":
            continue
        attributes: _EpisodeAttributes = _attrs(resource, _EpisodeAttributes)
        title = clean_str(attributes.canonical_title)
        aired = partial_date(attributes.airdate)
        aired_at = (
            parse_datetime(attributes.airdate) if attributes.airdate and "T" in attributes.airdate else None
        )
        length = positive_int(attributes.length)
        episodes.append(
            Episode(
                number=positive_int(attributes.number),
                title=title,
                titles=tuple(t for t in dedupe((attributes.titles or {}).values()) if t != title),
                aired=aired.full if aired else None,
                aired_at=aired_at,
                duration_seconds=length * 60 if length else None,
                synopsis=clean_str(attributes.synopsis) or clean_str(attributes.description),
                episode_id=resource.id,
            )
        )
    links = document.links or {}
    meta = document.meta or {}
    return Page(
        items=tuple(episodes), next_url=clean_str(links.get("next")), total=int_from_text(meta.get("count"))
    )


@guarded(SOURCE)
def parse_streaming_links(body: bytes | str, *, url: str = "") -> list[StreamingLink]:
    """``/anime/{id}/streaming-links?include=streamer``: each link with its service and languages."""
    document = _document(body)
    included = _Included(document.included)
    links = [_streaming_link(r, included) for r in _resources(document.data) if r.type == "streamingLinks"]
    return [link for link in links if link is not None]
