"""The frozen catalogue entry: immutability, the internal anime id and the per-platform ids."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.core.models import (
    PRIMARY_PLATFORM_ORDER,
    AnimeSeason,
    AnimeType,
    CatalogueEntry,
    Duration,
    Score,
    Season,
    Status,
    internal_id,
)
from anime_mcp.core.platforms import ID_PATTERNS, Platform, PlatformId
from anime_mcp.core.references import IdReference, parse_reference

P = Platform

DEATH_NOTE_SOURCES = (
    PlatformId(P.ANIDB, "4563"),
    PlatformId(P.ANILIST, "1535"),
    PlatformId(P.ANIMEPLANET, "death-note"),
    PlatformId(P.ANIMECOUNTDOWN, "40190"),
    PlatformId(P.ANN, "6592"),
    PlatformId(P.ANISEARCH, "3633"),
    PlatformId(P.KITSU, "1376"),
    PlatformId(P.LIVECHART, "3437"),
    PlatformId(P.MAL, "1535"),
    PlatformId(P.SIMKL, "40190"),
)


def death_note(**changes: object) -> CatalogueEntry:
    fields: dict[str, object] = {
        "title": "Death Note",
        "sources": DEATH_NOTE_SOURCES,
        "type": AnimeType.TV,
        "episodes": 37,
        "status": Status.FINISHED,
        "season": AnimeSeason(Season.FALL, 2006),
        "duration": Duration(1380),
        "score": Score(8.54, 8.54, 8.55),
        "synonyms": ["DN", "デスノート"],
        "studios": ["madhouse"],
        "tags": ["thriller"],
    }
    return CatalogueEntry(**(fields | changes))  # type: ignore[arg-type]


def test_entry_is_frozen() -> None:
    entry = death_note()
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.title = "Other"  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        entry.season.year = 2007  # type: ignore[misc]
    assert isinstance(entry.sources, tuple)
    assert isinstance(entry.synonyms, tuple)  # lists are turned into tuples: nothing inside can change


def test_entries_compare_and_hash_by_value() -> None:
    assert death_note() == death_note()
    assert hash(death_note()) == hash(death_note())
    assert death_note() != death_note(episodes=38)
    assert len({death_note(), death_note(), death_note(title="X")}) == 2


def test_defaults_and_converters() -> None:
    entry = CatalogueEntry("X", [PlatformId(P.MAL, "1")])
    assert (entry.type, entry.episodes, entry.status) == (AnimeType.UNKNOWN, 0, Status.UNKNOWN)
    assert entry.season == AnimeSeason(Season.UNDEFINED, None)
    assert entry.year is None
    assert entry.duration is None and entry.score is None
    assert entry.synonyms == entry.tags == entry.other_sources == ()
    assert entry.sources == (PlatformId(P.MAL, "1"),)
    # a single string stays one value instead of being split into characters
    assert CatalogueEntry("X", [PlatformId(P.MAL, "1")], synonyms="abc").synonyms == ("abc",)
    assert death_note().year == 2006


def test_anime_id_prefers_mal() -> None:
    assert death_note().anime_id == "mal-1535"


def test_anime_id_follows_the_primary_platform_order() -> None:
    sources = list(DEATH_NOTE_SOURCES)
    expected = [
        "mal-1535",
        "anilist-1535",
        "kitsu-1376",
        "anidb-4563",
        "animeplanet-death-note",
        "anisearch-3633",
        "livechart-3437",
        "ann-6592",
        "simkl-40190",
        "animecountdown-40190",
    ]
    for want in expected:
        assert death_note(sources=sources).anime_id == want
        sources = [s for s in sources if f"{s.platform.value}-{s.id}" != want]
    assert sources == []


def test_primary_platform_order_names_every_platform_once() -> None:
    assert sorted(PRIMARY_PLATFORM_ORDER) == sorted(Platform)
    assert len(set(PRIMARY_PLATFORM_ORDER)) == len(Platform)


def _pid(platform: Platform) -> st.SearchStrategy[PlatformId]:
    return st.from_regex(ID_PATTERNS[platform], fullmatch=True).map(lambda raw: PlatformId(platform, raw))


any_pid = st.sampled_from(list(Platform)).flatmap(_pid)


@given(st.lists(any_pid, min_size=1, max_size=12), st.randoms())
def test_anime_id_is_the_best_ranked_platform_independent_of_order(sources: list[PlatformId], rnd) -> None:  # type: ignore[no-untyped-def]
    anime_id = internal_id(tuple(sources))
    best_platform = min((s.platform for s in sources), key=PRIMARY_PLATFORM_ORDER.index)
    assert anime_id.startswith(f"{best_platform.value}-")
    best_ids = {s.id for s in sources if s.platform is best_platform}
    assert anime_id.removeprefix(f"{best_platform.value}-") in best_ids
    shuffled = sources[:]
    rnd.shuffle(shuffled)
    assert internal_id(tuple(shuffled)) == anime_id
    # the internal id is itself a reference users can type, naming one of the entry's own pages
    ref = parse_reference(anime_id)
    assert isinstance(ref, IdReference) and ref.platform_id in sources


def test_anime_id_needs_a_source() -> None:
    with pytest.raises(ValueError, match="at least one recognised source"):
        internal_id(())
    with pytest.raises(ValueError, match="at least one recognised source"):
        _ = CatalogueEntry("X", []).anime_id


def test_ids_gives_one_id_per_platform_the_first_listed() -> None:
    entry = death_note(sources=[PlatformId(P.MAL, "20"), PlatformId(P.KITSU, "5"), PlatformId(P.MAL, "10")])
    assert entry.ids() == {P.MAL: "20", P.KITSU: "5"}
    assert death_note().ids() == {s.platform: s.id for s in DEATH_NOTE_SOURCES}
    assert len(death_note().ids()) == 10
