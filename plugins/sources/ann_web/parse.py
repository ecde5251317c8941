"""Anime News Network encyclopedia page (``https://www.animenewsnetwork.com/encyclopedia/anime.php?id=<id>``).

Pure, no I/O. The page is read by its labels (``div.encyc-info-type > strong``): "Alternative title:",
"Genres:", "Themes:", "Plot Summary:", "User Ratings:", "Number of episodes:", "Vintage:", "Running time:".
The heading carries the type in parentheses (``Death Note (TV)``, ``(OAV)``, ``(movie)``, ``(ONA)``,
``(special)``); the title is the heading without it. The score is the "Weighted mean" of the rating box on
ANN's 1-10 scale (the API's ``weighted_score``), with "N ratings have been given" as the vote count; the
studios are the "Animation Production" credits.

- ``parse_anime(body, *, fetched_at, url="") -> SourceRecord``
- ``detect_error(status, body, *, headers=None)``: the HTTP policy (challenge pages -> ``Blocked``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    clean_str,
    guarded,
    partial_date,
    platform_id_or_none,
    season_of,
)
from anime_mcp.core.errors import ParseError
from anime_mcp.core.languages import language_tag
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import LocalizedText, Rating, SourceRecord
from anime_mcp.plugins.sources.web_pages import (
    HtmlElement,
    canonical,
    count,
    decimal,
    first,
    page_detector,
    page_tree,
    text_duration_seconds,
    text_of,
)

SOURCE = "ann_web"
_ID = re.compile(r"anime\.php\?id=(\d+)")
_KIND = re.compile(r"^(.*\S)\s*\(([^()]*)\)\s*$")
_TYPES = {"tv": "tv", "oav": "ova", "ova": "ova", "ona": "ona", "movie": "movie", "movies": "movie"}
_TYPES |= {"special": "special", "tv special": "special", "music video": "music video"}


detect_error = page_detector(SOURCE)  # the HTTP policy for HTML pages (challenge pages -> Blocked)


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, fetched_at: dt.datetime, url: str = "") -> SourceRecord:
    root = page_tree(body, source=SOURCE)
    heading = text_of(first(root, '//h1[@id="page_header"]'))
    labels = _labels(root)
    if not heading or not labels:
        raise ParseError("not an ANN encyclopedia anime page", source=SOURCE)
    b = RecordBuilder(_page_id(root, url))
    title, kind = _title_and_kind(heading)
    b.set("title", title)
    titles = [LocalizedText("en", title, "main")] if title else []
    titles += _alternative_titles(labels.get("alternative title"))
    titles = list({(t.language, t.text): t for t in titles}.values())  # first seen wins
    b.set_list("localized_titles", titles)
    b.set_list("titles", [t.text for t in titles])
    b.set("type", anime_type(_TYPES.get((kind or "").lower().split(" by ")[0].rstrip(" 0123456789"))))
    b.set("episodes", count(_value(labels, "number of episodes")))
    vintage = labels.get("vintage")
    first_line = text_of(first(vintage, './div[@class="tab"]')) if vintage is not None else ""
    start = partial_date(first_line or _value(labels, "vintage"))  # 2006-10-03, 1991-07 or 1991
    b.set("start_date", start.full if start else None)
    b.set("year", start.year if start else None)
    b.set("season", season_of(start))
    b.set("duration_seconds", text_duration_seconds(_value(labels, "running time")))
    b.set_list("genres", _links(labels.get("genres")) if "genres" in labels else None)
    b.set_list("tags", _links(labels.get("themes")) if "themes" in labels else None)
    b.set("synopsis", _value(labels, "plot summary"))
    b.set("score", _score(root, labels))
    b.set_list("studios", [text_of(a) for a in root.xpath(_STUDIOS)] or None)
    b.set("picture", _picture(root))
    return b.build(fetched_at=fetched_at)


_STUDIOS = '//div[contains(@class, "ENTAB")][b[normalize-space(.)="Animation Production"]]/a'


def _labels(root: HtmlElement) -> dict[str, HtmlElement]:
    found: dict[str, HtmlElement] = {}
    for block in root.xpath('//div[contains(@class, "encyc-info-type")][strong]'):
        label = text_of(first(block, "./strong")).rstrip(":").strip().lower()
        if label:
            found.setdefault(label, block)
    return found


def _value(labels: Mapping[str, HtmlElement], name: str) -> str | None:
    block = labels.get(name)
    if block is None:
        return None
    return clean_str(text_of(block).removeprefix(text_of(first(block, "./strong"))))


def _links(block: HtmlElement | None) -> list[str]:
    return [text_of(a) for a in block.xpath(".//a")] if block is not None else []


def _page_id(root: HtmlElement, url: str) -> PlatformId:
    for candidate in (canonical(root), url):
        match = _ID.search(str(candidate or ""))
        pid = platform_id_or_none(Platform.ANN, match.group(1)) if match else None
        if pid is not None:
            return pid
    raise ParseError("not an ANN encyclopedia anime page (no anime id)", source=SOURCE)


def _title_and_kind(heading: str) -> tuple[str, str | None]:
    match = _KIND.match(heading)
    if match is None:
        return heading, None
    return match.group(1), match.group(2)


def _alternative_titles(block: HtmlElement | None) -> list[LocalizedText]:
    if block is None:
        return []
    found: list[LocalizedText] = []
    for tab in block.xpath('./div[@class="tab"]'):
        text = text_of(tab)
        match = _KIND.match(text)
        name, language = (match.group(1), match.group(2)) if match else (text, "")
        found.append(LocalizedText(language_tag(language.split(" (")[0]), name, "official"))
    return found


def _score(root: HtmlElement, labels: Mapping[str, HtmlElement]) -> Rating | None:
    box = labels.get("user ratings")
    if box is None:
        return None
    weighted = first(box, './/b[starts-with(normalize-space(.), "Weighted mean")]')
    if weighted is None or weighted.tail is None:
        return None
    value = decimal(weighted.tail)
    if value is None or not 1.0 <= value <= 10.0:
        return None
    votes = re.search(r"([\d,]+)\s+ratings? have been given", text_of(box))
    return Rating(value=value, scale=10.0, votes=count(votes.group(1)) if votes else None)


def _picture(root: HtmlElement) -> str | None:
    shown = first(root, '//div[@id="infotype-19"]//img/@src') or first(root, '//img[@class="fright"]/@src')
    text = text_of(shown)
    if not text:
        return None
    return "https:" + text if text.startswith("//") else text
