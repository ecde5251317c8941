"""What the parsers of public anime pages share beyond ``anime_mcp.adapters.scraping``: labels, numbers,
the sites' date and duration notations, JSON-LD objects one by one.

Pure functions, no I/O. ``page_tree`` is the scraping toolkit's ``parse_page`` (oversize, empty, challenge
or block pages -> typed errors); the helpers below never raise on odd documents, they answer None or
nothing, so each parser decides what a missing value means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from anime_mcp.adapters.scraping import HtmlElement, parse_page
from anime_mcp.adapters.scraping import json_ld as scraped_json_ld
from anime_mcp.adapters.scraping import text_of as scraped_text
from anime_mcp.adapters.source_toolkit import (
    PartialDate,
    date_parts,
    detect_http_error,
    guarded_detector,
)
from anime_mcp.core.errors import SourceError

__all__ = [
    "HtmlElement",
    "canonical",
    "count",
    "decimal",
    "dotted_date",
    "english_date",
    "first",
    "first_text",
    "iso_duration_seconds",
    "json_ld",
    "meta",
    "page_tree",
    "text_duration_seconds",
    "text_of",
]
_NUMBER = re.compile(r"\d[\d,.]*")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def page_detector(source: str) -> Callable[..., SourceError | None]:
    """A web page's ``detect_error(status, body, *, headers=None)``: the shared HTTP policy for answers
    that are HTML by nature (challenge pages ``Blocked``), never raising."""

    @guarded_detector(source)
    def detect_error(
        status: int, body: bytes, *, headers: Mapping[str, str] | None = None
    ) -> SourceError | None:
        return detect_http_error(status, body, source=source, headers=headers, html_expected=True)

    return detect_error


def page_tree(body: bytes | str, *, source: str) -> HtmlElement:
    """The page as an lxml tree (the scraping toolkit's ``parse_page``: size cap, challenge page ``Blocked``,
    no network, anything unreadable a ``ParseError``)."""
    return parse_page(body, source=source)


def text_of(node: Any) -> str:
    """The text of an element (or a string), whitespace collapsed; "" for none (the scraping toolkit's
    ``text_of``, which answers None there)."""
    return scraped_text(node) or ""


def first(root: HtmlElement, xpath: str) -> Any:
    """The first node or string an XPath finds, or None."""
    found = root.xpath(xpath)
    return found[0] if isinstance(found, list) and found else None


def first_text(root: HtmlElement, xpath: str) -> str | None:
    """The collapsed text of the first match, None when there is none or it is blank."""
    return text_of(first(root, xpath)) or None


def meta(root: HtmlElement, name: str) -> str | None:
    """A ``<meta property=...>`` or ``<meta name=...>`` content."""
    value = first(root, f'//meta[@property="{name}" or @name="{name}"]/@content')
    return text_of(value) or None


def canonical(root: HtmlElement) -> str | None:
    """The page's canonical URL (``<link rel=canonical>``, else ``og:url``)."""
    return text_of(first(root, '//link[@rel="canonical"]/@href')) or meta(root, "og:url")


def json_ld(root: HtmlElement) -> Iterator[dict[str, Any]]:
    """The JSON-LD objects of the page (``@graph`` items too; unreadable blocks skipped): the scraping
    toolkit's ``json_ld``."""
    yield from scraped_json_ld(root)


def count(text: object) -> int | None:
    """The first whole number in a text, thousands separators (``,`` or ``.``) dropped."""
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if text >= 0 else None
    match = _NUMBER.search(str(text or ""))
    if match is None:
        return None
    digits = re.sub(r"[,.]", "", match.group(0))
    return int(digits) if digits.isdigit() and len(digits) < 12 else None


def decimal(text: object) -> float | None:
    """The first decimal number in a text (``8.62``), or None."""
    match = re.search(r"\d+(?:\.\d+)?", str(text or ""))
    return float(match.group(0)) if match and len(match.group(0)) < 16 else None


def dotted_date(text: str | None) -> PartialDate | None:
    """``DD.MM.YYYY``, ``MM.YYYY`` or ``YYYY`` (``??`` for unknown parts) at the start of a text."""
    match = re.match(r"\s*(?:(\?\?|\d{1,2})\.)?(?:(\?\?|\d{1,2})\.)?(\d{4})\b", text or "")
    if match is None:
        return None
    first_part, second_part, year = match.groups()
    day, month = (first_part, second_part) if second_part is not None else (None, first_part)
    return date_parts(int(year), _int(month), _int(day))


def english_date(text: str | None) -> PartialDate | None:
    """``Oct 4, 2006``, ``Oct 2006``, ``2006``, ``Friday Dec 29, 2023`` or ``10/07/2024`` (US order)."""
    text = text or ""
    numeric = re.match(r"\s*(\d{1,2})/(\d{1,2})/(\d{4})\b", text)
    if numeric:
        return date_parts(int(numeric.group(3)), int(numeric.group(1)), int(numeric.group(2)))
    match = re.search(r"(?:([A-Za-z]{3,9})\.?\s+(?:(\d{1,2}),?\s+)?)?(\d{4})\b", text)
    if match is None:
        return None
    month = _MONTHS.get((match.group(1) or "").lower())
    if match.group(1) and month is None:  # a weekday or another word before the year: read on from it
        return english_date(text[match.start(1) + len(match.group(1)) :])
    return date_parts(int(match.group(3)), month, _int(match.group(2)) if month else None)


def iso_duration_seconds(value: str | None) -> int | None:
    """``PT1H23M`` (ISO 8601 duration) in seconds; None when it is not one or is zero."""
    match = re.fullmatch(r"PT(?:(\d{1,3})H)?(?:(\d{1,4})M)?(?:(\d{1,5})S)?", (value or "").strip())
    if match is None:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    total = hours * 3600 + minutes * 60 + seconds
    return total or None


def text_duration_seconds(text: str | None) -> int | None:
    """``2 hr. 15 min.``, ``23 min. per ep.``, ``45 minutes``, ``half hour`` in seconds."""
    text = (text or "").lower()
    if "half hour" in text:
        return 1800
    hours = re.search(r"(\d+)\s*(?:hr|hour)", text)
    minutes = re.search(r"(\d+)\s*(?:min|m\b)", text)
    seconds = re.search(r"(\d+)\s*sec", text)
    total = sum(
        int(m.group(1)) * factor
        for m, factor in ((hours, 3600), (minutes, 60), (seconds, 1))
        if m is not None
    )
    return total or None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None
