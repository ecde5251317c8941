"""One contract for the CatalogueStore port, run against the SQLite store and the public fake
(``anime_mcp.testing.FakeCatalogue``), so the fake cannot drift from the real adapter.

Entries are 200 real catalogue entries; every expectation is computed here from the list itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from anime_mcp.adapters.aod_format import make_aod_converter
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.catalogue import CatalogueMetadata, SkippedLine
from anime_mcp.core.errors import CatalogueError, CatalogueFormatError, CatalogueNotIngested
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import normalise_title
from anime_mcp.core.resolution import TitleMatch
from anime_mcp.ports.catalogue import CatalogueStore
from anime_mcp.testing import FakeCatalogue

METADATA = CatalogueMetadata(last_update=dt.date(2026, 7, 2), repository="https://example.org/aod")
STORES: dict[str, Callable[[Path], CatalogueStore]] = {
    "fake": lambda _: FakeCatalogue(),
    "sqlite": lambda tmp: SqliteCatalogueStore(tmp / "home"),
}


@pytest.fixture(params=sorted(STORES))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CatalogueStore:
    return STORES[request.param](tmp_path)


@pytest.fixture(scope="module")
def entries(catalogue_slice_lines: list[bytes]) -> list[CatalogueEntry]:
    aod = make_aod_converter()
    return [aod.structure(json.loads(line), CatalogueEntry) for line in catalogue_slice_lines[1:]]


def entry(title: str, mal: int, *synonyms: str, anidb: int | None = None) -> CatalogueEntry:
    sources = [PlatformId(Platform.MAL, str(mal))]
    if anidb is not None:
        sources.append(PlatformId(Platform.ANIDB, str(anidb)))
    return CatalogueEntry(title, sources, synonyms=synonyms)


def failing(items: list[CatalogueEntry], after: int, error: Exception) -> Iterator[CatalogueEntry]:
    yield from items[:after]
    raise error


def test_nothing_can_be_read_before_the_first_replace(store: CatalogueStore) -> None:
    calls = (
        lambda: store.by_platform_id(PlatformId(Platform.MAL, "1")),
        lambda: store.by_anime_id("mal-1"),
        lambda: store.by_title_key("x"),
        store.stats,
        lambda: list(store.entries()),
    )
    for call in calls:
        with pytest.raises(CatalogueNotIngested):
            call()


def test_replace_then_every_lookup_answers(store: CatalogueStore, entries: list[CatalogueEntry]) -> None:
    skipped = [SkippedLine(7, "not valid JSON")]
    stats = store.replace(METADATA, iter(entries), source="/data/aod.jsonl.zst", skipped=skipped)
    per_platform = Counter(p for e in entries for p in {s.platform for s in e.sources})
    assert (stats.entries, stats.per_platform, stats.skipped) == (len(entries), dict(per_platform), 1)
    assert (stats.metadata, stats.source) == (METADATA, "/data/aod.jsonl.zst")
    assert stats.ingested_at is not None and stats.ingested_at.tzinfo is not None
    assert store.stats() == stats
    first_with: dict[PlatformId, CatalogueEntry] = {}
    for e in entries:
        for pid in e.sources:
            first_with.setdefault(pid, e)
    for e in entries:
        assert store.by_anime_id(e.anime_id) == e
        for pid in e.sources:
            assert store.by_platform_id(pid) == first_with[pid]
        assert TitleMatch(e, True) in store.by_title_key(normalise_title(e.title))
        for synonym in e.synonyms:
            if key := normalise_title(synonym):
                assert [m for m in store.by_title_key(key) if m.entry == e]
    assert list(store.entries()) == entries


def test_unknown_things_are_none_or_empty(store: CatalogueStore, entries: list[CatalogueEntry]) -> None:
    store.replace(METADATA, iter(entries[:5]), source="x", skipped=[])
    assert store.by_platform_id(PlatformId(Platform.MAL, "999999999")) is None
    assert store.by_anime_id("mal-999999999") is None
    assert store.by_anime_id("") is None
    assert list(store.by_title_key("no such title anywhere")) == []


def test_title_matches_say_whether_the_main_title_matched(store: CatalogueStore) -> None:
    sg = entry("Steins;Gate", 9253, "STEINS GATE", "S;G")  # a synonym equal to the title keeps it main
    other = entry("Some Other Show", 5, "Steins Gate")
    store.replace(METADATA, iter([sg, other]), source="x", skipped=[])
    assert sorted(store.by_title_key("steinsgate"), key=lambda m: m.entry.anime_id) == [
        TitleMatch(other, False),
        TitleMatch(sg, True),
    ]
    assert list(store.by_title_key("sg")) == [TitleMatch(sg, False)]


def test_duplicates_keep_the_first(store: CatalogueStore) -> None:
    first, second = entry("First", 1, anidb=77), entry("Second", 1)
    third = entry("Third", 3, anidb=77)
    stats = store.replace(METADATA, iter([first, second, third]), source="x", skipped=[SkippedLine(2, "bad")])
    assert (stats.entries, stats.skipped) == (2, 2)
    kept = store.by_anime_id("mal-1")
    assert kept is not None and kept.title == "First"
    assert set(kept.sources) == set(first.sources)  # the order of sources is the store's (AOD: sorted URLs)
    assert list(store.by_title_key("second")) == []
    by_anidb = store.by_platform_id(PlatformId(Platform.ANIDB, "77"))
    assert by_anidb is not None and by_anidb.title == "First"
    assert store.stats().per_platform == {Platform.MAL: 2, Platform.ANIDB: 2}


@pytest.mark.parametrize("error", [CatalogueFormatError("truncated", path="x.zst"), RuntimeError("disk")])
def test_a_failed_replace_keeps_the_previous_catalogue(
    store: CatalogueStore, entries: list[CatalogueEntry], error: Exception
) -> None:
    store.replace(METADATA, iter(entries[:50]), source="old", skipped=[])
    with pytest.raises(type(error)):
        store.replace(METADATA, failing(entries[50:], 30, error), source="new", skipped=[])
    assert store.stats().source == "old"
    assert list(store.entries()) == entries[:50]
    assert store.by_anime_id(entries[60].anime_id) is None


def test_an_empty_catalogue_is_refused_and_the_old_one_kept(
    store: CatalogueStore, entries: list[CatalogueEntry]
) -> None:
    store.replace(METADATA, iter(entries[:3]), source="old", skipped=[])
    with pytest.raises(CatalogueError, match="no usable entries"):
        store.replace(METADATA, iter([]), source="empty", skipped=[])
    assert store.stats().entries == 3


def test_a_second_replace_replaces_everything(store: CatalogueStore, entries: list[CatalogueEntry]) -> None:
    store.replace(METADATA, iter(entries[:10]), source="one", skipped=[])
    store.replace(METADATA, iter(entries[10:15]), source="two", skipped=[])
    assert list(store.entries()) == entries[10:15]
    assert store.by_anime_id(entries[0].anime_id) is None
    assert store.stats().entries == 5
