"""Reading scraped pages with lxml, safely: the page tree, its JSON-LD, its meta tags, clean text.

``parse_page`` is the one way a scraped source turns a body into a tree. Before lxml sees a byte: the size
cap and the challenge check (``load_html``: a Cloudflare or DDoS-Guard interstitial is ``Blocked``, never
parsed as data). lxml's HTML parser then runs with no network access, no processing instructions and no
huge-tree mode (libxml2's own depth and size limits stay on). Whatever lxml cannot read is a ``ParseError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, TypeAlias

import lxml.etree
import lxml.html

from anime_mcp.adapters.source_toolkit import MAX_HTML_BYTES, as_bytes, load_html
from anime_mcp.core.errors import ParseError

__all__ = ["HtmlElement", "decode_cf_email", "json_ld", "meta_content", "parse_page", "text_of", "texts_of"]

# lxml ships no type information: an element is typed loosely, and this module is what parsers call.
HtmlElement: TypeAlias = Any
_SPACES = re.compile(r"\s+")


def parse_page(body: bytes | str, *, source: str, max_bytes: int = MAX_HTML_BYTES) -> HtmlElement:
    """The page as an lxml tree (its ``<html>`` element). Too big or empty: ``ParseError``; a challenge or
    block page: ``Blocked``; anything lxml cannot make a document of: ``ParseError``."""
    raw = as_bytes(body)
    load_html(raw, source=source, max_bytes=max_bytes)  # size cap and challenge pages, before parsing
    if not raw.strip():
        raise ParseError("empty page", source=source)
    parser = lxml.html.HTMLParser(
        encoding="utf-8", no_network=True, remove_pis=True, remove_comments=True, huge_tree=False
    )
    try:
        root = lxml.html.document_fromstring(raw, parser=parser)
    except (lxml.etree.LxmlError, ValueError, TypeError) as exc:
        raise ParseError(f"unreadable HTML: {type(exc).__name__}: {exc}", source=source) from None
    if not isinstance(root, lxml.html.HtmlElement):  # e.g. a comment-only document
        raise ParseError("not an HTML document", source=source)
    _reveal_emails(root)
    return root


def _reveal_emails(root: HtmlElement) -> None:
    """Cloudflare hides anything that looks like an e-mail address (a title such as "Malice@Doll") behind
    ``<a class="__cf_email__" data-cfemail="HEX">[email protected]</a>``: the first byte is the XOR key of
    the rest. Put the text back, so that names read as the page shows them in a browser."""
    for element in root.xpath("//*[@data-cfemail]"):
        text = decode_cf_email(element.get("data-cfemail") or "")
        if text is None:
            continue
        for child in list(element):
            element.remove(child)
        element.text = text
        element.tag = "span"


def decode_cf_email(encoded: str) -> str | None:
    """The text behind a Cloudflare ``data-cfemail`` value, or None when it is not one."""
    try:
        raw = bytes.fromhex(encoded)
    except ValueError:
        return None
    if len(raw) < 2:
        return None
    key = raw[0]
    try:
        return bytes(b ^ key for b in raw[1:]).decode("utf-8")
    except UnicodeDecodeError:
        return None


def text_of(element: Any) -> str | None:
    """An element's text (descendants included) with whitespace collapsed; None when blank or no element."""
    if element is None:
        return None
    if isinstance(element, str):
        text = element
    else:
        try:
            text = element.text_content()
        except (AttributeError, ValueError):
            return None
    text = _SPACES.sub(" ", str(text)).strip()
    return text or None


def texts_of(elements: Any) -> list[str]:
    """``text_of`` of each element, blanks left out."""
    return [text for element in elements if (text := text_of(element)) is not None]


def meta_content(root: HtmlElement, name: str) -> str | None:
    """The ``content`` of ``<meta property=NAME>`` or ``<meta name=NAME>`` (``og:image``, ``description``)."""
    for element in root.iter("meta"):
        if name in (element.get("property"), element.get("name"), element.get("itemprop")):
            value = text_of(element.get("content"))
            if value is not None:
                return value
    return None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")


def _objects(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, list):
        for item in value:
            yield from _objects(item)
    elif isinstance(value, dict):
        graph = value.get("@graph")
        if graph is None:
            yield value
        else:  # a container of objects, not one itself
            yield from _objects(graph)


def json_ld(root: HtmlElement, *, types: frozenset[str] | None = None) -> list[dict[str, Any]]:
    """The JSON-LD objects of the page (every ``<script type="application/ld+json">``, ``@graph`` and
    lists flattened), optionally only those whose ``@type`` is one of ``types``. A script that is not valid
    JSON is left out: the rest of the page still counts."""
    found: list[dict[str, Any]] = []
    for script in root.iter("script"):
        kind = (script.get("type") or "").split(";")[0].strip().lower()
        if kind != "application/ld+json" or not script.text:
            continue
        try:
            doc = json.loads(script.text, parse_constant=_reject_constant)
        except (ValueError, RecursionError):
            continue
        for obj in _objects(doc):
            declared = obj.get("@type")
            names = {declared} if isinstance(declared, str) else _strings(declared)
            if types is None or names & types:
                found.append(obj)
    return found


def _strings(value: Any) -> set[str]:
    return {v for v in value if isinstance(v, str)} if isinstance(value, list) else set()
