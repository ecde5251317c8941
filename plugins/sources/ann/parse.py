"""Anime News Network encyclopedia API parsers. Pure functions, no I/O.

``https://cdn.animenewsnetwork.com/encyclopedia/api.xml?anime=1/5/100`` answers one ``<ann>`` document
with several ``<anime>`` elements (up to 50 ids per request) plus ``<warning>`` elements for ids it
ignored or did not find. XML is parsed with :func:`anime_mcp.adapters.source_toolkit.load_xml` (no DTD, no
entities, no network, bounded size and depth).

- ``parse_anime_batch(body, *, url, fetched_at) -> list[SourceRecord]``: every anime of the document, in
  document order. A document with no anime at all (only warnings, or empty) is ``NotFound``.
- ``parse_anime(body, *, url, fetched_at) -> SourceRecord``: the anime whose id is the first one requested
  in ``url`` (``anime=ID[/ID...]``), or the document's first anime when ``url`` names none; ``NotFound``
  when that id is not in the document.
- ``parse_search(body, *, url) -> list[SearchCandidate]``: ``api.xml?title=~name`` answers (``<anime>``
  elements) and ``reports.xml?id=155&type=anime&search=name`` answers (``<item>`` rows).
- ``parse_episodes(body, *, url) -> Page[Episode]``, ``parse_staff`` -> ``list[PersonCredit]``,
  ``parse_characters`` -> ``list[CharacterCredit]`` (``<cast>``): of the first requested anime.
- ``requested_ids(url) -> list[str]``.
- ``detect_error(status, body, *, headers=None) -> SourceError | None``.

ANN states no airing status; it is derived from "Vintage" relative to ``fetched_at``. Scores keep ANN's
1-10 scale (``weighted_score``). Titles keep their ``lang`` in ``localized_titles`` (a ``JA`` title in
Latin letters is romaji, ``ja-Latn``); plot summaries are English. The record parsers take ``credits``:
which of ``characters`` (``<cast>``) and ``staff`` (``<staff>``, ``<credit>``) to fill from the document.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Mapping
from urllib.parse import parse_qsl, urlsplit

from anime_mcp.adapters.source_toolkit import (
    Element,
    PartialDate,
    RecordBuilder,
    anime_type,
    as_bytes,
    clean_str,
    dedupe,
    detect_http_error,
    float_from_text,
    guarded,
    guarded_detector,
    html_to_text,
    int_from_text,
    load_xml,
    partial_date,
    platform_id_or_none,
    require_id,
    season_of,
    status_from_dates,
)
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.languages import distinct_texts, language_tag, localized_text, romanised
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
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
)

SOURCE = "ann"

__all__ = [
    "detect_error",
    "parse_anime",
    "parse_anime_batch",
    "parse_characters",
    "parse_episodes",
    "parse_search",
    "parse_staff",
    "requested_ids",
]

# ============================================================================================ document


def _root(body: bytes | str) -> Element:
    root = load_xml(body, source=SOURCE)  # a challenge page is Blocked, any other HTML a ParseError
    if root.tag not in ("ann", "report"):
        raise ParseError(f"expected an <ann> or <report> document, got <{root.tag}>", source=SOURCE)
    return root


def _warnings(root: Element) -> list[str]:
    return [" ".join((w.text or "").split()) for w in root.findall("warning")]


def _animes(root: Element) -> list[Element]:
    if root.tag != "ann":
        raise ParseError("a report came back where <ann> anime data was expected", source=SOURCE)
    animes = root.findall("anime")
    if not animes:
        warnings = "; ".join(w for w in _warnings(root) if w) or "the document holds no anime"
        raise NotFound(f"ANN: {warnings[:300]}", source=SOURCE)
    return animes


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """The typed error an encyclopedia answer stands for, or None for a document with anime in it.

    An ``<ann>`` holding only ``<warning>`` elements (ids ignored or not found) is ``NotFound``.
    """
    raw = as_bytes(body)
    by_status = detect_http_error(status, raw, source=SOURCE, headers=headers)
    if by_status is not None or not raw.strip():
        return by_status
    try:
        root = load_xml(raw, source=SOURCE)
    except SourceError:
        return None
    if root.tag == "ann" and root.find("anime") is None and root.find("manga") is None:
        warnings = "; ".join(w for w in _warnings(root) if w) or "the document holds no anime"
        return NotFound(f"ANN: {warnings[:300]}", source=SOURCE)
    return None


def requested_ids(url: str) -> list[str]:
    """The ids named by ``anime=1/5/100`` in an api.xml URL (empty when there are none)."""
    for key, value in parse_qsl(urlsplit(url).query):
        if key == "anime":
            return [part for part in value.split("/") if part.strip().isdigit()]
    return []


# ============================================================================================ helpers

_VINTAGE_DATE = re.compile(r"\d{4}(?:-\d{2}(?:-\d{2})?)?")
_MINUTES = re.compile(r"(\d+)\s*(h|hour|hours|hr|min|minutes|mins|m)?\b", re.IGNORECASE)


def _infos(anime: Element, kind: str) -> list[Element]:
    return [info for info in anime.findall("info") if info.get("type") == kind]


def _info_texts(anime: Element, kind: str) -> list[str | None]:
    return [clean_str(info.text) for info in _infos(anime, kind)]


def _first_info(anime: Element, kind: str) -> str | None:
    return next((text for text in _info_texts(anime, kind) if text), None)


def _vintage(anime: Element) -> tuple[PartialDate | None, PartialDate | None]:
    """The first "Vintage": ``1999-04-07 to 1999-06-30``, ``1995-08-23``, ``2004-12 (Japan)``."""
    text = _first_info(anime, "Vintage")
    if text is None:
        return None, None
    first, _, second = text.partition(" to ")
    start_match = _VINTAGE_DATE.match(first.strip())
    end_match = _VINTAGE_DATE.match(second.strip())
    start = partial_date(start_match.group(0)) if start_match else None
    end = partial_date(end_match.group(0)) if end_match else None
    return start, end


def _running_minutes(text: str | None) -> int | None:
    """ "half hour", "30", "24 minutes", "1 hour", "90"; "feature" and the like -> None."""
    if not text:
        return None
    lowered = text.lower()
    if "half hour" in lowered or "half an hour" in lowered:
        return 30
    total = 0
    for amount, unit in _MINUTES.findall(lowered):
        value = int(amount[:5])
        total += value * 60 if unit and unit.startswith("h") else value
    if total == 0 and "hour" in lowered:
        total = 60
    return total or None


def _picture(anime: Element) -> str | None:
    for info in _infos(anime, "Picture"):
        sources = [clean_str(img.get("src")) for img in info.findall("img")]
        for src in [*reversed(sources), clean_str(info.get("src"))]:
            if src:
                return src
    return None


def _rating(anime: Element) -> Rating | None:
    ratings = anime.find("ratings")
    if ratings is None:
        return None
    value = float_from_text(ratings.get("weighted_score"))
    if value is None or not 0 < value <= 10:
        return None
    return Rating(value=value, scale=10.0, votes=int_from_text(ratings.get("nb_votes")))


def _ann_id(anime: Element) -> PlatformId:
    return require_id(Platform.ANN, anime.get("id"), source=SOURCE)


def _relations(anime: Element) -> list[RelatedEntry]:
    entries = []
    for element in (*anime.findall("related-prev"), *anime.findall("related-next")):
        pid = platform_id_or_none(Platform.ANN, element.get("id"))
        entries.append(
            RelatedEntry(
                relation=" ".join((element.get("rel") or "related").lower().split()),
                platform_id=pid,
                media="unknown",  # the API does not say whether the related work is an anime or a manga
                url=canonical_url(pid) if pid else None,
            )
        )
    return entries


_TITLE_KINDS = {"Main title": "main", "Alternative title": "synonym"}


def _localized_titles(anime: Element) -> list[LocalizedText]:
    """Main and alternative titles with their ``lang``; ANN tags the work's language, not the script, so a
    ``JA`` title in Latin letters is romaji (``ja-Latn``)."""
    titles: list[LocalizedText | None] = []
    for info in anime.findall("info"):
        kind = _TITLE_KINDS.get(info.get("type") or "")
        text = clean_str(info.text)
        if kind is not None and text is not None:
            titles.append(localized_text(romanised(language_tag(info.get("lang")), text), text, kind))
    return distinct_texts(titles)


CREDITS = ("characters", "staff")


def _record(anime: Element, *, fetched_at: dt.datetime, credits: Collection[str] = CREDITS) -> SourceRecord:
    b = RecordBuilder(_ann_id(anime))
    b.set("title", _first_info(anime, "Main title") or clean_str(anime.get("name")))
    b.set_list("titles", [clean_str(anime.get("name")), *_info_texts(anime, "Alternative title")])
    b.set_list("localized_titles", _localized_titles(anime))
    b.set("type", anime_type(anime.get("type")))
    episodes = int_from_text(_first_info(anime, "Number of episodes"))
    b.set("episodes", episodes if episodes and episodes > 0 else None)
    start, end = _vintage(anime)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("status", status_from_dates(start, end, fetched_at.date(), open_end_means_ongoing=False))
    b.set("season", season_of(start))
    b.set("year", start.year if start else None)
    b.set("score", _rating(anime))
    synopsis = html_to_text(_first_info(anime, "Plot Summary"))
    b.set("synopsis", synopsis)
    if synopsis is not None:
        b.set_list("synopses", [localized_text("en", synopsis)])  # ANN writes its summaries in English
    b.set_list(
        "studios",
        [
            clean_str(credit.findtext("company"))
            for credit in anime.findall("credit")
            if clean_str(credit.findtext("task")) == "Animation Production"
        ],
    )
    if _infos(anime, "Genres"):
        b.set_list("genres", _info_texts(anime, "Genres"))
    if _infos(anime, "Themes"):
        b.set_list("tags", _info_texts(anime, "Themes"))
    b.set("picture", _picture(anime))
    minutes = _running_minutes(_first_info(anime, "Running time"))
    b.set("duration_seconds", minutes * 60 if minutes else None)
    b.set_list("relations", _relations(anime))
    if "characters" in credits:
        b.set_list("characters", _characters(anime))
    if "staff" in credits:
        b.set_list("staff", _staff(anime))
    return b.build(fetched_at=fetched_at)


def _pick(root: Element, url: str) -> Element:
    animes = _animes(root)
    wanted = requested_ids(url)
    if not wanted:
        return animes[0]
    for anime in animes:
        if anime.get("id") == wanted[0]:
            return anime
    raise NotFound(f"ANN: anime {wanted[0]} is not in the answer", source=SOURCE)


# ============================================================================================ public


@guarded(SOURCE)
def parse_anime_batch(
    body: bytes | str, *, url: str = "", fetched_at: dt.datetime, credits: Collection[str] = CREDITS
) -> list[SourceRecord]:
    """Every ``<anime>`` of an api.xml answer, in document order."""
    return [_record(anime, fetched_at=fetched_at, credits=credits) for anime in _animes(_root(body))]


@guarded(SOURCE)
def parse_anime(
    body: bytes | str, *, url: str = "", fetched_at: dt.datetime, credits: Collection[str] = CREDITS
) -> SourceRecord:
    """The first requested anime of an api.xml answer (see the module docstring)."""
    return _record(_pick(_root(body), url), fetched_at=fetched_at, credits=credits)


@guarded(SOURCE)
def parse_search(body: bytes | str, *, url: str = "") -> list[SearchCandidate]:
    root = _root(body)
    candidates = []
    if root.tag == "report":
        for item in root.findall("item"):
            pid = platform_id_or_none(Platform.ANN, item.findtext("id"))
            name = clean_str(item.findtext("name"))
            if pid is None or name is None:
                continue
            vintage = partial_date(item.findtext("vintage"))
            candidates.append(
                SearchCandidate(
                    platform_id=pid,
                    title=name,
                    url=canonical_url(pid),
                    type=anime_type(item.findtext("type")),
                    year=vintage.year if vintage else None,
                )
            )
        return candidates
    for anime in root.findall("anime"):
        pid = _ann_id(anime)
        title = _first_info(anime, "Main title") or clean_str(anime.get("name")) or pid.id
        start, _ = _vintage(anime)
        episodes = int_from_text(_first_info(anime, "Number of episodes"))
        candidates.append(
            SearchCandidate(
                platform_id=pid,
                title=title,
                url=canonical_url(pid),
                titles=tuple(t for t in dedupe(_info_texts(anime, "Alternative title")) if t != title),
                type=anime_type(anime.get("type")),
                year=start.year if start else None,
                episodes=episodes if episodes and episodes > 0 else None,
                picture=_picture(anime),
                score=_rating(anime),
            )
        )
    return candidates


@guarded(SOURCE)
def parse_episodes(body: bytes | str, *, url: str = "") -> Page[Episode]:
    anime = _pick(_root(body), url)
    episodes = []
    for episode in anime.findall("episode"):
        titles = [clean_str(t.text) for t in episode.findall("title")]
        number = float_from_text(episode.get("num"))
        title = next((t for t in titles if t), None)
        episodes.append(
            Episode(
                number=int(number)
                if number is not None and number.is_integer() and 0 < number < 1e9
                else None,
                title=title,
                titles=tuple(t for t in dedupe(titles) if t != title),
            )
        )
    return Page(items=tuple(episodes))


@guarded(SOURCE)
def parse_staff(body: bytes | str, *, url: str = "") -> list[PersonCredit]:
    """``<staff>`` (people) and ``<credit>`` (companies), one credit per person/company with its tasks."""
    return _staff(_pick(_root(body), url))


def _staff(anime: Element) -> list[PersonCredit]:
    roles: dict[str, list[str | None]] = {}
    names: dict[str, tuple[str, str | None, str]] = {}
    for tag, who, prefix, kind in (("staff", "person", "p", "people"), ("credit", "company", "c", "company")):
        for entry in anime.findall(tag):
            named = entry.find(who)
            if named is None or not clean_str(named.text):
                continue
            key = f"{prefix}{named.get('id') or named.text}"
            names.setdefault(key, (clean_str(named.text) or "", clean_str(named.get("id")), kind))
            roles.setdefault(key, []).append(clean_str(entry.findtext("task")))
    credits = []
    for key, (name, person_id, kind) in names.items():
        page = "people.php" if kind == "people" else "company.php"
        credits.append(
            PersonCredit(
                name=name,
                roles=dedupe(roles[key]),
                person_id=person_id,
                url=f"https://www.animenewsnetwork.com/encyclopedia/{page}?id={person_id}"
                if person_id
                else None,
            )
        )
    return credits


@guarded(SOURCE)
def parse_characters(body: bytes | str, *, url: str = "") -> list[CharacterCredit]:
    """``<cast>``: one character per role name with its voice actors in every listed language."""
    return _characters(_pick(_root(body), url))


def _characters(anime: Element) -> list[CharacterCredit]:
    actors: dict[str, list[PersonCredit]] = {}
    for cast in anime.findall("cast"):
        role = clean_str(cast.findtext("role"))
        person = cast.find("person")
        if role is None or person is None or not clean_str(person.text):
            continue
        person_id = clean_str(person.get("id"))
        actors.setdefault(role, []).append(
            PersonCredit(
                name=clean_str(person.text) or "",
                language=clean_str(cast.get("lang")),
                person_id=person_id,
                url=f"https://www.animenewsnetwork.com/encyclopedia/people.php?id={person_id}"
                if person_id
                else None,
            )
        )
    return [CharacterCredit(name=role, voice_actors=tuple(people)) for role, people in actors.items()]
