"""What text represents an anime in the search index: the one place that composes it.

Two views of one entry:

- ``compose_document``: a short natural-language text for the dense (semantic) embedder: title, a few
  alternative titles, type and year, studios, tags.
  Small embedding models read mostly Latin-script English, so Latin alternative titles come first and the
  list is capped; the sparse view below carries every title in every script.
- ``lexical_fields``: the weighted fields the sparse lexical vector is built from: every title and synonym,
  tags and studios. Titles weigh more than tags, so a query naming a title finds that title first.
- ``compose_content``: the story of an entry (its English synopsis, then its genres and themes) for the
  content vector, kept apart from the title-heavy document so a plot description meets plots, not titles.
  Only entries with a synopsis have one.

``content_fingerprint`` covers everything these views and the indexed facts (``IndexedFacts``) depend on, in
two parts (``FingerprintParts``: the document side and the content side), so an incremental update can tell
which entries changed and embed again only the side that did.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence

from attrs import frozen

from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry

# Change when the composed text changes, so indexes know to rebuild. doc-v2: the content vector joined.
DOCUMENT_FORMAT = "doc-v2"
CONTENT_FORMAT = "content-v2"  # v2: credits ("[Written by MAL Rewrite]", "(Source: ANN)") left out

_TYPE_WORDS = {
    AnimeType.TV: "TV series",
    AnimeType.MOVIE: "movie",
    AnimeType.OVA: "OVA",
    AnimeType.ONA: "web series (ONA)",
    AnimeType.SPECIAL: "special",
}

MAX_DOCUMENT_SYNONYMS = 6
MAX_DOCUMENT_TAGS = 20
MAX_SYNOPSIS_CHARS = 1200


def _is_latin(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(c.isascii() or "\u00c0" <= c <= "\u024f" for c in letters)


def _distinct(values: list[str], seen: set[str]) -> list[str]:
    kept = []
    for value in values:
        key = " ".join(value.casefold().split())
        if key and key not in seen:
            seen.add(key)
            kept.append(value.strip())
    return kept


def document_synonyms(entry: CatalogueEntry, limit: int = MAX_DOCUMENT_SYNONYMS) -> list[str]:
    """Alternative titles for the dense document: distinct, Latin script first, then others."""
    seen = {" ".join(entry.title.casefold().split())}
    latin = [s for s in entry.synonyms if _is_latin(s)]
    other = [s for s in entry.synonyms if not _is_latin(s)]
    return _distinct(latin + other, seen)[:limit]


def compose_document(entry: CatalogueEntry) -> str:
    """The text the dense embedder sees for one entry."""
    parts = [entry.title + "."]
    synonyms = document_synonyms(entry)
    if synonyms:
        parts.append("Also known as: " + "; ".join(synonyms) + ".")
    kind = _TYPE_WORDS.get(entry.type)
    facts = f"Anime {kind}" if kind else "Anime"
    if entry.year is not None:
        facts += f" from {entry.year}"
    if entry.studios:
        facts += " by " + ", ".join(entry.studios)
    parts.append(facts + ".")
    if entry.tags:
        parts.append("Tags: " + ", ".join(entry.tags[:MAX_DOCUMENT_TAGS]) + ".")
    return " ".join(parts)


@frozen
class LexicalField:
    text: str
    weight: float


# Titles weigh most, so a query naming a title finds it first; tags nearly as much, so a description
# ("high school volleyball") finds anime tagged so before anime with one of its words in the title. Chosen
# on the judged queries (docs/benchmarks.md): title/tag 3/0.5 gave descriptive queries recall@10 0.46.
TITLE_WEIGHT = 2.0
SYNONYM_WEIGHT = 1.0
TAG_WEIGHT = 1.5
STUDIO_WEIGHT = 1.0


def lexical_fields(entry: CatalogueEntry) -> list[LexicalField]:
    """Weighted text for the sparse lexical vector: all titles (every script), tags, studios."""
    fields = [LexicalField(entry.title, TITLE_WEIGHT)]
    fields += [LexicalField(s, SYNONYM_WEIGHT) for s in entry.synonyms]
    fields += [LexicalField(t, TAG_WEIGHT) for t in entry.tags]
    fields += [LexicalField(s, STUDIO_WEIGHT) for s in entry.studios]
    return fields


MAX_CONTENT_TERMS = 12
# A credit closing a synopsis: a third of them end so, and "written" or "source" would then match everything.
_CREDIT = re.compile(r"\s*[\[(]\s*(?:written by|source\s*:)[^\[\]()]{0,80}[\])]\s*$", re.IGNORECASE)


def strip_credit(synopsis: str) -> str:
    """The synopsis without the credits that close it (``[Written by MAL Rewrite]``, ``(Source: ANN)``)."""
    text = synopsis.strip()
    while (found := _CREDIT.search(text)) is not None and found.start() > 0:
        text = text[: found.start()].rstrip()
    return text


def compose_content(synopsis: str | None, terms: Sequence[str] = ()) -> str | None:
    """The text of the content vector: the synopsis first (what a plot description is compared with), then
    the genres and themes; None without a synopsis (genres alone are already among the tags)."""
    text = " ".join(strip_credit(synopsis or "").split())[:MAX_SYNOPSIS_CHARS]
    if not text:
        return None
    kept = _distinct([t for t in terms if t.strip()], set())[:MAX_CONTENT_TERMS]
    return text + (" Genres and themes: " + ", ".join(kept) + "." if kept else "")


@frozen
class FingerprintParts:
    """A fingerprint's two sides: ``document`` (title document, lexical fields, facts) and ``content``
    (the content text; empty when the entry has none)."""

    document: str
    content: str

    @classmethod
    def parse(cls, fingerprint: str) -> FingerprintParts:
        document, _, content = fingerprint.partition(":")
        return cls(document, content)


def content_fingerprint(entry: CatalogueEntry, content: str | None = None) -> str:
    """A short hash of everything the index derives from this entry: ``<document side>:<content side>``."""
    material = {
        "format": DOCUMENT_FORMAT,
        "document": compose_document(entry),
        "lexical": [(f.text, f.weight) for f in lexical_fields(entry)],
        # laid out as the index payload always was, so fingerprints stored in existing indexes stay valid
        "payload": IndexedFacts.of(entry).as_plain(),
        "related": list(entry.related_anime),
    }
    return f"{_digest(material)}:{_digest([CONTENT_FORMAT, content]) if content else ''}"


def _digest(material: object) -> str:
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()
