"""LiveChart.me anime pages (https://www.livechart.me/anime/<id>) as records: JSON-LD first, then the page.

JSON-LD (``TVSeries``/``Movie``) gives the name, alternative names, image, episodes, the premiere date,
studios (``productionCompany``), genres and the rating out of 10 with its count. The page adds what JSON-LD
lacks: the romaji/English/Japanese titles (``data-anime-details-*`` and "Original title"), format, status,
season, run time, tags, the franchise's other entries, streams and the same anime on other platforms. An entry
LiveChart excluded from its database is ``NotFound``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from anime_mcp.adapters.scraping import HtmlElement, json_ld, parse_page, text_of, texts_of
from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    float_from_text,
    guarded,
    guarded_detector,
    html_to_text,
    id_from_url,
    int_from_text,
    partial_date,
    platform_id_or_none,
    require_id,
    season_named,
)
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.models import AnimeType, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.sources import LocalizedText, Rating, RelatedEntry, SourceRecord, StreamingLink

SOURCE = "livechart"
SITE = "https://www.livechart.me"
_ANIME_TYPES = frozenset({"TVSeries", "Movie", "CreativeWork", "VideoObject"})
_ID_PATH = re.compile(r"/anime/(\d+)(?:[/?#]|$)")
_LABELS = ("Original title", "Status", "Premiere", "Season", "Format", "Source", "Episodes", "Run time")
_STATUS = {
    "finished": Status.FINISHED,
    "releasing": Status.ONGOING,
    "airing": Status.ONGOING,
    "not yet released": Status.UPCOMING,
    "upcoming": Status.UPCOMING,
}
_FORMATS = {"web": AnimeType.ONA, "web short": AnimeType.ONA, "tv short": AnimeType.TV}
_RUN_TIME = re.compile(r"^(?:(?P<h>\d+)h)?\s*(?:(?P<m>\d+)m(?:in)?)?\s*(?:(?P<s>\d+)s)?$")
_SEASON = re.compile(r"^(winter|spring|summer|fall|autumn)\s+(\d{4})$", re.IGNORECASE)
_EPISODES = re.compile(r"/\s*(\d[\d,]*)\s*$")
_EXCLUDED = "excluded from the livechart"
_PLACEHOLDER_PICTURE = "/assets/default-anime-poster"


@guarded(SOURCE)
def parse_anime(body: bytes, *, fetched_at: dt.datetime) -> SourceRecord:
    root = parse_page(body, source=SOURCE)
    data = next(iter(json_ld(root, types=_ANIME_TYPES)), {})
    details = next(iter(root.xpath("//*[@data-anime-details-id]")), None)
    title = _clean(data.get("name")) or _attr(details, "data-anime-details-romaji-title")
    if title is None:
        raise ParseError("not a LiveChart anime page (no JSON-LD name, no anime details)", source=SOURCE)
    if title.lower().startswith(_EXCLUDED):
        raise NotFound("LiveChart excluded this entry from its database", source=SOURCE)
    pid = require_id(Platform.LIVECHART, _own_id(details, data), source=SOURCE)
    labels = _labelled(root)
    record = RecordBuilder(pid)
    record.set("title", title)
    english = _attr(details, "data-anime-details-english-title")
    japanese = labels.get("Original title")
    alternatives = [_clean(name) for name in data.get("alternateName") or () if isinstance(name, str)]
    record.set_list("titles", [title, english, japanese, *alternatives])
    localized = [LocalizedText("ja-Latn", title, "main")]
    localized += [LocalizedText("en", english, "official")] if english else []
    localized += [LocalizedText("ja", japanese, "official")] if japanese else []
    record.set_list("localized_titles", localized)
    record.set("type", _format(labels.get("Format")))
    record.set("episodes", _positive(data.get("numberOfEpisodes")) or _episodes(labels.get("Episodes")))
    record.set("duration_seconds", _run_time(labels.get("Run time")))
    record.set("status", _STATUS.get((labels.get("Status") or "").lower()))
    start = partial_date(data.get("datePublished")) or partial_date(_premiere_date(root))
    season = _SEASON.match(labels.get("Season") or "")
    record.set("start_date", start.full if start else None)
    record.set("year", start.year if start else (int(season.group(2)) if season else None))
    record.set("season", season_named(season.group(1)) if season else None)
    record.set("score", _score(data))
    record.set("synopsis", _synopsis(data, root))
    record.set_list("studios", _studios(data, root))
    genres = _strings(data.get("genre"))
    record.set_list("genres", genres)
    record.set_list("tags", _tags(root, genres or []))
    record.set("picture", _picture(data, root))
    record.set_list("relations", _franchise(root, pid.id))
    record.set_list("streaming", _streams(root) or None)
    record.set_list("cross_ids", _cross_ids(root) or None)
    return record.build(fetched_at=fetched_at)


def _clean(value: Any) -> str | None:
    return text_of(html_to_text(value)) if isinstance(value, str) else None


def _attr(element: HtmlElement | None, name: str) -> str | None:
    return _clean(element.get(name)) if element is not None else None


def _positive(value: Any) -> int | None:
    number = int_from_text(value)
    return number if number is not None and number > 0 else None


def _strings(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [text for item in value if (text := _clean(item))]


def _own_id(details: HtmlElement | None, data: dict[str, Any]) -> str | None:
    if details is not None and (own := details.get("data-anime-details-id")):
        return str(own)
    url = data.get("url")
    match = _ID_PATH.search(url) if isinstance(url, str) else None
    return match.group(1) if match else None


def _labelled(root: HtmlElement) -> dict[str, str]:
    """The page's "label / value" pairs: a childless ``<div>`` holding a label, its parent holding the
    value after it ("Status" "Finished"). The first of each wins (the page repeats some for phones)."""
    found: dict[str, str] = {}
    for label in root.xpath("//div[not(*)]"):
        name = text_of(label)
        if name not in _LABELS or name in found:
            continue
        parent = label.getparent()
        whole = text_of(parent) or ""
        if parent is None or not whole.startswith(name):
            continue
        value = whole[len(name) :].strip()
        if value:
            found[name] = value
    return found


def _tags(root: HtmlElement, genres: list[str]) -> list[str] | None:
    """The tag chips beyond the genres JSON-LD names (demographics, "Short Episodes", ...)."""
    chips = texts_of(root.xpath("//a[@data-anime-details-target='tagChip']"))
    if not chips:
        return None
    known = {g.casefold() for g in genres}
    return [chip for chip in chips if chip.casefold() not in known]


def _format(value: str | None) -> AnimeType | None:
    if value is None:
        return None
    word = value.strip().lower()
    return _FORMATS.get(word) or anime_type(word)


def _episodes(value: str | None) -> int | None:
    """'0 / 37': the viewer's progress, then the total (a dash when unknown)."""
    match = _EPISODES.search(value or "")
    return _positive(match.group(1).replace(",", "")) if match else None


