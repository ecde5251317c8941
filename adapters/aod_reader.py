"""Streaming readers for the anime-offline-database releases: ``.jsonl`` and the (minified) ``.json``.

Both read plain or zstd files, never hold the whole file in memory, validate the metadata at once and
either stop at a malformed entry (strict) or skip it and record why.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import attrs

from anime_mcp.adapters.aod_format import make_aod_converter, structure_metadata
from anime_mcp.adapters.compressed_files import open_catalogue_bytes
from anime_mcp.adapters.strict_converter import describe_error
from anime_mcp.core.catalogue import CatalogueMetadata, SkippedLine
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.ports.catalogue import ByteProgress, ReadResult

_SNIFF_BYTES = 1 << 16
MAX_ENTRY_BYTES = 4 << 20  # one anime entry is a few kB; anything this large is not an entry

_converter = make_aod_converter()


def _entry_or_reason(obj: Any) -> CatalogueEntry | str:
    try:
        entry: CatalogueEntry = _converter.structure(obj, CatalogueEntry)
    except Exception as exc:  # noqa: BLE001 - every structuring failure becomes a reported reason
        return describe_error(exc)
    return entry


def _sniff_first_line(path: Path) -> Any:
    """The first line parsed as JSON, or None when it is not one complete JSON value."""
    try:
        with open_catalogue_bytes(path) as stream:
            line = stream.readline(_SNIFF_BYTES)
    except CatalogueFormatError:
        return None
    try:
        return json.loads(line)
    except (ValueError, RecursionError):
        return None


def _json_error(exc: Exception) -> str:
    """Why ``json`` refused a value; deep nesting makes the C decoder raise RecursionError."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)


class _Skips:
    def __init__(self, path: Path, strict: bool) -> None:
        self.path = path
        self.strict = strict
        self.lines: list[SkippedLine] = []

    def record(self, where: int, reason: str) -> None:
        if self.strict:
            raise CatalogueFormatError(
                f"{reason} (use the default, non-strict mode to skip it)", path=str(self.path), line=where
            )
        self.lines.append(SkippedLine(where, reason))


class AodJsonlReader:
    """``anime-offline-database.jsonl[.zst]``: line 1 metadata, then one entry per line."""

    name = "aod-jsonl"

    def can_read(self, path: Path) -> bool:
        first = _sniff_first_line(path)
        return isinstance(first, dict) and "data" not in first

    def read(self, path: Path, *, strict: bool, progress: ByteProgress | None = None) -> ReadResult:
        stack = ExitStack()
        stream = stack.enter_context(open_catalogue_bytes(path, progress))
        try:
            metadata = self._metadata(path, stream.readline(_SNIFF_BYTES))
        except BaseException:
            stack.close()
            raise
        skips = _Skips(path, strict)
        return ReadResult(metadata, self._entries(stream, skips, stack), skips.lines)

    @staticmethod
    def _metadata(path: Path, line: bytes) -> CatalogueMetadata:
        try:
            return structure_metadata(json.loads(line))
        except (ValueError, RecursionError) as exc:
            raise CatalogueFormatError(
                f"not an anime-offline-database jsonl file: {_json_error(exc)}", path=str(path), line=1
            ) from None

    @staticmethod
    def _entries(stream: io.BufferedReader, skips: _Skips, stack: ExitStack) -> Iterator[CatalogueEntry]:
        with stack:
            for number, line in enumerate(stream, start=2):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except (ValueError, RecursionError) as exc:
                    skips.record(number, f"not valid JSON ({_json_error(exc)})")
                    continue
                result = _entry_or_reason(obj)
                if isinstance(result, str):
                    skips.record(number, result)
                else:
                    yield result


@attrs.define
class _Cursor:
    buffer: str
    position: int


_DATA_KEY = re.compile(r'"data"\s*:\s*\[')
_NEXT_ENTRY = re.compile(r'\{\s*"sources"\s*:')


