"""The planner's vocabulary built from the catalogue: every title and synonym key, the catalogue's tags and
studios, and the tz database.

Keys are the planner's own (``core.planning.text``): a key is its words' token keys joined by single spaces,
so a question's runs of whole words (up to ``MAX_KEY_WORDS``) are looked up in one table, all at once. Every
match is reported, overlaps included; the planner decides which are sensible (capitals, stop words, longest
run). A table rather than an Aho-Corasick automaton (whose trie held about 75 MB for the 160k keys of the
full catalogue), and a packed one rather than a dict of tuples (about 40 MB of Python objects): a question
has a few hundred runs at most, looked up in one ``searchsorted``.
"""

from __future__ import annotations

import datetime as dt
import functools
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anime_mcp.adapters.packed_strings import PackedStrings, StringTable
from anime_mcp.core.models import AnimeType, CatalogueEntry
from anime_mcp.core.planning.text import phrase_key, squashed, tokenize
from anime_mcp.core.planning.vocabulary import TitleCandidate, TitleHit
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.ports.catalogue import Catalogue

CANDIDATES_PER_KEY = 5
MAX_KEY_WORDS = 12  # longer synonyms are never typed whole
SPOTTED_CACHE = 4096  # keys whose candidates are kept unpacked
_TYPE_RANK = {AnimeType.TV: 0, AnimeType.MOVIE: 1, AnimeType.ONA: 2, AnimeType.OVA: 3}
_HEAD_SEPARATORS = (": ", " - ", " – ")
_NO_YEAR = -(2**31)
# A name found while scanning: entry number * 4 + kind of name (0 main title, 1 synonym, 2 a title's head).
# Plain ints, not tuples: the interpreter keeps thousands of freed tuples for reuse, and those left from
# the scan would each keep a megabyte of the heap from the system.
_Found = int


def _head(name: str) -> str | None:
    for separator in _HEAD_SEPARATORS:
        if separator in name:
            head = name.split(separator, 1)[0]
            key = phrase_key(head)
            if key and (" " in key or len(key) >= 5):
                return head
    return None


def _platform_key(platform: Platform, pid: str) -> str:
    return f"{platform.value} {pid}"  # platform values have no space


class CatalogueVocabulary:
    """``PlannerVocabulary`` over a catalogue's entries (built once; about a second for 36k entries).

    Held compactly (a server keeps it for its lifetime): entries by number (packed anime ids and titles, an
    array of years), the title keys and the platform ids in ``StringTable``s, and each key's candidates as
    entry numbers in one array (``number * 2 + 1`` when the key is the entry's main title)."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        scan = _Scan(entries)
        self._years = scan.years
        self._anime_ids = PackedStrings(scan.anime_ids)
        self._titles = PackedStrings(scan.titles)
        self._keys, order = StringTable.of(list(scan.ranked))
        self._starts, self._candidates = _packed(scan, order)
        self._platforms, order = StringTable.of(list(scan.platform_ids))
        numbers = list(scan.platform_ids.values())
        self._platform_entries = array("i", [numbers[at] for at in order])
        tags, studios = scan.tags.most_common(), scan.studios.most_common()
        # The scan's objects go before the names kept are copied: one name read early in the scan (with
        # the whole scan's objects around it) would keep a megabyte of the heap from the system
        del scan, numbers
        self._tags = _keyed(tags)
        self._studios = _keyed(studios, studio=True)
        # Common words are titles too ("love", "monster"): most questions spot the same few keys
        self._candidates_at = functools.lru_cache(maxsize=SPOTTED_CACHE)(self._unpacked)

    @classmethod
    def from_catalogue(cls, catalogue: Catalogue) -> CatalogueVocabulary:
        return cls(catalogue.entries())

    def spot_titles(self, text: str) -> Sequence[TitleHit]:
        if not len(self._keys):
            return []
        tokens = tokenize(text)
        keys = [token.key for token in tokens]
        runs: list[tuple[int, int]] = []
        for last in range(len(keys)):  # by end, longest run first (as an automaton reports them)
            runs += ((first, last) for first in range(max(0, last - MAX_KEY_WORDS + 1), last + 1))
        found = self._keys.positions([" ".join(keys[first : last + 1]) for first, last in runs])
        return [
            TitleHit(tokens[first].start, tokens[last].end, self._candidates_at(at))
            for (first, last), at in zip(runs, found, strict=True)
            if at >= 0
        ]

    def title_for(self, reference: PlatformId) -> TitleCandidate | None:
        at = self._platforms.position(_platform_key(reference.platform, reference.id))
        return self._candidate(self._platform_entries[at], main_title=True) if at >= 0 else None

    def tag(self, key: str) -> str | None:
        return self._tags.get(key) or self._tags.get(squashed(key))

    def studio(self, key: str) -> str | None:
        return self._studios.get(key) or self._studios.get(squashed(key))

    def timezone(self, name: str) -> dt.tzinfo | None:
        return _zone(name)

    def nbytes(self) -> int:
        """The packed structures' size (tags and studios, a few thousand names, aside)."""
        arrays = (self._years, self._starts, self._candidates, self._platform_entries)
        packed = (self._anime_ids, self._titles, self._keys, self._platforms)
        return sum(a.itemsize * len(a) for a in arrays) + sum(p.nbytes() for p in packed)

    def _unpacked(self, at: int) -> tuple[TitleCandidate, ...]:
        coded = self._candidates[self._starts[at] : self._starts[at + 1]]
        return tuple(self._candidate(code >> 1, main_title=bool(code & 1)) for code in coded)

    def _candidate(self, number: int, *, main_title: bool) -> TitleCandidate:
        year = self._years[number]
        return TitleCandidate(
            self._anime_ids[number], self._titles[number], None if year == _NO_YEAR else year, main_title
        )


