"""MyAnimeList's public anime page (``https://myanimelist.net/anime/<id>``), both layouts. Pure, no I/O.

MAL sends a smartphone layout to mobile browsers (the recordings) and a desktop layout otherwise. Both are
read by their labels, never by position: the smartphone page's information table (``td.list-title`` "Type",
"Episodes", "Status", "Aired", "Premiered", "Studios", "Genres", "Duration", "Alternative Titles") and the
desktop page's ``span.dark_text`` labels ("Type:", "Episodes:", ... "Synonyms:", "English:"). The score is
the smartphone status block's ``span.score`` with its "(N users)", or the desktop ``itemprop=ratingValue``
/ ``div.score-label`` with ``ratingCount`` / ``data-user``; "N/A" is no score. Scores keep MAL's 1-10 scale.

- ``parse_anime(body, *, fetched_at, url="") -> SourceRecord``
- ``detect_error(status, body, *, headers=None)``: the HTTP policy (challenge pages -> ``Blocked``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping

import lxml.html

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    clean_str,
    guarded,
    html_to_text,
    platform_id_or_none,
    season_named,
    season_of,
)
from anime_mcp.core.errors import NotFound, ParseError
from anime_mcp.core.languages import ROMAJI, language_tag
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import LocalizedText, Rating, RelatedEntry, SourceRecord
from anime_mcp.plugins.sources.web_pages import (
    HtmlElement,
    canonical,
    count,
    decimal,
    english_date,
    first,
    first_text,
    meta,
    page_detector,
    page_tree,
    text_duration_seconds,
    text_of,
)

SOURCE = "mal_web"
_ANIME_URL = re.compile(r"myanimelist\.net/anime/(\d+)|^/anime/(\d+)")
_RELATED = re.compile(r"myanimelist\.net/(anime|manga)/(\d+)")
_STATUS = {
    "finished airing": Status.FINISHED,
    "currently airing": Status.ONGOING,
    "not yet aired": Status.UPCOMING,
}
_TITLE_LABELS = {"synonyms": "und", "japanese": "ja", "english": "en"}
_PLACEHOLDER_PICTURE = re.compile(r"/images/qm_\d+\.gif")


detect_error = page_detector(SOURCE)  # the HTTP policy for HTML pages (challenge pages -> Blocked)


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, fetched_at: dt.datetime, url: str = "") -> SourceRecord:
    root = page_tree(body, source=SOURCE)
    labels = _labels(root)
    if not labels:
        if (
            first(root, '//div[contains(@class, "error404")] | //div[contains(@class, "badresult")]')
            is not None
        ):
            raise NotFound("MyAnimeList has no such anime", source=SOURCE)
        raise ParseError("not a MyAnimeList anime page (no information labels)", source=SOURCE)
    b = RecordBuilder(_page_id(root, url))
    title = first_text(root, '//h1[contains(@class, "title-name")]') or first_text(root, "//h1")
    b.set("title", title)
    localized = _alternative_titles(root, labels)
    if title:
        localized.insert(0, LocalizedText(ROMAJI, title, "main"))
    b.set_list("localized_titles", localized)
    b.set_list("titles", [t.text for t in localized])
    b.set("type", anime_type(_value(labels, "type")))
    episodes = _value(labels, "episodes")
    b.set("episodes", count(episodes) if episodes and episodes[0].isdigit() else None)
    b.set("status", _STATUS.get((_value(labels, "status") or "").lower()))
    start_text, _, end_text = (_value(labels, "aired") or "").partition(" to ")
    start = english_date(start_text)
    end = english_date(end_text)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("year", start.year if start else None)
    premiered = (_value(labels, "premiered") or "").split()
    b.set("season", season_named(premiered[0]) if premiered else season_of(start))
    b.set("duration_seconds", text_duration_seconds(_value(labels, "duration")))
    b.set_list("studios", _links(labels.get("studios")))
    genres = _links(labels.get("genres")) + _links(labels.get("genre"))
    b.set_list("genres", genres if "genres" in labels or "genre" in labels else None)
    themes = [*_links(labels.get("themes")), *_links(labels.get("theme")), *_links(labels.get("demographic"))]
    b.set_list("tags", themes or None)
    b.set("score", _score(root))
    b.set("rank", _rank(root, labels))
    b.set("synopsis", _synopsis(root))
    b.set("picture", _picture(root))
    b.set_list("relations", _relations(root))
    return b.build(fetched_at=fetched_at)


# --- labels: the smartphone table and the desktop side bar ------------------------------------------
def _labels(root: HtmlElement) -> dict[str, HtmlElement]:
    found: dict[str, HtmlElement] = {}
    for row in root.xpath('//table[contains(@class, "table-list")]//tr[td[contains(@class, "list-title")]]'):
        cells = row.xpath("./td")
        if len(cells) >= 2:
            found.setdefault(_key(text_of(cells[0])), cells[1])
    for item in root.xpath('//div[contains(@class, "spaceit_pad")][span[contains(@class, "dark_text")]]'):
        found.setdefault(_key(first_text(item, './span[contains(@class, "dark_text")]') or ""), item)
    return found


def _key(label: str) -> str:
    """A label as a key: "Alternative<br>Titles" reads "AlternativeTitles" in one layout, two words in the
    other, so spaces go."""
    return "".join(label.rstrip(": ").lower().split())


def _value(labels: Mapping[str, HtmlElement], name: str) -> str | None:
    node = labels.get(name)
    if node is None:
        return None
    label = first_text(node, './span[contains(@class, "dark_text")]') or ""
    return clean_str(text_of(node).removeprefix(label))


def _links(node: HtmlElement | None) -> list[str]:
    if node is None:
        return []
    return [text_of(a) for a in node.xpath('.//a[not(contains(@href, "add="))]') if text_of(a)]


def _page_id(root: HtmlElement, url: str) -> PlatformId:
    candidates = [
        canonical(root),
        meta(root, "og:url"),
        first(root, '//div[contains(@class, "page-title")]//a/@href'),
    ]
    for candidate in [*candidates, url]:
        match = _ANIME_URL.search(str(candidate or ""))
        pid = platform_id_or_none(Platform.MAL, (match.group(1) or match.group(2)) if match else None)
        if pid is not None:
            return pid
    raise ParseError("not a MyAnimeList anime page (no anime id)", source=SOURCE)


def _alternative_titles(root: HtmlElement, labels: Mapping[str, HtmlElement]) -> list[LocalizedText]:
    found: list[LocalizedText] = []
    block = labels.get("alternativetitles")
    if block is not None:  # smartphone: <span>English</span><br>Death Note<br><span>Synonyms</span> ...
        language = None
        for node in block.xpath("./node()"):
            if isinstance(node, str):
                text = node.strip()
                if text and language is not None:
                    found += _titles_of(language, text)
            elif node.tag == "span" and "fn-grey5" in (node.get("class") or ""):
                language = text_of(node).lower()
            elif node.tail and language is not None and node.tail.strip():
                found += _titles_of(language, node.tail.strip())
    for name, node in labels.items():  # desktop: "Synonyms:", "Japanese:", "English:", "German:", ...
        if node.tag == "div" and (name in _TITLE_LABELS or language_tag(name) != "und"):
            shown = _value(labels, name)
            if shown:
                found += _titles_of(name, shown)
    return list({(t.language, t.text): t for t in found}.values())


def _titles_of(label: str, text: str) -> list[LocalizedText]:
    if label == "synonyms":
        parts = text.split("; ") if ";" in text else text.split(", ")  # each layout its own separator
        return [LocalizedText("und", part.strip(), "synonym") for part in parts if part.strip()]
    return [LocalizedText(_TITLE_LABELS.get(label) or language_tag(label), text, "official")]


def _score(root: HtmlElement) -> Rating | None:
    shown = first_text(root, '//ul[contains(@class, "detail-information")]//span[contains(@class, "score")]')
    users = first_text(
        root, '//ul[contains(@class, "detail-information")]/li[1]/span[contains(@class, "fn-grey")]'
    )
    if shown is None:  # the desktop layout
        shown = first_text(root, '//*[@itemprop="ratingValue"]') or first_text(
            root, '//div[contains(@class, "score-label")]'
        )
        users = first_text(root, '//*[@itemprop="ratingCount"]') or text_of(
            first(root, '//div[contains(@class, "score")][@data-user]/@data-user')
        )
    value = decimal(shown) if shown and "N/A" not in shown else None
    if value is None or not 1.0 <= value <= 10.0:
        return None
    return Rating(value=value, scale=10.0, votes=count(users))


def _rank(root: HtmlElement, labels: Mapping[str, HtmlElement]) -> int | None:
    shown = _value(labels, "ranked") or first_text(
        root, '//ul[contains(@class, "detail-information")]//a[contains(@href, "topanime")]'
    )
    match = re.search(r"#\s*(\d+)", shown or "")
    return int(match.group(1)) or None if match else None  # "#0": not ranked yet


def _synopsis(root: HtmlElement) -> str | None:
    node = first(root, '//*[@itemprop="description"]')
    if node is None:
        return None
    text = html_to_text(lxml.html.tostring(node, encoding="unicode"))
    if text is None or "no synopsis information has been added" in text.lower():
        return None
    return text


def _picture(root: HtmlElement) -> str | None:
    shown = text_of(
        first(root, '//div[contains(@class, "status-block")]//*[@itemprop="image"]/@content')
        or first(root, '//img[@itemprop="image"]/@data-src')
        or first(root, '//img[@itemprop="image"]/@src')
        or meta(root, "og:image")
    )
    return None if not shown or _PLACEHOLDER_PICTURE.search(shown) else shown


def _relations(root: HtmlElement) -> list[RelatedEntry] | None:
    box = first(
        root, '//*[@id="related-entries-tab" or @id="related-manga" or contains(@class, "related-entries")]'
    )
    if box is None:
        box = first(root, '//table[contains(@class, "anime_detail_related_anime")]')
    if box is None:
        return None
    found: list[RelatedEntry] = []
    for tile in box.xpath(
        './/div[contains(@class, "entries-tile")]//div[contains(@class, "slider")][.//div[@class="text"]]'
    ):
        link = first(tile, './/a[contains(@href, "myanimelist.net/")][not(contains(@href, "login"))]')
        if link is not None:
            found.append(
                _related(link, first_text(tile, './/div[@class="text"]'), first(link, ".//img/@alt"))
            )
    for row in box.xpath(".//tr"):
        cells = row.xpath("./td")
        if len(cells) < 2:
            continue
        relation = text_of(cells[0]).rstrip(":")
        for link in cells[1].xpath(".//a[@href]"):
            found.append(_related(link, relation, text_of(link)))
    return found


def _related(link: HtmlElement, relation: str | None, title: object) -> RelatedEntry:
    href = link.get("href", "")
    match = _RELATED.search(href)
    media = match.group(1) if match else "unknown"
    pid = platform_id_or_none(Platform.MAL, match.group(2)) if match and media == "anime" else None
    word = " ".join((relation or "other").lower().replace("_", " ").split()) or "other"
    return RelatedEntry(relation=word, title=clean_str(title), platform_id=pid, media=media, url=href or None)
