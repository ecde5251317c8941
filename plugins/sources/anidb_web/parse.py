"""AniDB's public anime page (``https://anidb.net/anime/<id>``). Pure, no I/O.

The page's first definition list (``div.g_definitionlist``, rows ``tr.romaji``, ``tr.official``,
``tr.syn``, ``tr.short``, ``tr.type``, ``tr.year``, ``tr.season``, ``tr.tags``, ``tr.rating``,
``tr.tmprating``) is read by its row classes, and by the headings where a class is missing. The score is the
permanent "Rating" on AniDB's 1-10 scale (``8.58 (20205)``: value and votes), else the temporary "Average";
``N/A`` is no score. Error pages: "Unknown anime id" (deleted) and a pending addition are ``NotFound``; the
18+ interstitial is ``AuthRequired`` (a logged-in user may see the entry), AntiLeech and 403 are ``Blocked``.

- ``parse_anime(body, *, fetched_at, url="") -> SourceRecord``
- ``detect_error(status, body, *, headers=None)``
"""

from __future__ import annotations

import datetime as dt
import re

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
    status_from_dates,
)
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, SourceError
from anime_mcp.core.languages import ROMAJI, language_tag
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import LocalizedText, Rating, SourceRecord
from anime_mcp.plugins.sources.web_pages import (
    HtmlElement,
    canonical,
    count,
    decimal,
    dotted_date,
    first,
    first_text,
    page_detector,
    page_tree,
    text_of,
)

SOURCE = "anidb_web"
_ID = re.compile(r"anidb\.net/(?:anime/|perl-bin/animedb\.pl\?show=anime&aid=)(\d+)|\(a(\d+)\)")


detect_error = page_detector(SOURCE)  # the HTTP policy for HTML pages (challenge pages -> Blocked)


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, fetched_at: dt.datetime, url: str = "") -> SourceRecord:
    root = page_tree(body, source=SOURCE)
    info = first(root, '//div[contains(@class, "g_definitionlist")]')
    if info is None:
        raise _page_error(root)
    rows = _rows(info)
    romaji = rows.get("romaji")
    b = RecordBuilder(_page_id(root, romaji, url))
    title = _main_title(romaji)
    b.set("title", title)
    titles = [LocalizedText(ROMAJI, title, "main")] if title else []
    titles += _titles(info)
    titles = list({(t.language, t.text): t for t in titles}.values())  # first seen wins
    b.set_list("localized_titles", titles)
    b.set_list("titles", [t.text for t in titles])
    kind, _, rest = text_of(rows.get("type")).partition(",")
    b.set("type", anime_type(kind.removesuffix(" Series").strip() if kind else None))
    b.set("episodes", count(rest) if re.search(r"\d+\s+(?:episodes?|movies?|parts?)", rest) else None)
    start_text, _, end_text = text_of(rows.get("year")).partition(" until ")
    start, end = dotted_date(start_text), dotted_date(end_text)
    b.set("start_date", start.full if start else None)
    b.set("end_date", end.full if end else None)
    b.set("year", start.year if start else None)
    season_words = text_of(rows.get("season")).split()
    b.set("season", season_named(season_words[0]) if season_words else season_of(start))
    if start is not None and start.month is not None:  # "??.??.1996" tells no status
        b.set("status", status_from_dates(start, end, fetched_at.date()))
    b.set("score", _rating(rows.get("rating")) or _rating(rows.get("tmprating")))
    b.set_list(
        "tags",
        [text_of(t) for t in info.xpath('.//tr[contains(@class, "tags")]//a//span[@class="tagname"]')]
        or None,
    )
    b.set("synopsis", _synopsis(root))
    b.set("picture", _picture(root))
    return b.build(fetched_at=fetched_at)


def _page_error(root: HtmlElement) -> SourceError:
    heading = (first_text(root, "//h1") or "").lower()
    message = first_text(root, '//div[contains(@class, "g_msg")]') or heading
    if "adult content" in heading:
        return AuthRequired("AniDB shows 18+ entries to logged-in users only", source=SOURCE)
    if heading == "error" or "unknown anime id" in message.lower():
        return NotFound(f"AniDB: {message}", source=SOURCE)
    return ParseError("not an AniDB anime page", source=SOURCE)


def _rows(info: HtmlElement) -> dict[str, HtmlElement]:
    found: dict[str, HtmlElement] = {}
    for row in info.xpath(".//tr"):
        classes = set((row.get("class") or "").split()) - {"g_odd", "verified", "yes", "no"}
        name = next(iter(sorted(classes)), None) or text_of(first(row, "./th")).lower()
        cell = first(row, "./td")
        if name and cell is not None:
            found.setdefault(name, cell)
    return found


def _page_id(root: HtmlElement, romaji: HtmlElement | None, url: str) -> PlatformId:
    for candidate in (canonical(root), text_of(romaji), url):
        match = _ID.search(str(candidate or ""))
        pid = platform_id_or_none(Platform.ANIDB, (match.group(1) or match.group(2)) if match else None)
        if pid is not None:
            return pid
    raise ParseError("not an AniDB anime page (no anime id)", source=SOURCE)


def _main_title(cell: HtmlElement | None) -> str | None:
    if cell is None:
        return None
    shown = first_text(cell, './/span[@itemprop="name"]') or text_of(cell)
    return clean_str(re.sub(r"\s*\(a\d+\)\s*$", "", shown))


def _titles(info: HtmlElement) -> list[LocalizedText]:
    found: list[LocalizedText] = []
    for row in info.xpath('.//tr[contains(@class, "official")]'):
        cell = first(row, "./td")
        languages = [s.get("title", "") for s in cell.xpath('.//span[contains(@class, "i_flag")]')]
        languages = [s.removeprefix("language: ") for s in languages if s] or ["und"]
        name = first_text(cell, './/label[@itemprop="alternateName"]') or first_text(cell, ".//label")
        if name:
            found += [LocalizedText(language_tag(lang), name, "official") for lang in languages[:1]]
    for kind, cls in (("synonym", "syn"), ("short", "short")):
        for row in info.xpath(f'.//tr[contains(concat(" ", @class, " "), " {cls} ")]'):
            text = text_of(first(row, "./td"))
            found += [LocalizedText("und", part.strip(), kind) for part in text.split(", ") if part.strip()]
    return list({(t.language, t.text): t for t in found}.values())


def _rating(cell: HtmlElement | None) -> Rating | None:
    text = text_of(cell)
    if not text or text.startswith("N/A"):
        return None
    value = decimal(text.split("(")[0])
    votes = re.search(r"\((\d[\d,]*)\)", text)
    if value is None or not 1.0 <= value <= 10.0:
        return None
    return Rating(value=value, scale=10.0, votes=count(votes.group(1)) if votes else None)


def _synopsis(root: HtmlElement) -> str | None:
    node = first(root, '//div[@itemprop="description"]')
    if node is None:
        return None
    return html_to_text(lxml.html.tostring(node, encoding="unicode"))


def _picture(root: HtmlElement) -> str | None:
    shown = text_of(first(root, '//div[contains(@class, "image")]//img[@itemprop="image"]/@src'))
    return shown or None
