"""The SQLite catalogue store: lookups, stats, and atomic replacement that never loses the old store."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard

from anime_mcp.adapters.aod_format import make_aod_converter
from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.sqlite_store import STORE_FILENAME, SqliteCatalogueStore
from anime_mcp.core.catalogue import CatalogueMetadata, SkippedLine
from anime_mcp.core.errors import CatalogueError, CatalogueFormatError, CatalogueNotIngested
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import IdReference, normalise_title, parse_reference
from anime_mcp.core.resolution import TitleMatch, resolve
from anime_mcp.ports.catalogue import CatalogueStore

aod = make_aod_converter()
METADATA = CatalogueMetadata(
    last_update=dt.date(2026, 7, 2),
    repository="https://example.org/aod",
    license_name="ODbL",
    schema_url="https://example.org/schema.json",
)


@pytest.fixture(scope="module")
def slice_entries(catalogue_slice_lines: list[bytes]) -> list[CatalogueEntry]:
    return [aod.structure(json.loads(line), CatalogueEntry) for line in catalogue_slice_lines[1:]]


@pytest.fixture
def store(tmp_path: Path) -> SqliteCatalogueStore:
    return SqliteCatalogueStore(tmp_path / "home")


def ingest(
    store: SqliteCatalogueStore,
    entries: list[CatalogueEntry],
    *,
    source: str = "test",
    skipped: list[SkippedLine] | None = None,
) -> None:
    store.replace(METADATA, iter(entries), source=source, skipped=skipped or [])


def only_the_store_file(store: SqliteCatalogueStore) -> None:
    assert sorted(p.name for p in store.directory.iterdir()) == [STORE_FILENAME]


def failing(entries: list[CatalogueEntry], after: int, error: Exception) -> Iterator[CatalogueEntry]:
    yield from entries[:after]
    raise error


def entry(title: str, mal: int, *synonyms: str) -> CatalogueEntry:
    return CatalogueEntry(title, [PlatformId(Platform.MAL, str(mal))], synonyms=synonyms)


def test_implements_the_port(store: SqliteCatalogueStore) -> None:
    port: CatalogueStore = store  # checked by mypy; the Protocol is not runtime-checkable
    for name in ("by_platform_id", "by_anime_id", "by_title_key", "entries", "stats", "replace"):
        assert callable(getattr(port, name))


# --- a fresh home --------------------------------------------------------------------------------------


def test_missing_store_says_to_run_ingest(store: SqliteCatalogueStore) -> None:
    assert not store.exists()
    calls = (
        lambda: store.by_platform_id(PlatformId(Platform.MAL, "1")),
        lambda: store.by_anime_id("mal-1"),
        lambda: store.by_title_key("x"),
        store.stats,
        lambda: list(store.entries()),
    )
    for call in calls:
        with pytest.raises(CatalogueNotIngested, match=r"run `anime-mcp ingest` first") as caught:
            call()
        assert str(store.path) in str(caught.value)
        assert isinstance(caught.value, CatalogueError)


# --- lookups after replace -----------------------------------------------------------------------------


def test_replace_then_every_lookup_answers(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry]
) -> None:
    skipped = [SkippedLine(7, "not valid JSON"), SkippedLine(9, "missing required field(s): title")]
    stats = store.replace(METADATA, iter(slice_entries), source="/data/aod.jsonl.zst", skipped=skipped)
    assert store.exists()
    only_the_store_file(store)
    expected_platforms = Counter(p for e in slice_entries for p in {s.platform for s in e.sources})
    assert stats.entries == len(slice_entries) == 200
    assert stats.per_platform == dict(expected_platforms)
    assert stats.skipped == 2
    assert stats.metadata == METADATA
    assert stats.source == "/data/aod.jsonl.zst"
    assert stats.ingested_at is not None
    assert abs(dt.datetime.now(dt.UTC) - stats.ingested_at) < dt.timedelta(minutes=5)
    # what is stored is what stats() reads back, also from a second store object
    assert store.stats() == stats == SqliteCatalogueStore(store.directory).stats()

    for e in slice_entries:
        assert store.by_anime_id(e.anime_id) == e  # every field survives the round trip
        for pid in e.sources:
            found = store.by_platform_id(pid)
            assert found is not None and pid in found.sources
        matches = store.by_title_key(normalise_title(e.title))
        assert TitleMatch(e, True) in matches
        for synonym in e.synonyms:
            key = normalise_title(synonym)
            if key:
                assert any(m.entry == e for m in store.by_title_key(key))
    assert list(store.entries()) == slice_entries


def test_missing_things_are_none_or_empty(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry]
) -> None:
    ingest(store, slice_entries[:5])
    assert store.by_platform_id(PlatformId(Platform.MAL, "999999999")) is None
    assert store.by_anime_id("mal-999999999") is None
    assert store.by_anime_id("") is None
    assert store.by_title_key("no such title anywhere") == []


def test_title_matches_say_whether_the_main_title_matched(store: SqliteCatalogueStore) -> None:
    sg = entry("Steins;Gate", 9253, "STEINS GATE", "S;G")  # a synonym equal to the title keeps it main
    other = entry("Some Other Show", 5, "Steins Gate")
    ingest(store, [sg, other])
    assert sorted(store.by_title_key("steinsgate"), key=lambda m: m.entry.anime_id) == [
        TitleMatch(other, False),
        TitleMatch(sg, True),
    ]
    assert store.by_title_key("sg") == [TitleMatch(sg, False)]
    assert resolve(parse_reference("steins-gate"), store).entry == sg
    assert resolve(parse_reference("mal:5"), store).entry == other


def test_duplicate_anime_ids_keep_the_first_and_count_as_skipped(store: SqliteCatalogueStore) -> None:
    first, second = entry("First", 1), entry("Second", 1)
    stats = store.replace(
        METADATA, iter([first, second, entry("Third", 3)]), source="x", skipped=[SkippedLine(2, "bad")]
    )
    assert stats.entries == 2 and stats.skipped == 2
    assert store.by_anime_id("mal-1") == first
    assert store.by_title_key("second") == []


def test_shared_platform_id_resolves_to_the_first_entry(store: SqliteCatalogueStore) -> None:
    shared = PlatformId(Platform.ANIDB, "77")
    a = CatalogueEntry("A", [PlatformId(Platform.MAL, "1"), shared])
    b = CatalogueEntry("B", [PlatformId(Platform.MAL, "2"), shared])
    ingest(store, [a, b])
    found = store.by_platform_id(shared)
    assert found is not None and found.title == "A"
    assert set(found.sources) == set(a.sources)  # the store keeps sources in AOD's (sorted URL) order
    assert store.stats().per_platform == {Platform.MAL: 2, Platform.ANIDB: 2}


def test_skipped_is_counted_after_the_entries_are_consumed(
    tmp_path: Path, store: SqliteCatalogueStore, catalogue_slice_lines: list[bytes]
) -> None:
    path = tmp_path / "mixed.jsonl"
    meta, first, second = catalogue_slice_lines[:3]
    path.write_bytes(meta + first + b"oops\n" + second + b"[]\n")
    result = AodJsonlReader().read(path, strict=False)
    assert result.skipped == []  # nothing read yet
    stats = store.replace(result.metadata, result.entries, source=str(path), skipped=result.skipped)
    assert (stats.entries, stats.skipped) == (2, 2)
    assert store.stats().skipped == 2


# --- failures keep the previous store ------------------------------------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        CatalogueFormatError("the file is truncated", path="x.zst"),
        RuntimeError("disk on fire"),
        KeyboardInterrupt(),
    ],
)
def test_failing_ingest_keeps_the_previous_store_serving(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry], error: BaseException
) -> None:
    old, new = slice_entries[:50], slice_entries[50:]
    ingest(store, old, source="old")
    assert store.by_anime_id(old[0].anime_id) == old[0]  # the store is open and serving
    with pytest.raises(type(error)):
        store.replace(METADATA, failing(new, 100, error), source="new", skipped=[])  # type: ignore[arg-type]
    only_the_store_file(store)
    for reader in (store, SqliteCatalogueStore(store.directory)):
        assert reader.stats().source == "old"
        assert reader.stats().entries == 50
        assert reader.by_anime_id(old[-1].anime_id) == old[-1]
        assert reader.by_anime_id(new[0].anime_id) is None


def test_ingest_from_a_truncated_file_keeps_the_previous_store(
    tmp_path: Path,
    store: SqliteCatalogueStore,
    slice_entries: list[CatalogueEntry],
    catalogue_slice_lines: list[bytes],
) -> None:
    ingest(store, slice_entries[:10], source="old")
    whole = zstandard.ZstdCompressor().compress(b"".join(catalogue_slice_lines))
    cut = tmp_path / "cut.jsonl.zst"
    cut.write_bytes(whole[: len(whole) * 9 // 10])
    result = AodJsonlReader().read(cut, strict=False)  # the metadata and first entries are intact
    written: list[CatalogueEntry] = []

    def counted() -> Iterator[CatalogueEntry]:
        for e in result.entries:
            written.append(e)
            yield e

    with pytest.raises(CatalogueFormatError, match="truncated"):
        store.replace(result.metadata, counted(), source=str(cut), skipped=result.skipped)
    assert written  # it failed midway, after part of the new catalogue had been written
    only_the_store_file(store)
    assert store.stats().source == "old"
    assert store.by_anime_id(slice_entries[0].anime_id) == slice_entries[0]


def test_failing_first_ingest_leaves_nothing(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry]
) -> None:
    with pytest.raises(CatalogueFormatError):
        entries = failing(slice_entries, 3, CatalogueFormatError("cut"))
        store.replace(METADATA, entries, source="x", skipped=[])
    assert not store.exists()
    assert list(store.directory.iterdir()) == []
    with pytest.raises(CatalogueNotIngested):
        store.stats()


def test_zero_usable_entries_raises_and_keeps_the_old_store(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry]
) -> None:
    ingest(store, slice_entries[:3], source="old")
    with pytest.raises(CatalogueError, match="holds no usable entries; the existing store is kept"):
        store.replace(METADATA, iter([]), source="empty.jsonl", skipped=[SkippedLine(2, "bad")])
    only_the_store_file(store)
    assert store.stats().source == "old"
    assert store.by_anime_id(slice_entries[2].anime_id) == slice_entries[2]


# --- unusable store files -------------------------------------------------------------------------------


def _remove_meta(path: Path, key: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM meta WHERE key = ?", (key,))


def _set_meta(path: Path, key: str, value: str) -> None:
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = ?", (value, key))


def _empty_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE other (x)")


@pytest.mark.parametrize(
    "spoil",
    [
        lambda p: p.write_bytes(b"this is not a database\n" * 100),
        lambda p: p.write_bytes(b""),
        lambda p: p.write_bytes(bytes(range(256)) * 64),
        lambda p: p.write_bytes(p.read_bytes()[:1024]),
        lambda p: (p.unlink(), _empty_sqlite(p)),
        lambda p: _remove_meta(p, "complete"),
        lambda p: _set_meta(p, "complete", "0"),
        lambda p: _set_meta(p, "format_version", "999"),
    ],
    ids=["text", "empty", "binary", "cut", "other-sqlite", "no-complete-flag", "complete-0", "other-version"],
)
def test_unusable_store_file_is_a_catalogue_error(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry], spoil
) -> None:  # type: ignore[no-untyped-def]
    ingest(store, slice_entries[:20])
    store.close()
    spoil(store.path)
    fresh = SqliteCatalogueStore(store.directory)
    with pytest.raises(CatalogueError, match=r"run `anime-mcp ingest` again") as caught:
        fresh.by_anime_id(slice_entries[0].anime_id)
    assert not isinstance(caught.value, sqlite3.Error)
    assert caught.value.__cause__ is None  # no sqlite3 traceback attached
    assert caught.value.__context__ is None or caught.value.__suppress_context__
    assert str(store.path) in str(caught.value)
    # and a new ingest repairs it
    ingest(fresh, slice_entries[:2])
    assert fresh.by_anime_id(slice_entries[1].anime_id) == slice_entries[1]


# --- refresh -------------------------------------------------------------------------------------------


def test_refresh_picks_up_a_store_replaced_by_another_process(
    store: SqliteCatalogueStore, slice_entries: list[CatalogueEntry]
) -> None:
    old, new = slice_entries[:30], slice_entries[30:60]
    ingest(store, old, source="old")
    server = SqliteCatalogueStore(store.directory)
    assert server.by_anime_id(old[0].anime_id) == old[0]
    assert server.refresh() is False  # nothing changed

    ingest(SqliteCatalogueStore(store.directory), new, source="new")  # the "ingest" process
    assert server.by_anime_id(old[0].anime_id) == old[0]  # still the snapshot it opened
    assert server.refresh() is True
    assert server.stats().source == "new"
    assert server.by_anime_id(old[0].anime_id) is None
    assert server.by_anime_id(new[0].anime_id) == new[0]
    assert server.refresh() is False


def test_replace_through_the_same_object_drops_its_cache(store: SqliteCatalogueStore) -> None:
    ingest(store, [entry("Before", 1)])
    assert store.by_anime_id("mal-1") == entry("Before", 1)
    ingest(store, [entry("After", 1)])
    assert store.by_anime_id("mal-1") == entry("After", 1)
    assert store.by_title_key("before") == []


def test_refresh_after_the_store_is_deleted(store: SqliteCatalogueStore) -> None:
    ingest(store, [entry("X", 1)])
    assert store.stats().entries == 1
    store.path.unlink()
    assert store.refresh() is True
    with pytest.raises(CatalogueNotIngested):
        store.stats()


# --- the whole catalogue --------------------------------------------------------------------------------


@pytest.mark.slow
def test_full_catalogue_ingest(
    tmp_path: Path, full_catalogue: tuple[CatalogueMetadata, list[CatalogueEntry]]
) -> None:
    metadata, entries = full_catalogue
    store = SqliteCatalogueStore(tmp_path)
    stats = store.replace(metadata, iter(entries), source="aod", skipped=[])
    assert stats.entries == 36_233 and stats.skipped == 0
    assert stats.per_platform[Platform.MAL] == 28_259
    assert stats.per_platform[Platform.ANIMEPLANET] == 25_794
    death_note = store.by_anime_id("mal-1535")
    assert death_note is not None and death_note.title == "Death Note"
    for text in (
        "mal:1535",
        "https://kitsu.app/anime/1376",
        "anidb.net/a4563",
        "death note",
        "DEATH-NOTE",
        "デスノート",
        "https://www.anime-planet.com/anime/death-note",
    ):
        assert resolve(parse_reference(text), store).entry == death_note, text
    steins_gate = resolve(parse_reference("steins gate"), store)
    assert steins_gate.entry.anime_id == "mal-9253"
    reference = parse_reference(death_note.anime_id)
    assert isinstance(reference, IdReference)
    assert store.by_platform_id(reference.platform_id) == death_note
