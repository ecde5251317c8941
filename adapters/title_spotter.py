"""The planner's vocabulary built from the catalogue: every title and synonym key, the catalogue's tags and
studios, and the tz database.

Keys are the planner's own (``core.planning.text``): a key is its words' token keys joined by single spaces,
so a question's runs of whole words (up to ``MAX_KEY_WORDS``) are looked up in one dictionary. Every match is
reported, overlaps included; the planner decides which are sensible (capitals, stop words, longest run).
A dictionary rather than an Aho-Corasick automaton: the automaton's trie held about 75 MB for the 160k keys
of the full catalogue (a server's largest structure), while a question has a few hundred runs at most
(microseconds of lookups).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anime_mcp.core.models import AnimeType, CatalogueEntry
from anime_mcp.core.planning.text import phrase_key, squashed, tokenize
from anime_mcp.core.planning.vocabulary import TitleCandidate, TitleHit
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.ports.catalogue import Catalogue

CANDIDATES_PER_KEY = 5
MAX_KEY_WORDS = 12  # longer synonyms are never typed whole
_TYPE_RANK = {AnimeType.TV: 0, AnimeType.MOVIE: 1, AnimeType.ONA: 2, AnimeType.OVA: 3}
_HEAD_SEPARATORS = (": ", " - ", " – ")
_EntryRank = tuple[int, int, int, str]
_Plain = tuple[str, str, int | None, bool]  # a TitleCandidate's fields
_Found = tuple[int, _EntryRank, _Plain]  # (kind, entry rank, candidate): lower sorts first
# One candidate (most keys: a plain tuple, its first field a str) or the best few, best first.
_Candidates = _Plain | tuple[_Plain, ...]


def _entry_rank(entry: CatalogueEntry, anime_id: str) -> _EntryRank:
    """Lower is better (after the kind of name: main title, then synonym, then a title's head): wider
    coverage; series; older."""
    return (-len(entry.sources), _TYPE_RANK.get(entry.type, 4), entry.year or 9999, anime_id)


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
        ranked: dict[str, _Found | list[_Found]] = {}  # a list only for keys several entries share
        by_platform: dict[Platform, dict[str, _Plain]] = defaultdict(dict)  # plain tuples: attrs is slower
        tags: Counter[str] = Counter()
        studios: Counter[str] = Counter()
        for entry in entries:
            anime_id = entry.anime_id
            names = [(entry.title, 0), *((synonym, 1) for synonym in entry.synonyms)]
            names += [(head, 2) for name, _ in list(names) if (head := _head(name)) is not None]
            entry_rank = _entry_rank(entry, anime_id)
            plain: _Plain = (anime_id, entry.title, entry.year, True)
            other: _Plain = (anime_id, entry.title, entry.year, False)  # one per entry, shared by its keys
            seen: set[str] = set()
            for name, kind in names:
                key = phrase_key(name)
                if not key or key in seen or key.count(" ") >= MAX_KEY_WORDS:
                    continue
                seen.add(key)  # names come best kind first: the first key of an entry has its best rank
                found: _Found = (kind, entry_rank, plain if kind == 0 else other)
                before = ranked.get(key)
                if before is None:
                    ranked[key] = found
                elif isinstance(before, list):
                    before.append(found)
                else:
                    ranked[key] = [before, found]
            for pid in entry.sources:
                by_platform[pid.platform].setdefault(pid.id, plain)
            tags.update(entry.tags)
            studios.update(entry.studios)
        # Candidates stay plain tuples until a question spots them: 170k attrs objects cost half a second.
        self._candidates: dict[str, _Candidates] = {
            key: found[2]
            if not isinstance(found, list)
            else tuple(f[2] for f in sorted(found)[:CANDIDATES_PER_KEY])
            for key, found in ranked.items()
        }
        self._by_platform = dict(by_platform)
        self._tags = _keyed(tags)
        self._studios = _keyed(studios, studio=True)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> CatalogueVocabulary:
        return cls(catalogue.entries())

    def spot_titles(self, text: str) -> Sequence[TitleHit]:
        if not self._candidates:
            return []
        tokens = tokenize(text)
        keys = [token.key for token in tokens]
        hits = []
        for last in range(len(keys)):  # by end, longest run first (as an automaton reports them)
            for first in range(max(0, last - MAX_KEY_WORDS + 1), last + 1):
                found = self._candidates.get(" ".join(keys[first : last + 1]))
                if found is not None:
                    candidates = tuple(TitleCandidate(*plain) for plain in _plains(found))
                    hits.append(TitleHit(tokens[first].start, tokens[last].end, candidates))
        return hits

    def title_for(self, reference: PlatformId) -> TitleCandidate | None:
        plain = self._by_platform.get(reference.platform, {}).get(reference.id)
        return TitleCandidate(*plain) if plain is not None else None

    def tag(self, key: str) -> str | None:
        return self._tags.get(key) or self._tags.get(squashed(key))

    def studio(self, key: str) -> str | None:
        return self._studios.get(key) or self._studios.get(squashed(key))

    def timezone(self, name: str) -> dt.tzinfo | None:
        return _zone(name)


def _plains(found: _Candidates) -> tuple[_Plain, ...]:
    return (found,) if isinstance(found[0], str) else found


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
