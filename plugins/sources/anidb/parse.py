"""AniDB HTTP API parsers (``http://api.anidb.net:9001/httpapi?request=anime&aid=...``). Pure, no I/O.

The answer is XML (gzip-compressed on the wire; a still-compressed body is unpacked here too, with a size
cap). It is parsed with :func:`anime_mcp.adapters.source_toolkit.load_xml`: no DTD, no entities, no network,
bounded size and depth.

- ``parse_anime(body, *, url, fetched_at, credits=("characters", "staff")) -> SourceRecord``:
  ``request=anime``. AniDB states no airing status, so it is derived from the air dates relative to
  ``fetched_at``; ``1970-01-01`` is AniDB's placeholder for an unknown date. MAL and ANN ids come from
  ``<resources>`` (types 2 and 1). Every ``<title>`` keeps its ``xml:lang`` (``x-jat`` is romaji,
  ``ja-Latn``) and type (main, official, synonym, short) in ``localized_titles``; the description is
  English. ``credits`` names the credit lists to fill from the same document (characters, staff).
- ``parse_episodes(body, *, url) -> Page[Episode]``: the ``<episodes>`` of the same document.
- ``parse_characters(body, *, url) -> list[CharacterCredit]``: ``<characters>`` with their seiyuu.
- ``parse_staff(body, *, url) -> list[PersonCredit]``: ``<creators>``.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``: ``<error>banned</error>`` ->
  ``Blocked``, ``<error>Anime not found</error>`` -> ``NotFound``, client errors -> ``AuthRequired``,
  AntiLeech / challenge pages -> ``Blocked``.

Scores keep AniDB's 1-10 scale (the permanent rating, else the temporary one).
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
import zlib
from collections.abc import Collection, Mapping

from anime_mcp.adapters.source_toolkit import (
    MAX_XML_BYTES,
    Element,
    PartialDate,
    RecordBuilder,
    anime_type,
    as_bytes,
    challenge_reason,
    clean_str,
    dedupe,
    detect_http_error,
    float_from_text,
    guarded,
    guarded_detector,
    int_from_text,
    load_xml,
    looks_like_html,
    partial_date,
    platform_id_or_none,
    require_id,
    season_of,
    status_from_dates,
)
from anime_mcp.core.errors import AuthRequired, Blocked, NotFound, ParseError, SourceError, Unavailable
from anime_mcp.core.languages import distinct_texts, localized_text
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.core.sources import (
    CharacterCredit,
    Episode,
    Page,
    PersonCredit,
    Rating,
    RelatedEntry,
    SourceRecord,
    StreamingLink,
)

SOURCE = "anidb"
PICTURE_URL = "https://cdn.anidb.net/images/main/{}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

__all__ = [
    "PICTURE_URL",
    "detect_error",
    "parse_anime",
    "parse_characters",
    "parse_episodes",
    "parse_staff",
]

# ============================================================================================ document


def _gunzip(raw: bytes) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(raw, MAX_XML_BYTES + 1)
    except zlib.error as exc:
        raise ParseError(f"corrupt gzip body: {exc}", source=SOURCE) from None
    if len(data) > MAX_XML_BYTES or inflater.unconsumed_tail:
        raise ParseError(f"the gzip body unpacks to more than {MAX_XML_BYTES} bytes", source=SOURCE)
    return data


def _raw(body: bytes | str) -> bytes:
    raw = as_bytes(body)
    return _gunzip(raw) if raw[:2] == b"\x1f\x8b" else raw


def _error_text(root: Element) -> SourceError | None:
    if root.tag != "error":
        return None
    text = " ".join((root.text or "").split())[:300] or "unspecified error"
    code = root.get("code") or ""
    lowered = text.lower()
    if "banned" in lowered:
        return Blocked(f"AniDB says the client is banned ({text}); wait hours before retrying", source=SOURCE)
    if "not found" in lowered or "aid missing or invalid" in lowered:
        return NotFound(f"AniDB: {text}", source=SOURCE)
    if "client" in lowered or code == "302":
        return AuthRequired(f"AniDB refused the client registration ({text})", source=SOURCE)
    if "flood" in lowered or "too many" in lowered:
        return Blocked(f"AniDB: {text}", source=SOURCE)
    return Unavailable(f"AniDB error{f' {code}' if code else ''}: {text}", source=SOURCE)


def _web_error(raw: bytes) -> SourceError | None:
    """AniDB's web error pages (also what a misrouted request gets): unknown id, pending, adult gate."""
    head = raw[:200_000]
    if b"<title>ERROR - AniDB</title>" in head:
        if b"Unknown anime id" in head:
            return NotFound("AniDB: unknown anime id (the entry may have been deleted)", source=SOURCE)
        if b"is currently" in head and b"pending" in head:
            return NotFound("AniDB: the addition of this anime is still pending", source=SOURCE)
        return Unavailable("AniDB answered with an ERROR page", source=SOURCE)
    if b"<title>Adult Content Warning - AniDB</title>" in head:
        return AuthRequired("AniDB shows this 18+ anime only to logged-in adult users", source=SOURCE)
    return None