class _Scan:
    """What the vocabulary is made of, read from every entry (held while it is packed)."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        self.ranked: dict[str, _Found | list[_Found]] = {}  # a list only for keys several entries share
        self.ranks = array("q")  # per entry: coverage and type, for ordering a key's entries (see rank)
        self.platform_ids: dict[str, int] = {}  # platform key -> the first entry naming it
        self.anime_ids: list[str] = []
        self.titles: list[str] = []
        self.years = array("i")
        self.tags: Counter[str] = Counter()
        self.studios: Counter[str] = Counter()
        for number, entry in enumerate(entries):
            self.anime_ids.append(entry.anime_id)
            self.titles.append(entry.title)
            self.years.append(_NO_YEAR if entry.year is None else entry.year)
            self._names(entry, number)
            for pid in entry.sources:
                self.platform_ids.setdefault(_platform_key(pid.platform, pid.id), number)
            self.tags.update(entry.tags)
            self.studios.update(entry.studios)

    def _names(self, entry: CatalogueEntry, number: int) -> None:
        names = [(entry.title, 0), *((synonym, 1) for synonym in entry.synonyms)]
        names += [(head, 2) for name, _ in list(names) if (head := _head(name)) is not None]
        self.ranks.append(len(entry.sources) * 8 - _TYPE_RANK.get(entry.type, 4))
        seen: set[str] = set()
        for name, kind in names:
            key = phrase_key(name)
            if not key or key in seen or key.count(" ") >= MAX_KEY_WORDS:
                continue
            seen.add(key)  # names come best kind first: the first key of an entry has its best rank
            found: _Found = number * 4 + kind
            before = self.ranked.get(key)
            if before is None:
                self.ranked[key] = found
            elif isinstance(before, list):
                before.append(found)
            else:
                self.ranked[key] = [before, found]

    def rank(self, found: _Found) -> tuple[int, int, int, int, str]:
        """Lower is better: the kind of name (main title, synonym, a title's head); then the entry's wider
        coverage; series; older."""
        number = found >> 2
        coverage, type_rank = divmod(-self.ranks[number], 8)
        year = self.years[number]
        return (
            found & 3,
            coverage,
            type_rank,
            9999 if year in (_NO_YEAR, 0) else year,
            self.anime_ids[number],
        )


def _packed(scan: _Scan, order: list[int]) -> tuple[array[int], array[int]]:
    """Each key's best candidates, in the table's order, as one array of codes (``number * 2 + 1`` for a
    main title) and where each key's run starts (key ``i``: ``codes[starts[i]:starts[i + 1]]``)."""
    ranked = list(scan.ranked.values())
    starts, codes = array("i", [0]), array("i")
    for at in order:
        found = ranked[at]
        if isinstance(found, list):
            best = sorted(found, key=scan.rank)[:CANDIDATES_PER_KEY]
            codes.extend([(f >> 2) * 2 + (f & 3 == 0) for f in best])
        else:
            codes.append((found >> 2) * 2 + (found & 3 == 0))
        starts.append(len(codes))
    return starts, codes


def _keyed(counts: list[tuple[str, int]], *, studio: bool = False) -> dict[str, str]:
    """Phrase key (and the key without spaces) -> the most used name; studios also with/without "studio".
    ``counts``: most used first."""
    keyed: dict[str, str] = {}
    for read, _ in counts:
        name = read.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")  # a copy: see __init__
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
