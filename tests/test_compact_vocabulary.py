"""The planner vocabulary's packed tables (adapters/title_spotter.py) answer exactly as the plain dictionary
they replaced: the same title hits, candidates in the same order, the same entry for a platform id. The
reference below is that dictionary, kept here as the test's oracle; it runs over real catalogue entries."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import CATALOGUE, require_shared

from anime_mcp.adapters import title_spotter
from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.title_spotter import CANDIDATES_PER_KEY, MAX_KEY_WORDS, CatalogueVocabulary
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.planning.text import phrase_key, tokenize
from anime_mcp.core.planning.vocabulary import TitleCandidate, TitleHit
from anime_mcp.core.platforms import Platform, PlatformId

ENTRIES = 2500  # the catalogue's first lines: all kinds of titles, shared keys and platforms
TYPE_RANK = {"TV": 0, "MOVIE": 1, "ONA": 2, "OVA": 3}


class Reference:
    """Every key of every entry in one dict, candidates ranked as the planner wants them."""

    def __init__(self, entries: Sequence[CatalogueEntry]) -> None:
        found: dict[str, list[tuple[object, ...]]] = {}
        self.platforms: dict[PlatformId, TitleCandidate] = {}
        for entry in entries:
            rank = (
                -len(entry.sources),
                TYPE_RANK.get(entry.type.value, 4),
                entry.year or 9999,
                entry.anime_id,
            )
            names = [(entry.title, 0), *((s, 1) for s in entry.synonyms)]
            names += [(head, 2) for name, _ in list(names) if (head := self.head(name))]
            keys: set[str] = set()
            for name, kind in names:
                key = phrase_key(name)
                if key and key not in keys and key.count(" ") < MAX_KEY_WORDS:
                    keys.add(key)
                    candidate = TitleCandidate(entry.anime_id, entry.title, entry.year, kind == 0)
                    found.setdefault(key, []).append((kind, rank, candidate))
            for pid in entry.sources:
                candidate = TitleCandidate(entry.anime_id, entry.title, entry.year, True)
                self.platforms.setdefault(PlatformId(pid.platform, pid.id), candidate)
        self.keys = {
            key: tuple(c for *_, c in sorted(ranked, key=lambda r: r[:2])[:CANDIDATES_PER_KEY])
            for key, ranked in found.items()
        }

    @staticmethod
    def head(name: str) -> str | None:
        return title_spotter._head(name)  # unchanged by the packing: the reference shares it

    def spot_titles(self, text: str) -> list[TitleHit]:
        tokens = tokenize(text)
        hits = []
        for last in range(len(tokens)):
            for first in range(max(0, last - MAX_KEY_WORDS + 1), last + 1):
                found = self.keys.get(" ".join(t.key for t in tokens[first : last + 1]))
                if found:
                    hits.append(TitleHit(tokens[first].start, tokens[last].end, found))
        return hits


@pytest.fixture(scope="module")
def entries() -> list[CatalogueEntry]:
    read = AodJsonlReader().read(require_shared(CATALOGUE), strict=True)
    return list(itertools.islice(read.entries, ENTRIES))


@pytest.fixture(scope="module")
def both(entries: list[CatalogueEntry]) -> tuple[CatalogueVocabulary, Reference]:
    return CatalogueVocabulary(entries), Reference(entries)


def test_every_name_of_every_entry_is_spotted_as_before(
    entries: list[CatalogueEntry], both: tuple[CatalogueVocabulary, Reference]
) -> None:
    packed, reference = both
    names = [name for entry in entries for name in (entry.title, *entry.synonyms)]
    for start in range(0, len(names), 8):  # eight names to a text: runs across names too
        text = " / ".join(names[start : start + 8])
        assert packed.spot_titles(text) == reference.spot_titles(text)
    assert any(len(hit.candidates) > 1 for hit in packed.spot_titles(" ".join(names[:100])))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_questions_made_of_titles_and_words_are_spotted_as_before(
    entries: list[CatalogueEntry], both: tuple[CatalogueVocabulary, Reference], data: st.DataObject
) -> None:
    packed, reference = both
    titles = [entry.title for entry in entries]
    synonyms = [synonym for entry in entries for synonym in entry.synonyms]
    pieces = st.one_of(
        st.sampled_from(titles),
        st.sampled_from(synonyms),
        st.sampled_from(["like", "the", "anime", "season 2", "movie", "and", "vs", "ｆｕｌｌ"]),
        st.text(max_size=12),
    )
    text = " ".join(data.draw(st.lists(pieces, max_size=8)))
    assert packed.spot_titles(text) == reference.spot_titles(text)


def test_platform_ids_name_the_same_entries(
    entries: list[CatalogueEntry], both: tuple[CatalogueVocabulary, Reference]
) -> None:
    packed, reference = both
    for pid, candidate in reference.platforms.items():
        assert packed.title_for(pid) == candidate
    assert packed.title_for(PlatformId(Platform.MAL, "999999999")) is None
    assert packed.title_for(PlatformId(Platform("plugin"), "1")) is None


def test_an_empty_catalogue_spots_nothing() -> None:
    empty = CatalogueVocabulary([])
    assert empty.spot_titles("Death Note") == []
    assert empty.title_for(PlatformId(Platform.MAL, "1535")) is None
    assert empty.tag("action") is None


def test_the_packed_tables_are_a_fraction_of_the_dictionary(
    both: tuple[CatalogueVocabulary, Reference],
) -> None:
    packed, reference = both
    # about 100 bytes a key packed, where a dict slot, its key and a candidate tuple take several hundred
    assert packed.nbytes() < 110 * len(reference.keys)
