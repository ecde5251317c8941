"""The enrichment store (SQLite, WAL, beside the catalogue), the values a live record and an anime-mapper
dump record give it, batch checkpoints, and the dump import matched to a real catalogue slice."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import zstandard
from shared_data import DATA, require_shared

from anime_mcp.adapters.anime_mapper_dump import AnimeMapperDump, record_values
from anime_mcp.adapters.enrichment_sqlite import ENRICHMENT_FILENAME, SqliteEnrichmentStore
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.enriched import EnrichedAnime, StoredValue, values_from_record
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.services.batch_enrichment import Selection, eta_seconds, plan_run, select
from anime_mcp.core.services.bulk_import import import_dump
from anime_mcp.core.sources import LocalizedText, Rating, SourceRecord, StreamingLink
from anime_mcp.ports.enrichment_store import BatchResult, BatchRun, BulkSource, EnrichmentStore

DUMP = DATA / "mal-details.jsonl.zst"
T0 = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
T1 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)


def dump_head(lines: int = 3) -> bytes:
    """The first records of the real anime-mapper dump (fuzz seed)."""
    with require_shared(DUMP).open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        return b"".join(itertools.islice(stream, lines))


def dump_records(mal_ids: set[int]) -> dict[int, bytes]:
    """Lines of the real dump with these MAL ids (the dump is in MAL id order of its files: scan it)."""
    found: dict[int, bytes] = {}
    with require_shared(DUMP).open("rb") as fh:
        for line in io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh)):
            mal = json.loads(line).get("idMal")
            if mal in mal_ids:
                found[mal] = line
                if len(found) == len(mal_ids):
                    break
    return found


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteEnrichmentStore]:
    opened = SqliteEnrichmentStore(tmp_path / "home")
    yield opened
    opened.close()


def synopsis(text: str, source: str = "mal", at: dt.datetime = T0, language: str = "en") -> StoredValue:
    return StoredValue("synopsis", source, text, at, language=language, url=f"https://{source}.test/1")


def test_the_store_is_a_port(store: SqliteEnrichmentStore) -> None:
    _: EnrichmentStore = store
    assert isinstance(AnimeMapperDump(), BulkSource)


def test_values_are_kept_per_source_and_language_with_provenance(store: SqliteEnrichmentStore) -> None:
    genres = StoredValue("genres", "anilist", ["Drama", "Thriller"], T0)
    written = store.put(
        [
            ("mal-1535", [synopsis("A notebook kills."), synopsis("Un cahier tue.", language="fr"), genres]),
            ("mal-1", [StoredValue("score", "mal", {"value": 8.7, "scale": 10, "votes": 9}, T0)]),
        ]
    )
    assert written == 4
    anime = store.get("mal-1535")
    assert anime is not None and anime.synopsis() == "A notebook kills."
    assert {(v.field, v.source, v.language) for v in anime.values} == {
        ("synopsis", "mal", "en"),
        ("synopsis", "mal", "fr"),
        ("genres", "anilist", ""),
    }
    kept = anime.of("synopsis")[0]
    assert kept.fetched_at == T0 and kept.url == "https://mal.test/1" and kept.origin == "live"
    assert store.get("mal-2") is None
    assert store.having("synopsis") == {"mal-1535"} and store.having("score") == {"mal-1"}
    assert dict(store.synopses()) == {"mal-1535": "A notebook kills."}
    assert dict(store.terms()) == {"mal-1535": ["Drama", "Thriller"]}
    assert store.counts() == {"synopsis": 1, "genres": 1, "score": 1, "anime": 2}
    assert (store.directory / ENRICHMENT_FILENAME).is_file()
    mode = sqlite3.connect(store.path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"  # readers in other processes read while a batch writes


def test_a_newer_value_replaces_an_older_one_never_the_reverse(store: SqliteEnrichmentStore) -> None:
    store.put([("mal-1535", [synopsis("old", at=T0)])])
    store.put([("mal-1535", [synopsis("new", at=T1)])])
    assert store.put([("mal-1535", [synopsis("older still", at=T0)])]) == 0
    anime = store.get("mal-1535")
    assert anime is not None and [v.value for v in anime.values] == ["new"]


def test_the_synopsis_shown_is_english_then_unstated_then_any() -> None:
    def pick(*values: StoredValue) -> str | None:
        return EnrichedAnime("x", values).synopsis()

    assert pick(synopsis("fr", language="fr"), synopsis("und", language="und")) == "und"
    assert pick(synopsis("fr", language="fr"), synopsis("en", source="kitsu")) == "en"
    assert pick(synopsis("fr", language="fr")) == "fr"
    assert pick(synopsis("   ")) is None


def test_a_stored_field_must_be_one_the_store_keeps() -> None:
    with pytest.raises(ValueError, match="does not keep 'title'"):
        StoredValue("title", "mal", "Death Note", T0)


def test_a_live_record_gives_what_it_filled() -> None:
    record = SourceRecord(
        platform_id=PlatformId(Platform.KITSU, "1376"),
        url="https://kitsu.app/anime/1376",
        fetched_at=T1,
        fields={"synopsis", "genres", "tags", "score", "streaming"},
        synopsis="Light finds a notebook.",
        synopses=(LocalizedText("en", "Light finds a notebook."),),
        genres=("Mystery",),
        tags=("Detective",),
        score=Rating(84.0, 100.0, 1000),
        streaming=(StreamingLink("Netflix", "https://netflix.test/dn", regions=("US",)),),
    )
    values = {v.field: v for v in values_from_record(record, "kitsu")}
    assert set(values) == {"synopsis", "genres", "themes", "score", "streaming"}
    assert values["synopsis"].language == "en" and values["synopsis"].value == "Light finds a notebook."
    assert values["score"].value == {"value": 84.0, "scale": 100.0, "votes": 1000}
    assert values["streaming"].value == [
        {
            "service": "Netflix",
            "url": "https://netflix.test/dn",
            "regions": ["US"],
            "subtitles": [],
            "dubs": [],
        }
    ]
    assert all(v.source == "kitsu" and v.fetched_at == T1 and v.url == record.url for v in values.values())


def test_an_anime_mapper_record_gives_synopsis_genres_broadcast_and_each_platform_score() -> None:
    line = dump_records({1535})[1535]
    record = record_values(json.loads(line))
    assert record is not None and record.platform_id == PlatformId(Platform.MAL, "1535")
    values = {(v.field, v.source): v for v in record.values}
    assert set(values) == {
        ("synopsis", "anime-mapper"),
        ("genres", "anime-mapper"),
        ("broadcast", "anime-mapper"),
        ("score", "mal"),
        ("score", "anilist"),
        ("score", "kitsu"),
    }
    assert "Death Note" in values["synopsis", "anime-mapper"].value
    assert "Psychological" in values["genres", "anime-mapper"].value
    assert values["broadcast", "anime-mapper"].value == {
        "day": "Wednesdays",
        "time": "00:56",
        "timezone": "Asia/Tokyo",
    }
    assert values["score", "mal"].value == {"value": 8.62, "scale": 10.0, "votes": None}
    assert all(v.origin == "dump" for v in record.values)
    assert values["synopsis", "anime-mapper"].fetched_at == dt.datetime(
        2026, 6, 26, 13, 46, 49, 588000, dt.UTC
    )
    assert values["synopsis", "anime-mapper"].url == "https://myanimelist.net/anime/1535"


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"idMal": "1535"},
        {"idMal": True},
        {"idMal": -3},
        {"idMal": 5, "synopsis": 3, "genres": "Drama", "broadcast": [], "score": {"malScore": float("nan")}},
    ],
)
def test_hostile_records_lose_the_field_or_the_record(raw: dict[str, object]) -> None:
    record = record_values(raw)
    assert record is None or record.values == ()


def test_the_dump_reader_streams_zstd_and_counts_what_it_skips(tmp_path: Path) -> None:
    path = tmp_path / "dump.jsonl.zst"
    body = dump_head(3) + b"not json\n" + b'{"idMal": "x"}\n'
    path.write_bytes(zstandard.ZstdCompressor().compress(body))
    reader = AnimeMapperDump()
    assert reader.can_read(path) and not reader.can_read(Path(__file__))
    records = list(reader.read(path))
    assert len(records) == 3 and reader.skipped() == 2
    path.write_bytes(zstandard.ZstdCompressor().compress(body)[:-20])
    with pytest.raises(CatalogueFormatError, match="truncated"):
        list(reader.read(path))


def test_checkpoints_resume_the_unfinished_run_and_start_over_after_a_finished_one(
    store: SqliteEnrichmentStore,
) -> None:
    run = BatchRun("k", ("a", "b", "c", "d", "e"), 2)
    assert run.batches == 3 and run.batch(2) == ("e",)
    assert store.open_run(run) == run
    store.finish_batch("k", BatchResult(0, 1, 1, (("b", "mal: timed out"),)), [("a", [synopsis("A")])])
    # Same key, another plan (the catalogue changed meanwhile): the stored plan wins until it is finished.
    assert store.open_run(BatchRun("k", ("z",), 5)) == run
    assert store.finished_batches("k") == {0: BatchResult(0, 1, 1, (("b", "mal: timed out"),))}
    assert store.having("synopsis") == {"a"}
    store.close_run("k")
    fresh = BatchRun("k", ("z",), 5)
    assert store.open_run(fresh) == fresh and store.finished_batches("k") == {}


def test_a_failed_batch_write_leaves_neither_values_nor_checkpoint(store: SqliteEnrichmentStore) -> None:
    store.open_run(BatchRun("k", ("a", "b"), 2))

    def filled() -> Iterator[tuple[str, list[StoredValue]]]:
        yield "a", [synopsis("A")]
        raise RuntimeError("killed mid-batch")

    with pytest.raises(RuntimeError):
        store.finish_batch("k", BatchResult(0, 1, 1), filled())
    assert store.finished_batches("k") == {} and store.having("synopsis") == set()


def test_the_eta_is_the_slower_of_the_rate_limits_and_the_pace() -> None:
    assert eta_seconds(100, 0.5, 0, 0.0) == 50.0
    assert eta_seconds(100, 0.5, 10, 20.0) == 200.0  # 2 s per anime observed


def test_a_selection_names_its_run_and_refuses_nonsense() -> None:
    assert Selection(missing="synopsis").key() == Selection(missing="synopsis").key()
    assert Selection(missing="synopsis").key() != Selection(missing="synopsis", limit=5).key()
    with pytest.raises(ValueError, match="--missing takes one of"):
        Selection(missing="title")
    with pytest.raises(ValueError, match="--fields: no field plot"):
        Selection(fields=("synopsis", "plot"))
    with pytest.raises(ValueError, match="--limit must be at least 1"):
        Selection(limit=0)
    assert plan_run(["a", "b", "c"], Selection(), 2).batches == 2


@pytest.fixture(scope="module")
def catalogue(
    tmp_path_factory: pytest.TempPathFactory, catalogue_slice_lines: list[bytes]
) -> SqliteCatalogueStore:
    from anime_mcp.adapters.aod_reader import AodJsonlReader

    folder = tmp_path_factory.mktemp("enrichment-catalogue")
    path = folder / "slice.jsonl"
    path.write_bytes(b"".join(catalogue_slice_lines))
    result = AodJsonlReader().read(path, strict=True)
    opened = SqliteCatalogueStore(folder / "home")
    opened.replace(result.metadata, result.entries, source=str(path), skipped=result.skipped)
    return opened


def test_a_dump_is_matched_to_the_catalogue_by_mal_id(
    catalogue: SqliteCatalogueStore, store: SqliteEnrichmentStore, tmp_path: Path
) -> None:
    on_mal = [e for e in catalogue.entries() if Platform.MAL in e.ids()][:5]
    wanted = {int(e.ids()[Platform.MAL]) for e in on_mal}
    lines = dump_records(wanted)
    stranger = json.dumps({"idMal": 999999999 - 1, "synopsis": "Not in the catalogue."}).encode() + b"\n"
    path = tmp_path / "dump.jsonl"
    path.write_bytes(b"".join(lines.values()) + stranger + b"[1, 2]\n")
    report = import_dump(path, [AnimeMapperDump()], catalogue, store, batch=2)
    assert (report.reader, report.records, report.matched, report.unmatched, report.skipped) == (
        "anime-mapper",
        len(lines) + 1,
        len(lines),
        1,
        1,
    )
    assert report.unmatched_examples == ("mal:999999998",)
    matched = {e.anime_id for e in on_mal if int(e.ids()[Platform.MAL]) in lines}
    assert report.anime == len(matched) and store.counts()["anime"] == len(matched)
    assert report.values == sum(len(record_values(json.loads(line)).values) for line in lines.values())  # type: ignore[union-attr]
    again = import_dump(path, [AnimeMapperDump()], catalogue, store)
    assert again.values == 0  # same values, same times: nothing rewritten
    assert (
        select(catalogue, store, Selection(missing="synopsis", limit=3))
        == [e.anime_id for e in catalogue.entries() if e.anime_id not in store.having("synopsis")][:3]
    )
    with pytest.raises(CatalogueFormatError, match="no bulk source reads this file"):
        import_dump(Path(__file__), [AnimeMapperDump()], catalogue, store)