def _root(body: bytes | str) -> Element:
    raw = _raw(body)
    if looks_like_html(raw) and not challenge_reason(raw):
        web_error = _web_error(raw)
        if web_error is not None:
            raise web_error
    root = load_xml(raw, source=SOURCE)  # a challenge page is Blocked, any other HTML a ParseError
    error = _error_text(root)
    if error is not None:
        raise error
    if root.tag != "anime":
        raise ParseError(f"expected an <anime> document, got <{root.tag}>", source=SOURCE)
    return root


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error an AniDB answer stands for, or None for a normal ``<anime>`` document."""
    raw = _raw(body)
    if raw.lstrip()[:1] == b"<" and not looks_like_html(raw):
        try:
            root = load_xml(raw, source=SOURCE)
        except ParseError:
            root = None
        if root is not None:
            error = _error_text(root)
            if error is not None:
                return error
    if looks_like_html(raw) and not challenge_reason(raw):
        web_error = _web_error(raw)
        if web_error is not None:
            return web_error
    return detect_http_error(status, raw, source=SOURCE, headers=headers)


# ============================================================================================ helpers

_LINK = re.compile(r"https?://anidb\.net/[a-z]+\d+ \[([^\]]*)\]")
_EPISODE_KIND = {"1": "regular", "2": "special", "3": "credit", "4": "trailer", "5": "parody", "6": "other"}
_STREAMING_RESOURCES = {
    "28": ("Crunchyroll", None),
    "41": ("Netflix", "https://www.netflix.com/title/{}"),
    "42": ("HIDIVE", "https://www.hidive.com/tv/{}"),
    "32": ("Amazon", "https://www.amazon.com/dp/{}"),
}
_UNKNOWN_DATES = ("1970-01-01",)


def _text(element: Element | None) -> str | None:
    return clean_str(element.text) if element is not None else None


def _date(root: Element, tag: str) -> PartialDate | None:
    return partial_date(_text(root.find(tag)), sentinels=_UNKNOWN_DATES)


def _rating(element: Element | None, votes_attribute: str) -> Rating | None:
    value = float_from_text(_text(element))
    if element is None or value is None or not 0 < value <= 10:
        return None
    votes = int_from_text(element.get(votes_attribute))
    return Rating(value=value, scale=10.0, votes=votes)


def _description(text: str | None) -> str | None:
    """AniDB marks links as ``http://anidb.net/ch413 [Ryuk]``: keep the name only."""
    return clean_str(_LINK.sub(r"\1", text)) if text else None


def _resource_ids(root: Element, resource_type: str) -> list[str]:
    ids: list[str] = []
    for resource in root.findall(f"resources/resource[@type='{resource_type}']"):
        for entity in resource.findall("externalentity"):
            ids += [text for text in (_text(e) for e in entity.findall("identifier")) if text]
    return ids


