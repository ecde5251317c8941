"""The planner's vocabulary built from the catalogue: an Aho-Corasick automaton (pyahocorasick) over every
title and synonym key, the catalogue's tags and studios, and the tz database.

Keys are the planner's own (``core.planning.text``): the automaton holds " key " with spaces around, and a
question is searched as " token token ... ", so only runs of whole words match. Every match is reported,
overlaps included; the planner decides which are sensible (capitals, stop words, longest run).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ahocorasick  # type: ignore[import-not-found]  # pyahocorasick ships no type information

from anime_mcp.core.models import AnimeType, CatalogueEntry
from anime_mcp.core.planning.text import phrase_key, squashed, tokenize
from anime_mcp.core.planning.vocabulary import TitleCandidate, TitleHit
from anime_mcp.core.platforms import PlatformId
from anime_mcp.ports.catalogue import Catalogue

CANDIDATES_PER_KEY = 5
MAX_KEY_WORDS = 12  # longer synonyms are never typed whole
_TYPE_RANK = {AnimeType.TV: 0, AnimeType.MOVIE: 1, AnimeType.ONA: 2, AnimeType.OVA: 3}
_HEAD_SEPARATORS = (": ", " - ", " – ")
_Rank = tuple[int, int, int, int, str]
_Plain = tuple[str, str, int | None, bool]  # a TitleCandidate's fields
_Found = tuple[_Rank, _Plain]


def _rank(entry: CatalogueEntry, anime_id: str, kind: int) -> _Rank:
    """Lower is better: main title, then synonym, then a title's head; wider coverage; series; older."""
    return (kind, -len(entry.sources), _TYPE_RANK.get(entry.type, 4), entry.year or 9999, anime_id)


def _head(name: str) -> str | None:
    for separator in _HEAD_SEPARATORS:
        if separator in name:
            head = name.split(separator, 1)[0]
            key = phrase_key(head)
            if key and (" " in key or len(key) >= 5):
                return head
    return None


class CatalogueVocabulary:
    """``PlannerVocabulary`` over a catalogue's entries (built once; about a second for 36k entries)."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        ranked: dict[str, list[_Found]] = defaultdict(list)
        by_platform_id: dict[tuple[str, str], _Plain] = {}  # plain tuples: attrs hashing is slower
        tags: Counter[str] = Counter()
        studios: Counter[str] = Counter()
        for entry in entries:
            anime_id = entry.anime_id
            names = [(entry.title, 0), *((synonym, 1) for synonym in entry.synonyms)]
            names += [(head, 2) for name, _ in list(names) if (head := _head(name)) is not None]
            seen: set[str] = set()
            for name, kind in names:
                key = phrase_key(name)
                if not key or key in seen or key.count(" ") >= MAX_KEY_WORDS:
                    continue
                seen.add(key)  # names come best kind first: the first key of an entry has its best rank
                ranked[key].append(
                    (_rank(entry, anime_id, kind), (anime_id, entry.title, entry.year, kind == 0))
                )
            plain = (anime_id, entry.title, entry.year, True)
            for pid in entry.sources:
                by_platform_id.setdefault((pid.platform, pid.id), plain)
            tags.update(entry.tags)
            studios.update(entry.studios)
        # Candidates stay plain tuples until a question spots them: 170k attrs objects cost half a second.
        self._candidates: dict[str, tuple[_Plain, ...]] = {
            key: (found[0][1],)
            if len(found) == 1
            else tuple(p for _, p in sorted(found)[:CANDIDATES_PER_KEY])
            for key, found in ranked.items()
        }
        self._automaton = ahocorasick.Automaton()
        for key in self._candidates:
            self._automaton.add_word(f" {key} ", key)
        if self._candidates:
            self._automaton.make_automaton()
        self._by_platform_id = by_platform_id
        self._tags = _keyed(tags)
        self._studios = _keyed(studios, studio=True)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> CatalogueVocabulary:
        return cls(catalogue.entries())

    def spot_titles(self, text: str) -> Sequence[TitleHit]:
        if not self._candidates:
            return []
        tokens = tokenize(text)
        starts: dict[int, int] = {}
        haystack = [" "]
        position = 1
        for index, token in enumerate(tokens):
            starts[position] = index
            haystack.append(token.key + " ")
            position += len(token.key) + 1
        hits = []
        for end, key in self._automaton.iter("".join(haystack)):
            first = starts.get(end - len(key))  # the match is " key " ending at ``end``
            if first is None:
                continue
            last = first + key.count(" ")
            candidates = tuple(TitleCandidate(*plain) for plain in self._candidates[key])
            hits.append(TitleHit(tokens[first].start, tokens[last].end, candidates))
        return hits

    def title_for(self, reference: PlatformId) -> TitleCandidate | None:
        plain = self._by_platform_id.get((reference.platform, reference.id))
        return TitleCandidate(*plain) if plain is not None else None

    def tag(self, key: str) -> str | None:
        return self._tags.get(key) or self._tags.get(squashed(key))

    def studio(self, key: str) -> str | None:
        return self._studios.get(key) or self._studios.get(squashed(key))

    def timezone(self, name: str) -> dt.tzinfo | None:
        return _zone(name)


def _keyed(counts: Counter[str], *, studio: bool = False) -> dict[str, str]:
    """Phrase key (and the key without spaces) -> the most used name; studios also with/without "studio"."""
    keyed: dict[str, str] = {}
    for name, _ in counts.most_common():
        key = phrase_key(name)
        if not key:
            continue
        variants = [key, squashed(key)]
        if studio:
            bare = key.removeprefix("studio ")
            variants += [bare, squashed(bare)] if bare != key else [f"studio {key}"]
        for variant in variants:
            keyed.setdefault(variant, name)
    return keyed


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> dt.tzinfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
