"""Resolving references against a catalogue, and the deterministic ranking of title matches."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.core.errors import UnknownAnime
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Season
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import normalise_title, parse_reference
from anime_mcp.core.resolution import EntryLookup, Resolution, TitleMatch, resolve, title_match_rank

P = Platform


class FakeCatalogue:
    """An in-memory EntryLookup: indexes platform ids, titles (main) and synonyms like the real store."""

    def __init__(self, entries: Iterable[CatalogueEntry]) -> None:
        self.by_pid: dict[PlatformId, CatalogueEntry] = {}
        self.titles: dict[str, list[TitleMatch]] = {}
        for entry in entries:
            for pid in entry.sources:
                self.by_pid.setdefault(pid, entry)
            keys = {normalise_title(entry.title): True}
            for synonym in entry.synonyms:
                keys.setdefault(normalise_title(synonym), False)
            for key, main in keys.items():
                self.titles.setdefault(key, []).append(TitleMatch(entry, main))

    def by_platform_id(self, pid: PlatformId) -> CatalogueEntry | None:
        return self.by_pid.get(pid)

    def by_title_key(self, key: str) -> Sequence[TitleMatch]:
        return list(self.titles.get(key, []))


def entry(
    title: str,
    mal: int,
    *,
    extra_sources: int = 0,
    type_: AnimeType = AnimeType.TV,
    year: int | None = 2000,
    synonyms: Sequence[str] = (),
) -> CatalogueEntry:
    sources = [PlatformId(P.MAL, str(mal))] + [
        PlatformId(P.ANILIST, str(mal * 100 + i + 1)) for i in range(min(extra_sources, 1))
    ]
    more = [PlatformId(p, str(mal)) for p in (P.KITSU, P.ANIDB, P.LIVECHART, P.SIMKL)]
    extra = more[: max(extra_sources - 1, 0)]
    return CatalogueEntry(
        title, sources + extra, type=type_, season=AnimeSeason(Season.SPRING, year), synonyms=synonyms
    )


def titled(catalogue: EntryLookup, text: str) -> Resolution:
    return resolve(parse_reference(text), catalogue)


def test_fake_is_an_entry_lookup() -> None:
    lookup: EntryLookup = FakeCatalogue([])
    assert lookup.by_title_key("x") == []


# --- by id ---------------------------------------------------------------------------------------------


def test_id_reference_resolves_through_any_of_the_entrys_pages() -> None:
    death_note = CatalogueEntry("Death Note", [PlatformId(P.MAL, "1535"), PlatformId(P.KITSU, "1376")])
    catalogue = FakeCatalogue([death_note, entry("Other", 1)])
    for text in (
        "mal:1535",
        "https://kitsu.io/anime/1376",
        "mal-1535",
        "myanimelist.net/anime/1535/Death_Note",
    ):
        assert titled(catalogue, text) == Resolution(death_note)


def test_unknown_id_names_the_id_and_its_page() -> None:
    with pytest.raises(UnknownAnime) as caught:
        titled(FakeCatalogue([entry("Other", 1)]), "https://anilist.co/anime/99999/x")
    assert str(caught.value) == "no catalogue entry has anilist:99999 (https://anilist.co/anime/99999)"
    assert isinstance(caught.value, LookupError)


# --- by title ------------------------------------------------------------------------------------------


def test_unknown_title_suggests_search_and_ids() -> None:
    with pytest.raises(UnknownAnime) as caught:
        titled(FakeCatalogue([entry("Other", 1)]), "  Steins;Gate ")
    message = str(caught.value)
    assert message.startswith("no catalogue entry is titled 'Steins;Gate'")
    assert "anime-mcp search" in message and "mal:1535" in message


def test_title_lookup_is_case_and_punctuation_insensitive() -> None:
    sg = entry("Steins;Gate", 9253, extra_sources=3)
    catalogue = FakeCatalogue([sg, entry("Steins;Gate 0", 30484)])
    for text in ("Steins;Gate", "steins gate", "STEINS-GATE", "ＳＴＥＩＮＳ；ＧＡＴＥ"):
        assert titled(catalogue, text) == Resolution(sg)


def test_main_title_beats_synonym_even_with_fewer_sources() -> None:
    main = entry("Shared Name", 1, extra_sources=0, type_=AnimeType.OVA, year=2020)
    synonym = entry("Something Else", 2, extra_sources=5, synonyms=["shared name"], year=1990)
    result = titled(FakeCatalogue([synonym, main]), "Shared Name")
    assert result == Resolution(main, (synonym,))


def test_more_sources_beats_fewer() -> None:
    wide = entry("Name", 2, extra_sources=4, type_=AnimeType.SPECIAL, year=2020)
    narrow = entry("Name", 1, extra_sources=0, type_=AnimeType.TV, year=1990)
    assert titled(FakeCatalogue([narrow, wide]), "name") == Resolution(wide, (narrow,))


def test_tv_before_movie_before_ona_before_ova_before_the_rest() -> None:
    order = [AnimeType.TV, AnimeType.MOVIE, AnimeType.ONA, AnimeType.OVA, AnimeType.SPECIAL]
    entries = [entry("Name", 10 - i, type_=t, year=2020 - i) for i, t in enumerate(order)]
    result = titled(FakeCatalogue(reversed(entries)), "Name")
    assert [result.entry, *result.alternatives] == entries
    # UNKNOWN ranks with SPECIAL; the id decides between them
    unknown = entry("Name", 1, type_=AnimeType.UNKNOWN, year=2020 - 4)
    result = titled(FakeCatalogue([entries[4], unknown]), "Name")
    assert result.entry == unknown


def test_older_before_newer_and_unknown_year_last() -> None:
    old, new, undated = entry("Name", 3, year=1999), entry("Name", 1, year=2010), entry("Name", 2, year=None)
    result = titled(FakeCatalogue([undated, new, old]), "Name")
    assert [result.entry, *result.alternatives] == [old, new, undated]


def test_anime_id_breaks_full_ties() -> None:
    a, b = entry("Name", 1), entry("Name", 2)
    assert titled(FakeCatalogue([b, a]), "Name") == Resolution(a, (b,))


def test_rank_is_lexicographic_over_its_criteria() -> None:
    match = TitleMatch(entry("Name", 5, extra_sources=2, type_=AnimeType.MOVIE, year=2001), True)
    assert title_match_rank(match) == (0, -3, 1, 2001, "mal-5")
    assert title_match_rank(TitleMatch(match.entry, False))[0] == 1


ranked_entries = st.lists(
    st.builds(
        lambda mal, extra, t, year, main: (
            entry(
                "Name" if main else "Other", mal, extra_sources=extra, type_=t, year=year, synonyms=["Name"]
            ),
            main,
        ),
        st.integers(1, 10**6),
        st.integers(0, 5),
        st.sampled_from(list(AnimeType)),
        st.one_of(st.none(), st.integers(1917, 2030)),
        st.booleans(),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda pair: pair[0].anime_id,
)


@given(ranked_entries, st.randoms())
def test_ranking_is_deterministic_and_total(pairs: list[tuple[CatalogueEntry, bool]], rnd) -> None:  # type: ignore[no-untyped-def]
    entries = [e for e, _ in pairs]
    first = titled(FakeCatalogue(entries), "Name")
    shuffled = entries[:]
    rnd.shuffle(shuffled)
    again = titled(FakeCatalogue(shuffled), "Name")
    assert again == first
    ordered = [first.entry, *first.alternatives]
    assert sorted(ordered, key=lambda e: e.anime_id) == sorted(entries, key=lambda e: e.anime_id)
    ranks = [title_match_rank(TitleMatch(e, e.title == "Name")) for e in ordered]
    assert ranks == sorted(ranks)
    assert len(set(ranks)) == len(ranks)  # no two entries tie: the order never depends on input order
