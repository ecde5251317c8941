"""aniSearch page parsers (``https://www.anisearch.com/anime/<id>`` and ``.../relations``). Pure, no I/O.

- ``parse_anime(body, *, fetched_at, url="") -> SourceRecord``: the anime page. JSON-LD first (name, rating,
  episodes, dates, image), then the page's information block, read by its labels: one block per language
  (``lang="ja"`` holds the original romaji title in bold, the Japanese script and other romanisations in grey;
  ``en``, ``de``, ... hold the localised titles), "Type:" (``TV-Series, 37 (~23 min)``), "Status:",
  "Release Date:"/"Published:" (``04.10.2006 - 27.06.2007``, ``03.2014``, ``?``), "Studio:", "Synonyms:";
  the description per language (``synopses``; ``synopsis`` is the English one, else the first); main and
  subsidiary genres (``genres``) and tags (``tags``); the relations box.
- ``parse_relations(body) -> list[RelatedEntry]``: the relations page (every table: anime, manga, ...).
- ``detect_error(status, body, *, headers=None)``: the HTTP policy, challenge pages -> ``Blocked``.

The score keeps aniSearch's scale, 0.1 to 5 stars (JSON-LD ``worstRating``/``bestRating``), with the vote
count. A page nobody rated still carries JSON-LD ``2.5`` from 1 vote while its histogram is empty and its
"Calculated Value" is 0.00: that placeholder is no score.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

import lxml.html

from anime_mcp.adapters.source_toolkit import (
    PartialDate,
    RecordBuilder,
    anime_type,
    clean_str,
    float_from_text,
    guarded,
    html_to_text,
    partial_date,
    platform_id_or_none,
    season_of,
)
from anime_mcp.core.errors import ParseError
from anime_mcp.core.languages import ROMAJI, language_tag
from anime_mcp.core.models import Status
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import LocalizedText, Rating, RelatedEntry, SourceRecord
from anime_mcp.plugins.sources.web_pages import (
    HtmlElement,
    canonical,
    count,
    dotted_date,
    first,
    first_text,
    iso_duration_seconds,
    json_ld,
    page_detector,
    page_tree,
    text_of,
)

SOURCE = "anisearch"
BASE = "https://www.anisearch.com/"
SCALE = 5.0
_ID = re.compile(r"anisearch\.[a-z]+/anime/(\d+)|^/?anime/(\d+)")
_STATUS = {
    "completed": Status.FINISHED,
    "aborted": Status.FINISHED,  # it aired, then stopped for good
    "ongoing": Status.ONGOING,
    "upcoming": Status.UPCOMING,
    "on hold": Status.UNKNOWN,
    "canceled": Status.UNKNOWN,
    "cancelled": Status.UNKNOWN,
}
_MEDIA = {"anime": "anime", "manga": "manga", "movie": "live action", "drama": "live action"}
_JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")
_PLACEHOLDER_COVER = re.compile(r"/cover/0_\d+\.")


detect_error = page_detector(SOURCE)  # the HTTP policy for HTML pages (challenge pages -> Blocked)


@guarded(SOURCE)
def parse_anime(body: bytes | str, *, fetched_at: dt.datetime, url: str = "") -> SourceRecord:
    root = page_tree(body, source=SOURCE)
    ld = _anime_ld(root)
    blocks = _title_blocks(root)
    if not ld and not blocks:
        raise ParseError("not an aniSearch anime page (no information block, no JSON-LD)", source=SOURCE)
    pid = _page_id(root, ld, url)
    original = blocks[0] if blocks else None
    b = RecordBuilder(pid)
    titles = _titles(root, blocks)
    b.set("title", clean_str(ld.get("name")) or (titles[0].text if titles else None) or _headline(root))
    b.set_list("titles", [t.text for t in titles] + [_headline(root)])
    b.set_list("localized_titles", titles or None)
    labels = _labels(original) if original is not None else {}
    kind, episodes = _type_and_episodes(labels.get("type"))
    b.set("type", anime_type(kind))
    if "type" not in labels:  # JSON-LD says 1 where the page says "?": the page's own line wins
        episodes = count(ld.get("numberOfEpisodes"))
    b.set("episodes", episodes)
    b.set("duration_seconds", _duration(original))
    b.set("status", _STATUS.get((labels.get("status") or "").lower()))
    start = _start(labels, ld)
    b.set("start_date", start.full if start else None)
    b.set("year", start.year if start else None)
    b.set("season", season_of(start))
    studios = labels.get("studio") or labels.get("studios")
    if original is not None:
        b.set_list("studios", _links_after(original, ("studio:", "studios:")) if studios else [])
    synopses = _synopses(root)
    b.set_list("synopses", synopses or None)
    english = next((s.text for s in synopses if s.language == "en"), None)
    b.set("synopsis", english or (synopses[0].text if synopses else None))
    genres, tags = _cloud(root)
    b.set_list("genres", genres)
    b.set_list("tags", tags)
    b.set("score", _score(root, ld))
    b.set("picture", _picture(root, ld))
    b.set_list("relations", _relations_box(root))
    return b.build(fetched_at=fetched_at)


@guarded(SOURCE)
def parse_relations(body: bytes | str) -> list[RelatedEntry]:
    root = page_tree(body, source=SOURCE)
    if first(root, '//*[@id="content-outer"][@data-type="anime"]') is None:
        raise ParseError("not an aniSearch anime relations page", source=SOURCE)
    found: list[RelatedEntry] = []
    for section in root.xpath('//section[starts-with(@id, "relations_")]'):
        media = section.get("id", "").removeprefix("relations_") or "unknown"
        for row in section.xpath(".//tbody/tr"):
            link = first(row, "./th//a[@href]")
            relation = first_text(row, "./th/span")
            if link is None or relation is None:
                continue
            found.append(_related(link.get("href", ""), text_of(link), relation, media))
    return found


# --- the page's parts -----------------------------------------------------------------------------------
def _anime_ld(root: HtmlElement) -> dict[str, Any]:
    for item in json_ld(root):
        kind = item.get("@type")
        if kind not in {"BreadcrumbList", "WebSite", "Organization"} and (
            "aggregateRating" in item or "numberOfEpisodes" in item or "startDate" in item or "url" in item
        ):
            return item
    return {}


def _page_id(root: HtmlElement, ld: Mapping[str, Any], url: str) -> PlatformId:
    holder = first(root, '//*[@id="content-outer"][@data-type="anime"]/@data-id')
    for candidate in (ld.get("@id"), ld.get("url"), canonical(root), url):
        match = _ID.search(str(candidate or ""))
        if match:
            holder = holder or match.group(1) or match.group(2)
            break
    pid = platform_id_or_none(Platform.ANISEARCH, text_of(holder) if holder is not None else None)
    if pid is None:
        raise ParseError("not an aniSearch anime page (no anime id)", source=SOURCE)
    return pid


def _title_blocks(root: HtmlElement) -> list[HtmlElement]:
    return list(root.xpath('//section[@id="information"]//div[contains(@class, "title")][@lang]/..'))


def _headline(root: HtmlElement) -> str | None:
    h1 = first(root, '//h1[@id="htitle"]')
    h1 = h1 if h1 is not None else first(root, "//h1")
    if h1 is None:
        return None
    text = text_of(h1)
    year = first_text(h1, './span[contains(@class, "release_year")]')
    return clean_str(text.removesuffix(year).strip() if year else text)


def _titles(root: HtmlElement, blocks: list[HtmlElement]) -> list[LocalizedText]:
    found: list[LocalizedText] = []
    for index, block in enumerate(blocks):
        title = first(block, './div[contains(@class, "title")][@lang]')
        lang = title.get("lang", "")
        main = first_text(title, "./strong")
        if main is None:
            continue
        if lang == "ja":
            found.append(LocalizedText(ROMAJI, main, "main" if index == 0 else "official"))
            for grey in title.xpath('./div[contains(@class, "grey")]'):
                text = text_of(grey)
                if text:
                    script = "ja" if _JAPANESE_SCRIPT.search(text) else ROMAJI  # Hepburn has macrons
                    found.append(LocalizedText(script, text, "official"))
        else:
            tag = language_tag(lang)
            found.append(LocalizedText(tag, main, "main" if index == 0 else "official"))
    for synonym in _synonyms(root):
        found.append(LocalizedText("und", synonym, "synonym"))
    return list({(t.language, t.text): t for t in found}.values())


def _synonyms(root: HtmlElement) -> list[str]:
    holder = first(root, '//section[@id="information"]//div[contains(@class, "synonyms")]')
    if holder is None:
        return []
    names: list[str] = []
    tail = holder.xpath('./span[contains(@class, "header")]/following-sibling::node()')
    plain = "".join(n if isinstance(n, str) else "" for n in tail)  # text between the marked-up synonyms
    names += [part.strip() for part in re.split(r",\s+(?=\S)", plain) if part.strip(" ,")]
    names += [text_of(i) for i in holder.xpath("./i | ./em | ./span[not(contains(@class, 'header'))]")]
    return [n.strip(" ,") for n in names if n.strip(" ,")]


def _labels(block: HtmlElement) -> dict[str, str]:
    found: dict[str, str] = {}
    for div in block.xpath("./div"):
        header = first_text(div, './span[contains(@class, "header")]')
        if header is None:
            continue
        found[header.rstrip(":").strip().lower()] = text_of(div).removeprefix(header).strip()
    return found


def _type_and_episodes(text: str | None) -> tuple[str | None, int | None]:
    if not text:
        return None, None
    kind, _, rest = text.partition(",")
    episodes = re.match(r"\s*(\d+)", rest)
    return kind.replace("-", " ").strip() or None, int(episodes.group(1)) if episodes else None


def _duration(block: HtmlElement | None) -> int | None:
    if block is None:
        return None
    return iso_duration_seconds(first(block, './div[contains(@class, "type")]//time/@datetime'))


def _start(labels: Mapping[str, str], ld: Mapping[str, Any]) -> PartialDate | None:
    shown = labels.get("release date") or labels.get("published") or labels.get("premiere")
    start = dotted_date(shown)
    if start is None:
        start = partial_date(str(ld.get("startDate") or "").replace("-00", ""))
    return start


def _links_after(block: HtmlElement, headers: Iterable[str]) -> list[str]:
    names: list[str] = []
    for div in block.xpath("./div"):
        header = (first_text(div, './span[contains(@class, "header")]') or "").lower()
        if header in headers:
            names += [text_of(a) for a in div.xpath(".//a")]
    return names


def _synopses(root: HtmlElement) -> list[LocalizedText]:
    found: list[LocalizedText] = []
    for block in root.xpath('//section[@id="description"]//div[contains(@class, "textblock")][@lang]'):
        for hidden in block.xpath('.//*[contains(concat(" ", @class, " "), " hidden ")]'):
            hidden.drop_tree()
        html = "".join(
            [block.text or ""]
            + [_serialise(child) for child in block.iterchildren()]  # the markup, for paragraph breaks
        )
        text = html_to_text(html)
        if text:
            found.append(LocalizedText(language_tag(block.get("lang")), text))
    return found


def _serialise(node: HtmlElement) -> str:
    return str(lxml.html.tostring(node, encoding="unicode"))


def _cloud(root: HtmlElement) -> tuple[list[str] | None, list[str] | None]:
    cloud = first(root, '//section[@id="description"]//ul[contains(@class, "cloud")]')
    if cloud is None:
        return None, None
    genres = [text_of(a) for a in cloud.xpath('.//a[contains(@class, "gg") or contains(@class, "gc")]')]
    tags = [text_of(a) for a in cloud.xpath('.//a[contains(@class, "gt")]')]
    return genres, tags


def _score(root: HtmlElement, ld: Mapping[str, Any]) -> Rating | None:
    votes_shown = [count(text_of(v)) for v in root.xpath('//ul[@id="rating-stats"]//div[@class="value"]')]
    calculated = float_from_text(
        re.sub(r"\s*=.*", "", first_text(root, '//table[@id="ratingstats"]//td/b') or "").strip()
    )
    if (votes_shown and not any(votes_shown)) or calculated == 0:
        return None  # nobody rated it: JSON-LD's "2.5 from 1 vote" is a placeholder
    rating = ld.get("aggregateRating")
    value = float_from_text(rating.get("ratingValue")) if isinstance(rating, dict) else None
    votes = count(rating.get("ratingCount")) if isinstance(rating, dict) else None
    if value is None:
        value = calculated
    if value is None or not 0.1 <= value <= SCALE:
        return None
    return Rating(value=value, scale=SCALE, votes=votes)


def _picture(root: HtmlElement, ld: Mapping[str, Any]) -> str | None:
    shown = text_of(first(root, '//img[@id="details-cover"]/@src')) or clean_str(ld.get("image"))
    if not shown or _PLACEHOLDER_COVER.search(shown):
        return None
    return shown


def _relations_box(root: HtmlElement) -> list[RelatedEntry] | None:
    box = first(root, '//section[@id="relations2"]')
    if box is None:
        return [] if first(root, '//section[@id="information"]') is not None else None
    found: list[RelatedEntry] = []
    for item in box.xpath(".//li[a]"):
        link = first(item, "./a")
        media, _, relation = (first_text(item, "./span") or "").partition(":")
        found.append(_related(link.get("href", ""), text_of(link), relation.strip(), media.strip().lower()))
    return found


def _related(href: str, title: str, relation: str, media: str) -> RelatedEntry:
    match = re.match(r"(?:https?://[^/]+/)?/?(anime|manga|movie|drama)/(\d+)", href)
    kind = match.group(1) if match else media
    pid = platform_id_or_none(Platform.ANISEARCH, match.group(2)) if match and kind == "anime" else None
    url = BASE + href.lstrip("/") if href and not href.startswith("http") else href or None
    word = relation.strip().lower() if relation.strip() not in {"", "?"} else "other"
    return RelatedEntry(
        relation=word, title=clean_str(title), platform_id=pid, media=_MEDIA.get(kind, kind), url=url
    )