def _streaming(root: Element) -> list[StreamingLink]:
    links = []
    for resource_type, (service, pattern) in _STREAMING_RESOURCES.items():
        for resource in root.findall(f"resources/resource[@type='{resource_type}']"):
            for entity in resource.findall("externalentity"):
                identifier = _text(entity.find("identifier"))
                url = _text(entity.find("url"))
                if url is None and identifier:
                    if pattern is None:  # Crunchyroll: new series ids start with G, old ones are slugs
                        series = "series/" if identifier[:1] == "G" and identifier.isalnum() else ""
                        url = f"https://www.crunchyroll.com/{series}{identifier}"
                    else:
                        url = pattern.format(identifier)
                if url:
                    links.append(StreamingLink(service=service, url=url))
    return links


def _duration_seconds(root: Element) -> int | None:
    lengths = [
        int_from_text(_text(episode.find("length")))
        for episode in root.findall("episodes/episode")
        if episode.find("epno[@type='1']") is not None
    ]
    minutes = [length for length in lengths if length is not None and length > 0]
    return int(statistics.median_low(minutes)) * 60 if minutes else None


def _tags(root: Element) -> list[str | None]:
    names: list[str | None] = []
    for tag in root.findall("tags/tag"):
        weight = int_from_text(tag.get("weight")) or 0
        spoiler = tag.get("localspoiler") == "true" or tag.get("globalspoiler") == "true"
        if (weight > 0 or tag.get("infobox") == "true") and not spoiler:
            names.append(_text(tag.find("name")))
    return names


def _relations(root: Element) -> list[RelatedEntry]:
    entries = []
    for anime in root.findall("relatedanime/anime"):
        pid = platform_id_or_none(Platform.ANIDB, anime.get("id"))
        entries.append(
            RelatedEntry(
                relation=" ".join((anime.get("type") or "other").lower().split()),
                title=_text(anime),
                platform_id=pid,
                url=canonical_url(pid) if pid else None,
            )
        )
    return entries


def _anidb_id(root: Element) -> PlatformId:
    return require_id(Platform.ANIDB, root.get("id"), source=SOURCE)


# ============================================================================================ public


CREDITS = ("characters", "staff")


@guarded(SOURCE)
def parse_anime(
    body: bytes | str, *, url: str = "", fetched_at: dt.datetime, credits: Collection[str] = CREDITS
) -> SourceRecord:
    """One ``<anime>`` document of the HTTP API (``credits``: which credit lists to fill, if any)."""
    root = _root(body)
    b = RecordBuilder(_anidb_id(root))
    titles = root.findall("titles/title")
    main = next((t for t in titles if t.get("type") == "main"), None)
    b.set("title", _text(main) or (_text(titles[0]) if titles else None))
    if root.find("titles") is not None:
        b.set_list("titles", [_text(t) for t in titles if t is not main])
        localized = (localized_text(t.get(XML_LANG), _text(t), clean_str(t.get("type"))) for t in titles)
        b.set_list("localized_titles", distinct_texts(localized))
    b.set("type", anime_type(_text(root.find("type"))))
    episodes = int_from_text(_text(root.find("episodecount")))
    b.set("episodes", episodes if episodes and episodes > 0 else None)
    start, end = _date(root, "startdate"), _date(root, "enddate")
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("status", status_from_dates(start, end, fetched_at.date()))
    b.set("season", season_of(start))
    b.set("year", start.year if start else None)
    b.set(
        "score",
        _rating(root.find("ratings/permanent"), "count") or _rating(root.find("ratings/temporary"), "count"),
    )
    synopsis = _description(_text(root.find("description")))
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # AniDB writes its descriptions in English
    if "characters" in credits and root.find("characters") is not None:
        b.set_list("characters", _characters(root))
    if "staff" in credits and root.find("creators") is not None:
        b.set_list("staff", _staff(root))
    if root.find("creators") is not None:
        b.set_list(
            "studios",
            [_text(n) for n in root.findall("creators/name") if n.get("type") in ("Animation Work", "Work")],
        )
    if root.find("tags") is not None:
        b.set_list("tags", _tags(root))
    picture = _text(root.find("picture"))
    b.set("picture", PICTURE_URL.format(picture) if picture else None)
    b.set("duration_seconds", _duration_seconds(root))
    if root.find("resources") is not None:
        b.set_list("streaming", _streaming(root))
        b.set_list(
            "cross_ids",
            [platform_id_or_none(Platform.MAL, i) for i in _resource_ids(root, "2")]
            + [platform_id_or_none(Platform.ANN, i) for i in _resource_ids(root, "1")],
        )
    if root.find("relatedanime") is not None:
        b.set_list("relations", _relations(root))
    return b.build(fetched_at=fetched_at)


