"""What text represents an anime in the search index: the one place that composes it.

Two views of one entry:

- ``compose_document``: a short natural-language text for the dense (semantic) embedder: title, a few
  alternative titles, type and year, studios, tags, and the synopsis once enrichment has stored one.
  Small embedding models read mostly Latin-script English, so Latin alternative titles come first and the
  list is capped; the sparse view below carries every title in every script.
- ``lexical_fields``: the weighted fields the sparse lexical vector is built from: every title and synonym,
  tags and studios. Titles weigh more than tags, so a query naming a title finds that title first.

``content_fingerprint`` covers everything either view and the indexed facts (``IndexedFacts``) depend on, so
an incremental update can tell which entries changed.
"""

from __future__ import annotations

import hashlib
import json

from attrs import frozen

from anime_mcp.core.index_facts import IndexedFacts
from anime_mcp.core.models import AnimeType, CatalogueEntry

DOCUMENT_FORMAT = "doc-v1"  # change when the composed text changes, so indexes know to rebuild

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


def compose_document(entry: CatalogueEntry, synopsis: str | None = None) -> str:
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
    if synopsis:
        parts.append(" ".join(synopsis.split())[:MAX_SYNOPSIS_CHARS])
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


def content_fingerprint(entry: CatalogueEntry, synopsis: str | None = None) -> str:
    """A short hash of everything the index derives from this entry."""
    material = {
        "format": DOCUMENT_FORMAT,
        "document": compose_document(entry, synopsis),
        "lexical": [(f.text, f.weight) for f in lexical_fields(entry)],
        # laid out as the index payload always was, so fingerprints stored in existing indexes stay valid
        "payload": IndexedFacts.of(entry).as_plain(),
        "related": list(entry.related_anime),
    }
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.blake2b(encoded, digest_size=12).hexdigest()
