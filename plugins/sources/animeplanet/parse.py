"""Anime-Planet anime pages (https://www.anime-planet.com/anime/<slug>) as records.

The page carries JSON-LD (``TVSeries``/``Movie``: name, dates, episodes, rating, tags as ``genre``) on most
entries, not on all (``..._no-jsonld``); the visible page says the rest and stands in where JSON-LD is
missing: the entry bar (type with episodes and duration, studios, year and season, the star rating out of 5
with its votes, the rank), the alternative titles, the synopsis, the tags and the related anime. Anime-Planet
states no airing status: it is read from "1081+ eps" / "1996 - ?" (airing), "TBA" (upcoming) and an end date.
A dead entry redirects to a search page: ``NotFound``. Names hidden by Cloudflare's e-mail obfuscation
("Malice@Doll") are revealed by ``parse_page``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from anime_mcp.adapters.scraping import HtmlElement, json_ld, meta_content, parse_page, text_of, texts_of
from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    float_from_text,
    guarded,
    guarded_detector,
    html_to_text,
    int_from_text,
    partial_date,
    platform_id_or_none,
    require_id,
    season_named,
)
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.models import AnimeType, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.sources import LocalizedText, Rating, RelatedEntry, SourceRecord

SOURCE = "animeplanet"
SITE = "https://www.anime-planet.com"
_ANIME_TYPES = frozenset({"TVSeries", "Movie", "TVEpisode", "CreativeWork", "VideoObject"})
_SLUG_PATH = re.compile(r"/anime/([a-z0-9][a-z0-9-]*)/?$", re.IGNORECASE)
_BAR_TYPE = re.compile(
    r"^(?P<type>[^()]+?)\s*(?:\((?P<eps>\d[\d,]*)(?P<more>\+)?\s*eps?\b(?:\s*x\s*(?P<len>[^)]*))?\))?$"
)
_DURATION = re.compile(r"(?:(?P<h>\d+)\s*(?:hr|hour|h)s?\.?)?\s*(?:(?P<m>\d+)\s*min)?", re.IGNORECASE)
_RATING = re.compile(r"([\d.]+)\s+out of\s+([\d.]+)(?:\s+from\s+([\d,]+)\s+votes?)?", re.IGNORECASE)
_RANK = re.compile(r"Rank\s*#\s*([\d,]+)", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|2\d\d\d)\b")
_SEASON = re.compile(r"\b(winter|spring|summer|fall|autumn)\s+(\d{4})\b", re.IGNORECASE)
_TYPES = {"dvd special": AnimeType.SPECIAL, "tv special": AnimeType.SPECIAL, "web": AnimeType.ONA}
_PLACEHOLDER_PICTURE = "/images/anime/default/"


@guarded(SOURCE)
def parse_anime(body: bytes, *, fetched_at: dt.datetime) -> SourceRecord:
    root = parse_page(body, source=SOURCE)
    _refuse_non_entry(root)
    data = next(iter(json_ld(root, types=_ANIME_TYPES)), {})
    pid = require_id(Platform.ANIMEPLANET, _slug(root, data), source=SOURCE)
    record = RecordBuilder(pid)
    title = _clean(data.get("name")) or text_of(root.find(".//h1"))
    if title is None:
        raise ParseError("the page names no anime (no JSON-LD name and no <h1>)", source=SOURCE)
    record.set("title", title)
    alternatives = _alt_titles(root)
    record.set_list("titles", [title, *alternatives])
    record.set_list("localized_titles", [LocalizedText("und", t, "synonym") for t in alternatives] or None)
    bar = _entry_bar(root)
    kind, episodes, more, duration = _type_and_episodes(bar)
    record.set("type", kind)
    if not more:
        record.set("episodes", _positive(data.get("numberOfEpisodes")) or episodes)
    record.set("duration_seconds", duration)
    start = partial_date(data.get("startDate"))
    end = partial_date(data.get("endDate"))
    record.set("start_date", start.full if start else None)
    record.set("end_date", end.full if end else None)
    year, season, open_end, tba = _when(bar)
    record.set("year", start.year if start else year)
    record.set("season", season)  # only when the page names it: a start date alone may belong to another
    record.set("status", _status(more or open_end, tba, end, year, fetched_at.date()))
    record.set("score", _score(data, bar))
    record.set("rank", _rank(bar))
    record.set_list("studios", _studios(root))
    record.set("synopsis", html_to_text(_clean(data.get("description"))) or _synopsis(root))
    record.set_list("tags", _tags(root) or _strings(data.get("genre")))
    record.set("picture", _picture(root, data))
    record.set_list("relations", _relations(root))
    return record.build(fetched_at=fetched_at)


def _clean(value: Any) -> str | None:
    return text_of(html_to_text(value)) if isinstance(value, str) else None


def _positive(value: Any) -> int | None:
    number = int_from_text(value)
    return number if number is not None and number > 0 else None


def _strings(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [text for item in value if (text := _clean(item))]


def _refuse_non_entry(root: HtmlElement) -> None:
    """A dead or unknown entry redirects to the search page ("You searched for ...")."""
    heading = text_of(root.find(".//h1")) or ""
    title = text_of(root.find(".//title")) or ""
    if heading.lower().startswith("you searched for") or title.lower().startswith("search results for"):
        raise NotFound("Anime-Planet has no such anime (its page led to a search)", source=SOURCE)
    if root.find(".//section[@id='entry']") is None and not json_ld(root, types=_ANIME_TYPES):
        raise ParseError("not an Anime-Planet anime page", source=SOURCE)


def _slug(root: HtmlElement, data: dict[str, Any]) -> str | None:
    for url in (
        *root.xpath("//link[@rel='canonical']/@href"),
        data.get("url"),
        meta_content(root, "og:url"),
    ):
        if isinstance(url, str) and (match := _SLUG_PATH.search(url.split("?")[0])):
            return match.group(1)
    return None


def _alt_titles(root: HtmlElement) -> list[str]:
    for element in root.xpath("//h2[contains(concat(' ', @class, ' '), ' aka ')]"):
        text = text_of(element) or ""
        _, colon, names = text.partition(":")
        if colon and text.lower().startswith("alt title"):
            return [name.strip() for name in names.split(", ") if name.strip()]
    return []


def _entry_bar(root: HtmlElement) -> list[HtmlElement]:
    bars = root.xpath("//section[contains(concat(' ', @class, ' '), ' entryBar ')]")
    return list(bars[0].xpath("./div")) if bars else []


def _type_and_episodes(bar: list[HtmlElement]) -> tuple[AnimeType | None, int | None, bool, int | None]:
    for cell in bar:
        kind = cell.find(".//span[@class='type']")
        if kind is None:
            continue
        match = _BAR_TYPE.match(text_of(kind) or "")
        if match is None:
            return None, None, False, None
        word = match.group("type").strip().lower()
        episodes = _positive((match.group("eps") or "").replace(",", ""))
        return _TYPES.get(word) or anime_type(word), episodes, bool(match.group("more")), _duration(match)
    return None, None, False, None


def _duration(match: re.Match[str]) -> int | None:
    text = match.group("len")
    parts = _DURATION.fullmatch(text.strip()) if text else None
    if parts is None or not (parts.group("h") or parts.group("m")):
        return None
    seconds = int(parts.group("h") or 0) * 3600 + int(parts.group("m") or 0) * 60
    return seconds or None


def _when(bar: list[HtmlElement]) -> tuple[int | None, Any, bool, bool]:
    """Year, season, whether the run is open ("1996 - ?"), whether it is "TBA"."""
    for cell in bar:
        year_element = cell.find(".//span[@class='iconYear']")
        if year_element is None:
            continue
        text = text_of(cell) or ""
        years = _YEAR.findall(text_of(year_element) or "")
        season = _SEASON.search(text)
        named = season_named(season.group(1)) if season else None
        return (int(years[0]) if years else None), named, "?" in text, "tba" in text.lower()
    return None, None, False, False


def _status(open_run: bool, tba: bool, end: Any, year: int | None, today: dt.date) -> Status | None:
    if open_run:
        return Status.ONGOING
    if tba:
        return Status.UPCOMING
    if end is not None and end.latest() < today:
        return Status.FINISHED
    if year is not None and year > today.year:
        return Status.UPCOMING
    return None


def _score(data: dict[str, Any], bar: list[HtmlElement]) -> Rating | None:
    rating = data.get("aggregateRating")
    if isinstance(rating, dict):
        value = float_from_text(rating.get("ratingValue"))
        best = float_from_text(rating.get("bestRating")) or 5.0
        votes = int_from_text(rating.get("ratingCount"))
        if value is not None and 0 < value <= best:
            return Rating(value, best, votes)
    for cell in bar:
        for element in cell.xpath(".//div[contains(@class, 'avgRating')]"):
            match = _RATING.search(element.get("title") or text_of(element) or "")
            if match:
                value, scale = float(match.group(1)), float(match.group(2))
                votes = int(match.group(3).replace(",", "")) if match.group(3) else None
                if 0 < value <= scale:
                    return Rating(value, scale, votes)
    return None


def _rank(bar: list[HtmlElement]) -> int | None:
    for cell in bar:
        match = _RANK.search(text_of(cell) or "")
        if match:
            return _positive(match.group(1).replace(",", ""))
    return None


def _studios(root: HtmlElement) -> list[str] | None:
    bars = root.xpath("//section[contains(concat(' ', @class, ' '), ' entryBar ')]")
    if not bars:
        return None
    return texts_of(bars[0].xpath(".//a[contains(@href, '/anime/studios/')]"))


def _synopsis(root: HtmlElement) -> str | None:
    for element in root.xpath(
        "//div[contains(@class, 'entrySynopsis')]//div[contains(@class, 'md-3-5')]/div/p"
    ):
        text = text_of(element)
        if text:
            return text
    return None


def _tags(root: HtmlElement) -> list[str]:
    return texts_of(root.xpath("//div[contains(concat(' ', @class, ' '), ' tags ')]//li/a"))


def _picture(root: HtmlElement, data: dict[str, Any]) -> str | None:
    """The poster: the page's image, else JSON-LD's; og:image only when it is a poster (some are screenshots).
    The default picture of entries without one is no picture."""
    shared = meta_content(root, "og:image")
    candidates = [
        *root.xpath("//img[@itemprop='image']/@src"),
        _repaired(data.get("image")),
        shared if shared and "/anime/primary/" in shared else None,
    ]
    return next(
        (
            u
            for u in candidates
            if isinstance(u, str) and u.startswith("https://") and _PLACEHOLDER_PICTURE not in u
        ),
        None,
    )


def _repaired(url: Any) -> str | None:
    """JSON-LD's ``image`` reads "https://www.anime-planet.comhttps://cdn...": the second one is real."""
    if not isinstance(url, str):
        return None
    at = url.rfind("https://")
    return url[at:] if at >= 0 else None