def _episode_title(episode: Element) -> tuple[str | None, tuple[str, ...]]:
    by_lang: dict[str, str] = {}
    all_titles: list[str | None] = []
    for title in episode.findall("title"):
        text = _text(title)
        all_titles.append(text)
        if text:
            by_lang.setdefault(title.get(XML_LANG) or "", text)
    main = by_lang.get("en") or by_lang.get("x-jat") or next(iter(by_lang.values()), None)
    return main, tuple(t for t in dedupe(all_titles) if t != main)


@guarded(SOURCE)
def parse_episodes(body: bytes | str, *, url: str = "") -> Page[Episode]:
    """Every ``<episode>`` (regular, special, credit, trailer, parody, other), in document order."""
    root = _root(body)
    episodes = []
    for episode in root.findall("episodes/episode"):
        epno = episode.find("epno")
        kind = _EPISODE_KIND.get(epno.get("type") or "1", "other") if epno is not None else "regular"
        digits = re.sub(r"\D", "", _text(epno) or "")[:9]
        title, others = _episode_title(episode)
        aired = partial_date(_text(episode.find("airdate")), sentinels=_UNKNOWN_DATES)
        length = int_from_text(_text(episode.find("length")))
        episodes.append(
            Episode(
                number=int(digits) if digits and int(digits) > 0 else None,
                title=title,
                titles=others,
                kind=kind,
                aired=aired.full if aired else None,
                duration_seconds=length * 60 if length and length > 0 else None,
                synopsis=_description(_text(episode.find("summary"))),
                score=_rating(episode.find("rating"), "votes"),
                url=f"https://anidb.net/episode/{episode.get('id')}" if episode.get("id") else None,
                episode_id=clean_str(episode.get("id")),
            )
        )
    return Page(items=tuple(episodes))


@guarded(SOURCE)
def parse_characters(body: bytes | str, *, url: str = "") -> list[CharacterCredit]:
    return _characters(_root(body))


def _characters(root: Element) -> list[CharacterCredit]:
    credits = []
    for character in root.findall("characters/character"):
        name = _text(character.find("name"))
        if name is None:
            continue
        role = " ".join((character.get("type") or "").lower().removesuffix(" in").split()) or None
        actors = []
        for seiyuu in character.findall("seiyuu"):
            actor = _text(seiyuu)
            if actor:
                picture = clean_str(seiyuu.get("picture"))
                person_id = clean_str(seiyuu.get("id"))
                actors.append(
                    PersonCredit(
                        name=actor,
                        language="Japanese",
                        person_id=person_id,
                        url=f"https://anidb.net/creator/{person_id}" if person_id else None,
                        picture=PICTURE_URL.format(picture) if picture else None,
                    )
                )
        character_id = clean_str(character.get("id"))
        picture = _text(character.find("picture"))
        credits.append(
            CharacterCredit(
                name=name,
                role=role,
                character_id=character_id,
                url=f"https://anidb.net/character/{character_id}" if character_id else None,
                picture=PICTURE_URL.format(picture) if picture else None,
                voice_actors=tuple(actors),
            )
        )
    return credits


@guarded(SOURCE)
def parse_staff(body: bytes | str, *, url: str = "") -> list[PersonCredit]:
    """``<creators>``: one credit per person or company with all their roles."""
    return _staff(_root(body))


def _staff(root: Element) -> list[PersonCredit]:
    roles: dict[str, list[str | None]] = {}
    names: dict[str, str] = {}
    for creator in root.findall("creators/name"):
        name = _text(creator)
        if name is None:
            continue
        key = clean_str(creator.get("id")) or name
        names.setdefault(key, name)
        roles.setdefault(key, []).append(creator.get("type"))
    return [
        PersonCredit(
            name=names[key],
            roles=dedupe(roles[key]),
            person_id=key if key.isdigit() else None,
            url=f"https://anidb.net/creator/{key}" if key.isdigit() else None,
        )
        for key in names
    ]