def _run_time(value: str | None) -> int | None:
    match = _RUN_TIME.match((value or "").strip())
    if match is None or not any(match.groups()):
        return None
    h, m, s = (int(part or 0) for part in match.group("h", "m", "s"))
    return h * 3600 + m * 60 + s or None


def _premiere_date(root: HtmlElement) -> str | None:
    for href in root.xpath("//a[starts-with(@href, '/timetable?date=')]/@href"):
        return str(href).partition("=")[2] or None
    return None


def _score(data: dict[str, Any]) -> Rating | None:
    rating = data.get("aggregateRating")
    if not isinstance(rating, dict):
        return None
    value = float_from_text(rating.get("ratingValue"))
    best = float_from_text(rating.get("bestRating")) or 10.0
    if value is None or not 0 < value <= best:
        return None
    return Rating(value, best, int_from_text(rating.get("ratingCount")))


def _synopsis(data: dict[str, Any], root: HtmlElement) -> str | None:
    text = html_to_text(data.get("description")) if isinstance(data.get("description"), str) else None
    if text is None:
        paragraphs = root.xpath(
            "//div[contains(@class, 'lc-expander-content')]/p[not(contains(@class, 'italic'))]"
        )
        text = "\n\n".join(texts_of(paragraphs)) or None
    return text


def _studios(data: dict[str, Any], root: HtmlElement) -> list[str] | None:
    companies = data.get("productionCompany")
    if isinstance(companies, list):
        return [name for c in companies if isinstance(c, dict) and (name := _clean(c.get("name")))]
    links = root.xpath("//a[starts-with(@href, '/studios/')]")
    return texts_of(links) if links else None


def _picture(data: dict[str, Any], root: HtmlElement) -> str | None:
    candidates = [data.get("image"), *root.xpath("//*[@data-anime-details-id]//img/@src")]
    return next(
        (
            url
            for url in candidates
            if isinstance(url, str) and url.startswith("https://") and _PLACEHOLDER_PICTURE not in url
        ),
        None,
    )


def _franchise(root: HtmlElement, own: str) -> list[RelatedEntry] | None:
    """The other entries of the franchise carousel (LiveChart does not say how each one relates)."""
    carousel = root.xpath("//*[@data-controller='franchise-carousel']")
    if not carousel:
        return None
    entries = []
    for card in carousel[0].xpath(".//*[@data-compact-anime-card-id]"):
        ident = card.get("data-compact-anime-card-id")
        if ident == own:
            continue
        name = _clean(card.get("data-compact-anime-card-romaji-title")) or text_of(
            next(iter(card.xpath(".//*[@data-compact-anime-card-target='title']")), None)
        )
        pid = platform_id_or_none(Platform.LIVECHART, ident)
        url = f"{SITE}/anime/{ident}" if pid else None
        entries.append(RelatedEntry("franchise", name, pid, "anime", url))
    return entries


def _streams(root: HtmlElement) -> list[StreamingLink]:
    """The streams listed on the page: a service's logo, then a link named after the service."""
    links = []
    for logo in root.xpath("//img[substring(@alt, string-length(@alt) - 4) = ' logo']"):
        anchor = next(iter(logo.xpath("following-sibling::*//a[@href][starts-with(@href, 'http')]")), None)
        if anchor is None:
            continue
        service = text_of(anchor) or (logo.get("alt") or "")[: -len(" logo")]
        links.append(StreamingLink(service, anchor.get("href")))
    return links


def _cross_ids(root: HtmlElement) -> list[Any]:
    ids = []
    for href in root.xpath("//a[starts-with(@href, 'http')]/@href"):
        pid = id_from_url(str(href))
        if pid is not None and pid.platform is not Platform.LIVECHART:
            ids.append(pid)
    return ids


_EXCLUDED_BYTES = b"excluded from the livechart.me database | livechart.me</title>"


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """An entry LiveChart excluded answers 200 with a placeholder page: not found."""
    if 200 <= status < 300 and _EXCLUDED_BYTES in body[:100_000].lower():
        return NotFound("LiveChart excluded this entry from its database", source=SOURCE)
    return None