def _relations(root: HtmlElement) -> list[RelatedEntry] | None:
    """Related anime (the anime tab only: the manga tab lists adaptations' sources)."""
    headings = root.xpath("//h2[normalize-space()='Related anime']")
    if not headings:
        return None
    entries: list[RelatedEntry] = []
    for link in root.xpath(
        "//*[starts-with(@id, 'tabs--relations--anime')]//a[contains(@class, 'RelatedEntry')]"
    ):
        href = link.get("href") or ""
        match = _SLUG_PATH.search(href)
        pid = platform_id_or_none(Platform.ANIMEPLANET, match.group(1)) if match else None
        name = text_of(link.find(".//*[@class='RelatedEntry__name rounded-card__title']")) or text_of(
            next(iter(link.xpath(".//p[contains(@class, 'RelatedEntry__name')]")), None)
        )
        word = text_of(next(iter(link.xpath(".//*[contains(@class, 'RelatedEntry__subtitle')]")), None))
        url = f"{SITE}{href}" if href.startswith("/") else (href or None)
        entries.append(RelatedEntry((word or "same franchise").lower(), name, pid, "anime", url))
    return entries


_SEARCH_PAGE_BYTES = b"<h1>you searched for"


@guarded_detector(SOURCE)
def detect_error(status: int, body: bytes, *, headers: Mapping[str, str] | None = None) -> SourceError | None:
    """A dead entry answers 200 with the search page: not found (cached as such, not as a page)."""
    if 200 <= status < 300 and _SEARCH_PAGE_BYTES in body[:200_000].lower():
        return NotFound("Anime-Planet has no such anime (its page led to a search)", source=SOURCE)
    return None
