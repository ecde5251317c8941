"""Names the planner knows by itself: platforms (sources), streaming services, places and time zones,
languages, types, statuses, adaptation sources, sort words and the fields a question asks for."""

from __future__ import annotations

import re

from anime_mcp.core.planning import lexicon
from anime_mcp.core.planning.reading import Reading, add
from anime_mcp.core.planning.scan import previous_keys, scan
from anime_mcp.core.planning.text import Token, phrase_key
from anime_mcp.core.planning.vocabulary import PlannerVocabulary
from anime_mcp.core.platforms import Platforms

ALL_SOURCES = re.compile(
    r"\b(?:across|on|from|in|at)?\s*(?:all|every|each|multiple|several|different|various|the)\s+"
    r"(?:the\s+)?(?:platforms|sources|sites|websites|databases|services|trackers)\b"
)
_IANA = re.compile(r"\b(?:[A-Z][a-z]+(?:_[A-Z][a-z]+)*/[A-Z][A-Za-z_]+(?:/[A-Z][A-Za-z_]+)?|UTC|Etc/UTC)\b")
_PLACE_CUES = ("in", "for", "at", "from")


def platform_names(platforms: Platforms) -> dict[str, str]:
    """Phrase keys that name a platform: the registry's ids, aliases and names, and our nicknames."""
    names: dict[str, str] = {}
    for spec in platforms:
        for name in (*spec.names(), spec.name):
            key = phrase_key(name)
            if key and key not in ("ap", "notify", "ann"):
                names.setdefault(key, spec.id.value)
    return names | lexicon.PLATFORM_NAMES


def read_sources(reading: Reading, platforms: Platforms) -> None:
    names = platform_names(platforms)

    def lookup(span: list[Token], key: str, index: int) -> str | None:
        if len(span) == 1 and span[0].text in lexicon.PLATFORM_CASED:
            return lexicon.PLATFORM_CASED[span[0].text]
        if key in ("notify", "ap", "ann"):
            return None
        found = names.get(key)
        return found if found in platforms else None

    for _, _, platform in scan(reading, lookup):
        add(reading.draft.sources, platform)
    for _ in reading.take(ALL_SOURCES):
        reading.draft.all_sources = True


def read_streaming(reading: Reading) -> None:
    def lookup(span: list[Token], key: str, index: int) -> str | None:
        return lexicon.STREAMING.get(key)

    for _, _, service in scan(reading, lookup):
        add(reading.draft.platforms, service)


def read_places(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    """Time zones (``JST``, ``Asia/Tokyo``, "in New York", "Tokyo time") and regions ("in the US")."""
    draft = reading.draft
    for match in _IANA.finditer(reading.text):
        if reading.free(match.start(), match.end()) and vocabulary.timezone(match.group()) is not None:
            reading.claim(match.start(), match.end())
            draft.timezone = draft.timezone or match.group()

    def lookup(span: list[Token], key: str, index: int) -> tuple[str, str] | None:
        if len(span) == 1 and span[0].text in lexicon.ZONE_ABBREVIATIONS and len(span[0].text) > 1:
            return ("zone", lexicon.ZONE_ABBREVIATIONS[span[0].text])
        before = previous_keys(reading, index, 2)
        after = reading.tokens[index + len(span)].key if index + len(span) < len(reading.tokens) else ""
        if before and before[-1] == "the":
            before = before[:-1]
        cued = bool(before) and before[-1] in _PLACE_CUES
        if key in lexicon.CITIES and (after in ("time", "timezone") or (cued and key not in lexicon.REGIONS)):
            return ("zone", lexicon.CITIES[key])
        if key in lexicon.REGIONS:
            upper = len(span) == 1 and span[0].text.isupper() and len(span[0].text) >= 2
            if (
                upper
                or cued
                or after in ("region", "version", "netflix", "crunchyroll", "catalog", "catalogue")
            ):
                return ("region", lexicon.REGIONS[key])
        return None

    for _, _, (kind, value) in scan(reading, lookup, max_words=3):
        if kind == "zone":
            draft.timezone = draft.timezone or value
        else:
            draft.region = draft.region or value


def read_language(reading: Reading) -> None:
    draft = reading.draft

    def lookup(span: list[Token], key: str, index: int) -> str | None:
        if key not in lexicon.LANGUAGES:
            return None
        near = {t.key for t in reading.tokens[max(0, index - 2) : index + 3]}
        return lexicon.LANGUAGES[key] if near & (lexicon.LANGUAGE_CUES | {"in", "language"}) else None

    for _, _, code in scan(reading, lookup, max_words=1):
        draft.language = draft.language or code


def _table(reading: Reading, table: dict[str, str], max_words: int = 3) -> list[str]:
    return [value for _, _, value in scan(reading, lambda s, key, i: table.get(key), max_words=max_words)]


def read_kinds(reading: Reading) -> None:
    """Types ("movies", "TV series", "OVAs") and statuses ("currently airing", "finished", "upcoming")."""
    draft = reading.draft
    for status in _table(reading, lexicon.STATUS_WORDS):
        add(draft.statuses, status)
    for kind in _table(reading, lexicon.TYPE_WORDS):
        add(draft.types, kind)


_ADAPTED = re.compile(r"\b(?:adaptations?|adapted|based|source|sourced|original)\b")


def read_source_material(reading: Reading) -> None:
    draft = reading.draft
    for values in _table_tuple(reading, lexicon.SOURCE_MATERIAL):
        for value in values:
            add(draft.source_material, value)
    if _ADAPTED.search(reading.low) is None:
        return

    def cued(span: list[Token], key: str, index: int) -> tuple[str, ...] | None:
        values = lexicon.SOURCE_MATERIAL_CUED.get(key)
        if values is None:
            return None
        near = " ".join(t.key for t in reading.tokens[max(0, index - 3) : index + len(span) + 2])
        return values if _ADAPTED.search(near) else None

    for _, _, values in scan(reading, cued, max_words=2):
        for value in values:
            add(draft.source_material, value)
    for match in reading.take(re.compile(r"\b(?:adaptations?|adapted from|based on)\b")):
        del match  # the frame words, understood


def _table_tuple(reading: Reading, table: dict[str, tuple[str, ...]]) -> list[tuple[str, ...]]:
    return [value for _, _, value in scan(reading, lambda s, key, i: table.get(key), max_words=3)]


def read_sort(reading: Reading) -> None:
    for order in _table(reading, lexicon.SORT_WORDS):
        reading.draft.sort = reading.draft.sort or order


def read_fields(reading: Reading) -> None:
    for field in _table(reading, lexicon.FIELD_WORDS, max_words=4):
        add(reading.draft.fields, field)
