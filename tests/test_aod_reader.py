"""The anime-offline-database readers: every file variant, malformed input, truncation and progress."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anime_mcp.adapters.aod_format import make_aod_converter
from anime_mcp.adapters.aod_reader import READERS, AodJsonlReader, AodJsonReader
from anime_mcp.core.catalogue import CatalogueMetadata, SkippedLine
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.ports.catalogue import CatalogueReader, ReadResult

Reader = AodJsonlReader | AodJsonReader
aod = make_aod_converter()


def zst(data: bytes) -> bytes:
    """One zstd frame with the content size in its header, as AOD and the shared catalogue ship."""
    return zstandard.ZstdCompressor(level=3).compress(data)


def consume(reader: Reader, path: Path, *, strict: bool) -> tuple[ReadResult, list[CatalogueEntry]]:
    result = reader.read(path, strict=strict)
    return result, list(result.entries)


@pytest.fixture(scope="module")
def meta_line(catalogue_slice_lines: list[bytes]) -> bytes:
    return catalogue_slice_lines[0]


@pytest.fixture(scope="module")
def entry_lines(catalogue_slice_lines: list[bytes]) -> list[bytes]:
    return catalogue_slice_lines[1:]


@pytest.fixture(scope="module")
def expected_entries(entry_lines: list[bytes]) -> list[CatalogueEntry]:
    """The slice structured directly, without any reader."""
    return [aod.structure(json.loads(line), CatalogueEntry) for line in entry_lines]


def json_document(meta_line: bytes, entry_lines: list[bytes], *, pretty: bool) -> bytes:
    meta, data = json.loads(meta_line), [json.loads(line) for line in entry_lines]
    if pretty:
        return json.dumps(meta | {"data": data}, indent=2, ensure_ascii=False).encode()
    return json.dumps(meta | {"data": data}, separators=(",", ":"), ensure_ascii=False).encode()


VARIANTS: dict[str, Callable[[bytes, list[bytes]], bytes]] = {
    "catalogue.jsonl": lambda m, e: b"".join([m, *e]),
    "catalogue.jsonl.zst": lambda m, e: zst(b"".join([m, *e])),
    "catalogue-no-final-newline.jsonl": lambda m, e: b"".join([m, *e]).rstrip(b"\n"),
    "catalogue-minified.json": lambda m, e: json_document(m, e, pretty=False),
    "catalogue-minified.json.zst": lambda m, e: zst(json_document(m, e, pretty=False)),
    "catalogue.json": lambda m, e: json_document(m, e, pretty=True),
    "catalogue.json.zst": lambda m, e: zst(json_document(m, e, pretty=True)),
}


def reader_for(name: str) -> Reader:
    return AodJsonlReader() if ".jsonl" in name else AodJsonReader()


# --- the real catalogue --------------------------------------------------------------------------------


def readme_counts(shared: Path) -> tuple[int, dict[Platform, int]]:
    """The entry total and per-platform counts as ../shared/data/README.md states them."""
    text = (shared / "data" / "README.md").read_text("utf-8")
    total = int(re.search(r"\*\*([\d,]+) entries\*\*", text).group(1).replace(",", ""))  # type: ignore[union-attr]
    host_platform = {
        "myanimelist.net": Platform.MAL,
        "anime-planet.com": Platform.ANIMEPLANET,
        "kitsu.app": Platform.KITSU,
        "anisearch.com": Platform.ANISEARCH,
        "anilist.co": Platform.ANILIST,
        "simkl.com": Platform.SIMKL,
        "animecountdown.com": Platform.ANIMECOUNTDOWN,
        "anidb.net": Platform.ANIDB,
        "animenewsnetwork.com": Platform.ANN,
        "livechart.me": Platform.LIVECHART,
    }
    per_platform = {
        host_platform[host]: int(count.replace(",", ""))
        for host, count in re.findall(r"^\| ([a-z.-]+\.[a-z]+) \| ([\d,]+) \|", text, re.MULTILINE)
    }
    assert set(per_platform) == set(host_platform.values())
    return total, per_platform


def test_full_catalogue_matches_the_readme(
    shared: Path, full_catalogue: tuple[CatalogueMetadata, list[CatalogueEntry]]
) -> None:
    metadata, entries = full_catalogue
    total, per_platform = readme_counts(shared)
    assert len(entries) == total == 36_233
    counted = Counter(platform for e in entries for platform in {s.platform for s in e.sources})
    assert dict(counted) == per_platform
    assert metadata.last_update == dt.date(2026, 7, 2)
    assert metadata.repository == "https://github.com/manami-project/anime-offline-database"
    assert (metadata.score_min, metadata.score_max) == (1.0, 10.0)
    assert all(e.other_sources == () for e in entries)  # every source URL of the catalogue is understood
    assert len({e.anime_id for e in entries}) == total
    by_id = {e.anime_id: e for e in entries}
    death_note, steins_gate = by_id["mal-1535"], by_id["mal-9253"]
    assert (death_note.title, death_note.type, death_note.episodes) == ("Death Note", AnimeType.TV, 37)
    assert death_note.season == AnimeSeason(Season.FALL, 2006) and len(death_note.synonyms) == 38
    assert (steins_gate.title, steins_gate.status) == ("Steins;Gate", Status.FINISHED)
    assert Counter(e.type for e in entries)[AnimeType.TV] == 8_783


def test_readers_recognise_the_real_catalogue(catalogue_path: Path, shared: Path) -> None:
    assert AodJsonlReader().can_read(catalogue_path)
    assert not AodJsonReader().can_read(catalogue_path)
    example = shared / "data" / "examples" / "death-note.aod.json"
    assert AodJsonReader().can_read(example)
    assert not AodJsonlReader().can_read(example)
    for factory in READERS:
        assert isinstance(factory(), CatalogueReader)


def test_death_note_example(shared: Path) -> None:
    path = shared / "data" / "examples" / "death-note.aod.json"
    raw = json.loads(path.read_text("utf-8"))
    result, entries = consume(AodJsonReader(), path, strict=True)
    assert result.metadata.last_update == dt.date(2025, 5, 2)
    assert result.metadata.license_name.startswith("Open Data Commons Open Database License")
    assert len(entries) == 1 and result.skipped == []
    (entry,) = entries
    assert entry == aod.structure(raw["data"][0], CatalogueEntry)
    assert (entry.title, entry.anime_id, entry.episodes) == ("Death Note", "mal-1535", 37)
    assert list(entry.synonyms) == raw["data"][0]["synonyms"]


# --- every file variant ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(VARIANTS))
@pytest.mark.parametrize("strict", [True, False])
def test_every_variant_reads_the_same_entries(
    tmp_path: Path,
    name: str,
    strict: bool,
    catalogue_slice_lines: list[bytes],
    expected_entries: list[CatalogueEntry],
) -> None:
    meta_line, entry_lines = catalogue_slice_lines[0], catalogue_slice_lines[1:]
    path = tmp_path / name
    path.write_bytes(VARIANTS[name](meta_line, entry_lines))
    reader = reader_for(name)
    assert reader.can_read(path)
    other = AodJsonReader() if isinstance(reader, AodJsonlReader) else AodJsonlReader()
    assert not other.can_read(path)
    result, entries = consume(reader, path, strict=strict)
    assert entries == expected_entries
    assert result.skipped == []
    assert result.metadata.last_update == dt.date(2026, 7, 2)


def test_empty_data_array(tmp_path: Path, meta_line: bytes) -> None:
    path = tmp_path / "empty.json"
    path.write_bytes(json_document(meta_line, [], pretty=False))
    result, entries = consume(AodJsonReader(), path, strict=True)
    assert entries == [] and result.skipped == []


def test_missing_file_is_a_format_error(tmp_path: Path) -> None:
    for reader in (AodJsonlReader(), AodJsonReader()):
        with pytest.raises(CatalogueFormatError, match="cannot open the file"):
            reader.read(tmp_path / "nope.jsonl", strict=False)
        assert not reader.can_read(tmp_path / "nope.jsonl")


# --- malformed entries ----------------------------------------------------------------------------------


def bad_lines(good: list[bytes]) -> list[tuple[bytes, str]]:
    """(line, expected reason fragment) pairs; built from real entries where a field is broken."""
    base = json.loads(good[0])

    def variant(**changes: Any) -> bytes:
        return json.dumps(base | changes).encode() + b"\n"  # ASCII: "\\ud800" stays an escape

    def without(key: str) -> bytes:
        return json.dumps({k: v for k, v in base.items() if k != key}).encode() + b"\n"

    return [
        (b'{"sources": ["https://myanimelist.net/anime/1"], "title": \n', "not valid JSON"),
        (b"[1, 2, 3]\n", "must be a JSON object"),
        (b'"just a string"\n', "must be a JSON object"),
        (b"null\n", "must be a JSON object"),
        (without("title"), "missing required field(s): title"),
        (without("sources"), "missing required field(s): sources"),
        (variant(episodes="x"), "$.episodes"),
        (variant(synonyms="abc"), "$.synonyms"),
        (
            variant(sources=["https://example.com/anime/1", "https://myanimelist.net/manga/1"]),
            "no source URL of a known platform",
        ),
        (variant(title="Death Note").replace(b"Death Note", b"Death \xff\xfe Note"), "not valid JSON"),
        (b"[" * 50_000 + b"\n", "not valid JSON (nested too deeply)"),
        (variant(title="\ud800"), "$.title"),
    ]


def malformed_jsonl(meta_line: bytes, entry_lines: list[bytes]) -> tuple[bytes, dict[int, str], int]:
    """A jsonl file mixing good lines, blank lines and every bad line; with the expected skips."""
    lines = [meta_line]
    expected: dict[int, str] = {}
    good = 0
    for i, (bad, reason) in enumerate(bad_lines(entry_lines)):
        lines.append(entry_lines[i])
        good += 1
        if i % 4 == 0:
            lines.append(b"   \n")  # blank lines are not entries, but they are lines
        lines.append(bad)
        expected[len(lines)] = reason  # 1-based: the metadata is line 1
    lines.append(entry_lines[-1].rstrip(b"\n"))
    return b"".join(lines), expected, good + 1


@pytest.mark.parametrize("compress", [False, True])
def test_default_mode_skips_malformed_lines_with_their_line_numbers(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes], compress: bool
) -> None:
    content, expected, good = malformed_jsonl(meta_line, entry_lines)
    path = tmp_path / ("mixed.jsonl.zst" if compress else "mixed.jsonl")
    path.write_bytes(zst(content) if compress else content)
    result, entries = consume(AodJsonlReader(), path, strict=False)
    assert len(entries) == good
    assert [s.line for s in result.skipped] == list(expected)
    for skipped in result.skipped:
        assert expected[skipped.line] in skipped.reason, skipped
    # the numbers are real line numbers of the file
    physical = content.split(b"\n")
    for skipped in result.skipped:
        assert physical[skipped.line - 1] + b"\n" in {bad for bad, _ in bad_lines(entry_lines)}


def test_strict_mode_stops_at_each_malformed_line_naming_file_and_line(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes]
) -> None:
    for n, (bad, reason) in enumerate(bad_lines(entry_lines)):
        path = tmp_path / f"bad-{n}.jsonl"
        path.write_bytes(meta_line + entry_lines[0] + entry_lines[1] + bad + entry_lines[2])
        result = AodJsonlReader().read(path, strict=True)
        seen = []
        with pytest.raises(CatalogueFormatError) as caught:
            seen.extend(result.entries)
        assert len(seen) == 2  # the good lines before it were delivered
        assert caught.value.path == str(path) and caught.value.line == 4
        assert str(caught.value).startswith(f"{path}:4: ")
        assert reason in str(caught.value)


def test_json_variant_skips_malformed_entries_by_entry_number(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes]
) -> None:
    data = [json.loads(line) for line in entry_lines[:4]]
    data.insert(1, {"sources": ["https://example.com/x"], "title": "nowhere"})
    data.insert(3, 42)
    data.insert(4, data[0] | {"episodes": "many"})
    text = json.dumps(json.loads(meta_line) | {"data": data}, separators=(",", ":"))
    text = text.replace('"title":"nowhere"', '"title" "nowhere"')  # entry 2 is not even JSON
    path = tmp_path / "bad.json"
    path.write_text(text, "utf-8")
    result, entries = consume(AodJsonReader(), path, strict=False)
    assert [e.title for e in entries] == [json.loads(line)["title"] for line in entry_lines[:4]]
    assert [s.line for s in result.skipped] == [2, 4, 5]
    assert "not valid JSON (Expecting ':' delimiter)" in result.skipped[0].reason
    assert "must be a JSON object" in result.skipped[1].reason
    assert "$.episodes" in result.skipped[2].reason
    with pytest.raises(CatalogueFormatError, match=rf"^{re.escape(str(path))}:2: not valid JSON") as caught:
        consume(AodJsonReader(), path, strict=True)
    assert caught.value.line == 2


# --- the metadata line ----------------------------------------------------------------------------------

BAD_METADATA = {
    "empty": b"",
    "not json": b"hello world\n",
    "an entry first": b'{"sources": ["https://myanimelist.net/anime/1"], "title": "X"}\n',
    "a list": b"[1, 2]\n",
    "no lastUpdate": b'{"repository": "x"}\n',
    "bad date": b'{"lastUpdate": "yesterday"}\n',
    "date not a string": b'{"lastUpdate": 20260702}\n',
    "invalid utf-8": b'{"lastUpdate": "2026-07-02", "repository": "\xff"}\n',
    "deeply nested": b"[" * 100_000 + b"\n",
    "blank": b"\n",
}


@pytest.mark.parametrize("name", list(BAD_METADATA))
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("compress", [False, True])
def test_bad_metadata_line_always_raises_at_once(
    tmp_path: Path, entry_lines: list[bytes], name: str, strict: bool, compress: bool
) -> None:
    content = BAD_METADATA[name] + b"".join(entry_lines[:3])
    path = tmp_path / ("c.jsonl.zst" if compress else "c.jsonl")
    path.write_bytes(zst(content) if compress else content)
    with pytest.raises(CatalogueFormatError) as caught:
        AodJsonlReader().read(path, strict=strict)  # read() itself, before any entry is asked for
    assert caught.value.line == 1 and caught.value.path == str(path)
    assert str(caught.value).startswith(f"{path}:1: not an anime-offline-database jsonl file")


@pytest.mark.parametrize(
    "document",
    [
        b'{"lastUpdate": "2026-07-02"}',
        b'{"lastUpdate": "2026-13-40", "data": []}',
        b'{"data": []}',
        b"[]",
        b"",
        b"  ",
        b'{"repository": "x", "data": [',
        b'{"x": ' + b"[" * 100_000,
    ],
)
def test_json_without_valid_metadata_raises(tmp_path: Path, document: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(document)
    with pytest.raises(CatalogueFormatError, match=r"not an anime-offline-database json file"):
        AodJsonReader().read(path, strict=False)


# --- truncated and corrupt files ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["catalogue.jsonl.zst", "catalogue-minified.json.zst", "catalogue.json.zst"])
@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("strict", [True, False])
def test_truncated_zst_is_reported_as_truncated(
    tmp_path: Path, catalogue_slice_lines: list[bytes], name: str, keep: float, strict: bool
) -> None:
    whole = VARIANTS[name](catalogue_slice_lines[0], catalogue_slice_lines[1:])
    path = tmp_path / name
    path.write_bytes(whole[: int(len(whole) * keep)])
    with pytest.raises(CatalogueFormatError, match="truncated") as caught:
        consume(reader_for(name), path, strict=strict)
    assert str(path) in str(caught.value)


def multi_frame(data: bytes, frames: int) -> bytes:
    """Several independent frames, each with its content size, one after another (what pzstd writes)."""
    step = len(data) // frames + 1
    return b"".join(zst(data[i : i + step]) for i in range(0, len(data), step))


def streamed(data: bytes) -> bytes:
    """One frame from a streaming compressor: no content size in its header (``zstd -`` in a pipe)."""
    sink = io.BytesIO()
    with zstandard.ZstdCompressor(level=3).stream_writer(sink, closefd=False) as writer:
        for i in range(0, len(data), 4096):
            writer.write(data[i : i + 4096])
    return sink.getvalue()


@pytest.mark.parametrize(
    "pack",
    [lambda d: multi_frame(d, 7), streamed, lambda d: streamed(d[:999]) + zst(d[999:])],
    ids=["seven-frames", "streamed", "streamed-then-sized"],
)
def test_every_zst_frame_layout_reads_the_whole_catalogue(
    tmp_path: Path,
    meta_line: bytes,
    entry_lines: list[bytes],
    expected_entries: list[CatalogueEntry],
    pack: Callable[[bytes], bytes],
) -> None:
    whole = pack(b"".join([meta_line, *entry_lines]))
    path = tmp_path / "catalogue.jsonl.zst"
    path.write_bytes(whole)
    _, entries = consume(AodJsonlReader(), path, strict=True)
    assert entries == expected_entries
    for keep in (0.3, 0.7, 0.99):  # cut anywhere, even inside a later frame or a streamed one: refused
        path.write_bytes(whole[: int(len(whole) * keep)])
        with pytest.raises(CatalogueFormatError, match="truncated"):
            consume(AodJsonlReader(), path, strict=False)


def test_bytes_after_the_last_zst_frame_are_corruption_not_ignored(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes]
) -> None:
    path = tmp_path / "catalogue.jsonl.zst"
    path.write_bytes(zst(b"".join([meta_line, *entry_lines])) + b"<html>not found</html>")
    with pytest.raises(CatalogueFormatError, match="zstd data is corrupt"):
        consume(AodJsonlReader(), path, strict=False)


@pytest.mark.parametrize("name", ["catalogue.jsonl.zst", "catalogue-minified.json.zst"])
@pytest.mark.parametrize("strict", [True, False])
def test_corrupt_checksummed_zst_is_always_detected(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes], name: str, strict: bool
) -> None:
    """With a content checksum in the frame, zstd detects a flipped byte anywhere after the magic number.

    (Without one, as in the shared catalogue, a flipped literal byte can only show up as a bad line:
    that is a limit of the file, not of the reader.)
    """
    plain = VARIANTS[name.removesuffix(".zst")](meta_line, entry_lines)
    whole = zstandard.ZstdCompressor(level=3, write_checksum=True).compress(plain)
    for position in range(4, len(whole), len(whole) // 25):
        damaged = bytearray(whole)
        damaged[position] ^= 0x5A
        path = tmp_path / f"{position}-{name}"
        path.write_bytes(bytes(damaged))
        with pytest.raises(CatalogueFormatError, match=r"zstd|truncated") as caught:
            consume(reader_for(name), path, strict=strict)
        assert str(path) in str(caught.value)


@pytest.mark.parametrize("offset", [0.3, 0.6])
@pytest.mark.parametrize("name", ["catalogue.jsonl.zst", "catalogue-minified.json.zst"])
def test_garbage_inside_a_zst_frame_is_a_format_error(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes], offset: float, name: str
) -> None:
    data = bytearray(VARIANTS[name](meta_line, entry_lines))
    position = int(len(data) * offset)
    data[position : position + 64] = b"\xff" * 64
    path = tmp_path / name
    path.write_bytes(bytes(data))
    with pytest.raises(CatalogueFormatError, match="zstd data is corrupt") as caught:
        consume(reader_for(name), path, strict=False)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("header", [b"\x28\xb5\x2f\xfd", b"\x28\xb5\x2f\xfd\xff\xff\xff\xff\xff\xff"])
def test_zst_magic_with_a_broken_header(tmp_path: Path, header: bytes) -> None:
    path = tmp_path / "c.jsonl.zst"
    path.write_bytes(header)
    with pytest.raises(CatalogueFormatError, match="zstd"):
        consume(AodJsonlReader(), path, strict=False)
    assert not AodJsonlReader().can_read(path) and not AodJsonReader().can_read(path)


@pytest.mark.parametrize("pretty", [False, True])
@pytest.mark.parametrize("strict", [True, False])
def test_truncated_json_is_reported_as_truncated(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes], pretty: bool, strict: bool
) -> None:
    whole = json_document(meta_line, entry_lines[:50], pretty=pretty)
    start = whole.index(b'"data"')
    boundary = whole.index(b"}", whole.index(b"]", whole.index(b'"tags"', start)))  # end of entry 1
    cuts = {
        "right after the array opens": whole.index(b"[", start) + 1,
        "between entries": boundary + 1,
        "inside an entry": len(whole) // 2,
        "inside a string near the end": whole.rindex(b'"title"') + 12,
        "before the closing bracket": whole.rindex(b"]"),
    }
    for where, cut in cuts.items():
        path = tmp_path / f"cut-{cut}.json"
        path.write_bytes(whole[:cut])
        with pytest.raises(CatalogueFormatError, match="truncated") as caught:
            consume(AodJsonReader(), path, strict=strict)
        assert str(path) in str(caught.value), where


def test_json_that_is_not_utf8_is_a_format_error(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes]
) -> None:
    whole = json_document(meta_line, entry_lines[:5], pretty=False)
    path = tmp_path / "latin.json"
    path.write_bytes(whole.replace(b'"title":"', b'"title":"\xe9', 1))
    with pytest.raises(CatalogueFormatError, match="not valid UTF-8"):
        consume(AodJsonReader(), path, strict=False)


# --- progress ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_progress_reports_growing_byte_counts_up_to_the_file_size(
    tmp_path: Path, meta_line: bytes, entry_lines: list[bytes], compress: bool, fmt: str
) -> None:
    # about 2.5 MB uncompressed: more than one 1 MiB read
    lines = entry_lines * 15
    raw = b"".join([meta_line, *lines]) if fmt == "jsonl" else json_document(meta_line, lines, pretty=False)
    path = tmp_path / f"big.{fmt}{'.zst' if compress else ''}"
    path.write_bytes(zst(raw) if compress else raw)
    size = path.stat().st_size
    calls: list[tuple[int, int | None]] = []
    reader: Reader = AodJsonlReader() if fmt == "jsonl" else AodJsonReader()
    result = reader.read(path, strict=True, progress=lambda done, total: calls.append((done, total)))
    assert sum(1 for _ in result.entries) == len(lines)
    done = [d for d, _ in calls]
    assert all(total == size for _, total in calls)
    assert done == sorted(done) and all(0 < d <= size for d in done)
    assert done[-1] == size
    if not compress:
        assert len(set(done)) >= 3


# --- hypothesis: nothing but CatalogueFormatError, ever ------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
entry_keys = st.sampled_from(
    [
        "sources",
        "title",
        "type",
        "episodes",
        "status",
        "animeSeason",
        "picture",
        "thumbnail",
        "duration",
        "score",
        "synonyms",
        "studios",
        "producers",
        "relatedAnime",
        "tags",
    ]
)
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def mutated_entries(base_lines: list[bytes]) -> st.SearchStrategy[Any]:
    bases = [json.loads(line) for line in base_lines[:20]]
    return st.one_of(
        json_values,
        st.builds(
            lambda base, key, value: base | {key: value}, st.sampled_from(bases), entry_keys, json_values
        ),
        st.builds(
            lambda base, key: {k: v for k, v in base.items() if k != key}, st.sampled_from(bases), entry_keys
        ),
        st.sampled_from(bases),
    )


def check_reading(path: Path, reader: Reader) -> tuple[list[CatalogueEntry] | None, list[SkippedLine]]:
    """Default mode: returns what was read. Strict mode: the same or a CatalogueFormatError. Nothing else."""
    result, entries = consume(reader, path, strict=False)
    strict_result = reader.read(path, strict=True)
    try:
        strict_entries = list(strict_result.entries)
    except CatalogueFormatError as exc:
        assert str(exc).startswith(str(path))
    else:
        assert strict_entries == entries and result.skipped == []
    return entries, result.skipped


@HYPOTHESIS
@given(data=st.data())
def test_random_json_lines_are_entries_or_skipped(
    tmp_path_factory: pytest.TempPathFactory, meta_line: bytes, entry_lines: list[bytes], data: st.DataObject
) -> None:
    values = data.draw(st.lists(mutated_entries(entry_lines), max_size=12))
    path = tmp_path_factory.mktemp("hyp") / "random.jsonl"
    path.write_bytes(meta_line + b"".join(json.dumps(v).encode() + b"\n" for v in values))
    entries, skipped = check_reading(path, AodJsonlReader())
    assert entries is not None
    assert len(entries) + len(skipped) == len(values)
    assert all(2 <= s.line <= len(values) + 1 for s in skipped)


@HYPOTHESIS
@given(data=st.data())
def test_random_bytes_after_the_metadata_never_escape_as_other_errors(
    tmp_path_factory: pytest.TempPathFactory, meta_line: bytes, entry_lines: list[bytes], data: st.DataObject
) -> None:
    pieces = st.one_of(st.binary(max_size=80), st.sampled_from(entry_lines[:5]))
    chunks = data.draw(st.lists(pieces, max_size=8))
    compress = data.draw(st.booleans())
    content = meta_line + b"".join(chunks)
    path = tmp_path_factory.mktemp("hyp") / ("random.jsonl.zst" if compress else "random.jsonl")
    path.write_bytes(zst(content) if compress else content)
    _, skipped = check_reading(path, AodJsonlReader())
    physical_lines = content.count(b"\n") + 1
    assert all(2 <= s.line <= physical_lines for s in skipped)


@HYPOTHESIS
@given(data=st.data())
def test_random_data_array_elements_are_entries_or_skipped(
    tmp_path_factory: pytest.TempPathFactory, meta_line: bytes, entry_lines: list[bytes], data: st.DataObject
) -> None:
    values = data.draw(st.lists(mutated_entries(entry_lines), max_size=12))
    pretty = data.draw(st.booleans())
    document = json.loads(meta_line) | {"data": values}
    path = tmp_path_factory.mktemp("hyp") / "random.json"
    path.write_text(json.dumps(document, indent=2 if pretty else None), "utf-8")
    entries, skipped = check_reading(path, AodJsonReader())
    assert entries is not None
    assert len(entries) + len(skipped) == len(values)
    assert [s.line for s in skipped] == sorted(s.line for s in skipped)


@HYPOTHESIS
@given(data=st.data())
def test_random_bytes_in_a_json_data_array_only_give_format_errors(
    tmp_path_factory: pytest.TempPathFactory, meta_line: bytes, entry_lines: list[bytes], data: st.DataObject
) -> None:
    head = json_document(meta_line, entry_lines[:2], pretty=False)[:-2] + b","  # drop "]}"
    tail = data.draw(
        st.lists(
            st.one_of(
                st.binary(max_size=60), st.sampled_from([entry_lines[3].strip(), b",", b"]}", b"{", b"}"])
            ),
            max_size=8,
        )
    )
    path = tmp_path_factory.mktemp("hyp") / "random.json"
    path.write_bytes(head + b"".join(tail))
    try:
        check_reading(path, AodJsonReader())
    except CatalogueFormatError as exc:
        assert str(exc).startswith(str(path))