class AodJsonReader:
    """``anime-offline-database[-minified].json[.zst]``: one object with the metadata and a ``data`` array.

    The array is decoded one entry at a time with ``raw_decode`` over a sliding buffer.
    """

    name = "aod-json"

    def can_read(self, path: Path) -> bool:
        try:
            with open_catalogue_bytes(path) as stream:
                head = stream.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
        except CatalogueFormatError:
            return False
        return head.lstrip().startswith("{") and bool(_DATA_KEY.search(head) or "\n" not in head.strip())

    def read(self, path: Path, *, strict: bool, progress: ByteProgress | None = None) -> ReadResult:
        stack = ExitStack()
        stream = stack.enter_context(open_catalogue_bytes(path, progress))
        try:
            chunks = _text_chunks(stream, path)
            buffer, position, metadata = self._header(path, chunks)
        except BaseException:
            stack.close()
            raise
        skips = _Skips(path, strict)
        entries = self._entries(path, chunks, _Cursor(buffer, position), skips, stack)
        return ReadResult(metadata, entries, skips.lines)

    @staticmethod
    def _header(path: Path, chunks: Iterator[str]) -> tuple[str, int, CatalogueMetadata]:
        buffer = ""
        for chunk in chunks:
            buffer += chunk
            match = _DATA_KEY.search(buffer)
            if match:
                head = buffer[: match.start()].rstrip().rstrip(",") + "}"
                try:
                    return buffer, match.end(), structure_metadata(json.loads(head))
                except (ValueError, RecursionError) as exc:
                    raise CatalogueFormatError(
                        f"not an anime-offline-database json file: {_json_error(exc)}", path=str(path)
                    ) from None
            if len(buffer) > _SNIFF_BYTES:
                break
        raise CatalogueFormatError('not an anime-offline-database json file: no "data" array', path=str(path))

    @staticmethod
    def _entries(
        path: Path, chunks: Iterator[str], cursor: _Cursor, skips: _Skips, stack: ExitStack
    ) -> Iterator[CatalogueEntry]:
        buffer, position = cursor.buffer, cursor.position
        decoder = json.JSONDecoder()
        number = 0
        exhausted = False

        def refill() -> bool:
            nonlocal buffer, position, exhausted
            chunk = next(chunks, None)
            if chunk is None:
                exhausted = True
                return False
            buffer = buffer[position:] + chunk
            position = 0
            return True

        with stack:
            while True:
                while position < len(buffer) and buffer[position] in " \t\r\n,":
                    position += 1
                if position >= len(buffer):
                    if refill():
                        continue
                    raise CatalogueFormatError(
                        'the file ends inside the "data" array (truncated?)', path=str(path)
                    )
                if buffer[position] == "]":
                    return
                number += 1
                try:
                    obj, end = decoder.raw_decode(buffer, position)
                except (ValueError, RecursionError) as exc:
                    if not exhausted and len(buffer) - position < MAX_ENTRY_BYTES and refill():
                        number -= 1
                        continue
                    reason = f"not valid JSON ({_json_error(exc)})"
                    resync = _NEXT_ENTRY.search(buffer, position + 1)
                    while resync is None and refill():
                        resync = _NEXT_ENTRY.search(buffer, position + 1)
                    if resync is None:  # fatal in both modes: nothing after it can be read
                        raise CatalogueFormatError(
                            f"entry {number} is {reason} and no entry follows it: "
                            "the file is truncated or corrupt",
                            path=str(path),
                        ) from None
                    skips.record(number, reason)
                    position = resync.start()
                    continue
                position = end
                result = _entry_or_reason(obj)
                if isinstance(result, str):
                    skips.record(number, result)
                else:
                    yield result


def _text_chunks(stream: io.BufferedReader, path: Path, size: int = 1 << 20) -> Iterator[str]:
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        block = stream.read(size)
        try:
            text = decoder.decode(block, final=not block)
        except UnicodeDecodeError as exc:
            raise CatalogueFormatError(
                f"the file is not valid UTF-8 ({exc.reason})", path=str(path)
            ) from None
        if text:
            yield text
        if not block:
            return


READERS: tuple[Callable[[], Any], ...] = (AodJsonlReader, AodJsonReader)
