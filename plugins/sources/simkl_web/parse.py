"""Simkl's public anime page (``https://simkl.com/anime/<id>/<slug>``). Pure, no I/O.

Read by labels and schema.org microdata, never by position: the page title (``h1``, the ``TVSeries``
``itemprop=name``), the detail rows ("Other Titles:", "Studios:", "Tags:", "Air Date:", "Type:"), the
``og:title`` (``Death Note (Anime TV 2006 - 2007)``: type and years), the info line (``... • 37 episodes``),
``itemprop=genre``, and the Simkl rating (``itemprop=ratingValue`` on a 1-10 scale with ``ratingCount``).
"Air Date:" is written ``10/03/2006 - 06/26/2007`` (US order) or ``Friday Dec 29, 2023``.

- ``parse_anime(body, *, fetched_at, url="") -> SourceRecord``
- ``detect_error(status, body, *, headers=None)``: the HTTP policy (challenge pages -> ``Blocked``).
"""

from __future__ import annotations

import datetime as dt
import re

from anime_mcp.adapters.source_toolkit import (
    RecordBuilder,
    anime_type,
    clean_str,
    guarded,
    platform_id_or_none,
    season_of,
)
from anime_mcp.core.errors import ParseError
from anime_mcp.core.languages import ROMAJI
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import LocalizedText, Rating, SourceRecord
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
    text_of,
)

SOURCE = "simkl_web"
_ID = re.compile(r"simkl\.com/anime/(\d+)|^/anime/(\d+)")
_OG_TITLE = re.compile(r"^(.*\S)\s*\(Anime\s+(.*?)\s*(\d{4})?(?:\s*-\s*(\d{4}|Now))?\s*\)\s*$")


detect_error = page_detector(SOURCE)  # the HTTP policy for HTML pages (challenge pages -> Blocked)


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, fetched_at: dt.datetime, url: str = "") -> SourceRecord:
    root = page_tree(body, source=SOURCE)
    show = first(root, '//*[@itemscope][contains(@itemtype, "schema.org/TVSeries")]')
    if show is None:
        raise ParseError("not a Simkl anime page (no TVSeries)", source=SOURCE)
    rows = _rows(show)
    og = _OG_TITLE.match(meta(root, "og:title") or "")
    b = RecordBuilder(_page_id(root, url))
    title = first_text(root, "//h1") or first_text(show, './/*[@itemprop="name"]')
    b.set("title", title)
    titles = [LocalizedText("und", title, "main")] if title else []
    if og and og.group(1) != title:
        titles.append(LocalizedText(ROMAJI, og.group(1), "official"))
    others = rows.get("other titles")
    titles += [LocalizedText("und", t.strip(), "synonym") for t in (others or "").split(", ") if t.strip()]
    titles = list({(t.language, t.text): t for t in titles}.values())  # first seen wins
    b.set_list("localized_titles", titles)
    b.set_list("titles", [t.text for t in titles])
    kind = rows.get("type") or (og.group(2) if og else None)
    b.set("type", anime_type(kind))
    b.set("episodes", _episodes(show))
    start = english_date(rows.get("air date", "").split(" - ")[0]) if "air date" in rows else None
    if start is None and og and og.group(3):
        start = english_date(og.group(3))
    b.set("start_date", start.full if start else None)
    b.set("year", start.year if start else None)
    b.set("season", season_of(start))
    if (og and og.group(4) == "Now") or (rows.get("air date") or "").endswith("- Now"):
        b.set("status", Status.ONGOING)
    b.set_list("studios", _row_links(show, "Studios:") if "studios" in rows else [])
    b.set_list("genres", [text_of(g) for g in show.xpath('.//*[@itemprop="genre"]') if text_of(g)] or None)
    b.set_list("tags", _row_links(show, "Tags:") or None)
    b.set("score", _score(show))
    b.set("synopsis", first_text(show, './/*[@itemprop="description"]') or meta(root, "description"))
    b.set("picture", _picture(show))
    return b.build(fetched_at=fetched_at)


def _rows(show: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for row in show.xpath(".//tr[td[1]/strong]"):
        label = text_of(first(row, "./td[1]"))
        if label.endswith(":"):
            found.setdefault(label.rstrip(":").lower(), text_of(first(row, "./td[2]")))
    return found


def _row_links(show: HtmlElement, label: str) -> list[str]:
    row = first(show, f'.//tr[td[1]/strong[normalize-space(.)="{label}"]]/td[2]')
    return [text_of(a) for a in row.xpath(".//a")] if row is not None else []


def _page_id(root: HtmlElement, url: str) -> PlatformId:
    for candidate in (canonical(root), meta(root, "og:url"), url):
        match = _ID.search(str(candidate or ""))
        pid = platform_id_or_none(Platform.SIMKL, (match.group(1) or match.group(2)) if match else None)
        if pid is not None:
            return pid
    raise ParseError("not a Simkl anime page (no anime id)", source=SOURCE)


def _episodes(show: HtmlElement) -> int | None:
    for line in show.xpath('.//span[contains(@class, "tippyInfo")]/..'):
        match = re.search(r"(\d[\d,]*)\s+episodes?\b", text_of(line))
        if match:
            return count(match.group(1))
    return None


def _score(show: HtmlElement) -> Rating | None:
    box = first(show, './/*[@itemscope][contains(@itemtype, "schema.org/AggregateRating")]')
    if box is None:
        return None
    value = decimal(
        first_text(box, './/*[@itemprop="ratingValue"]')
        or first(box, './/*[@itemprop="ratingValue"]/@content')
    )
    best = decimal(first_text(box, './/*[@itemprop="bestRating"]') or "10")
    votes = first(box, './/*[@itemprop="ratingCount"]/@content') or first_text(
        box, './/*[@itemprop="ratingCount"]'
    )
    if value is None or best != 10.0 or not 1.0 <= value <= 10.0:
        return None
    return Rating(value=value, scale=10.0, votes=count(votes))


def _picture(show: HtmlElement) -> str | None:
    shown = text_of(first(show, './/img[@itemprop="image"]/@src'))
    if not shown or "no_pic" in shown or "no_poster" in shown:
        return None
    return "https:" + shown if shown.startswith("//") else clean_str(shown)
