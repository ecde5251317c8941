"""Open plain or zstd-compressed files as one binary stream, with byte progress and truncation checks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

import zstandard

from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.ports.catalogue import ByteProgress

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BUFFER = 1 << 20


class _ProgressReader(io.RawIOBase):
    """Reports how many bytes of the file on disk have been consumed."""

    def __init__(self, raw: IO[bytes], total: int, progress: ByteProgress | None) -> None:
        self._raw = raw
        self._total = total
        self._progress = progress
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.consumed += n
        if self._progress is not None:
            self._progress(self.consumed, self._total)
        return int(n)


class _SizeCheckedReader(io.RawIOBase):
    """Fails at the end of a zstd stream whose decompressed size differs from the frame header's.

    zstandard's stream reader returns a clean end-of-file for a truncated frame, which would make a cut
    download look like a short catalogue.
    """

    def __init__(self, inner: IO[bytes], expected: int | None, path: Path) -> None:
        self._inner = inner
        self._expected = expected
        self._path = path
        self._seen = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            n = self._inner.readinto(buffer)  # type: ignore[attr-defined]
        except zstandard.ZstdError as exc:
            raise CatalogueFormatError(f"the zstd data is corrupt ({exc})", path=str(self._path)) from None
        if n == 0 and self._expected is not None and self._seen != self._expected:
            raise CatalogueFormatError(
                f"the file is truncated: {self._seen:,} of {self._expected:,} bytes decompressed; "
                "download it again",
                path=str(self._path),
            )
        self._seen += n
        return int(n)


def is_zstd(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(4) == ZSTD_MAGIC


@contextmanager
def open_catalogue_bytes(path: Path, progress: ByteProgress | None = None) -> Iterator[io.BufferedReader]:
    """Yield a buffered binary stream of the file's (decompressed) content."""
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise CatalogueFormatError(f"cannot open the file: {exc.strerror}", path=str(path)) from None
    with fh:
        total = path.stat().st_size
        head = fh.read(18)
        fh.seek(0)
        counted = _ProgressReader(fh, total, progress)
        if head.startswith(ZSTD_MAGIC):
            try:
                expected = zstandard.frame_content_size(head)
            except zstandard.ZstdError:
                raise CatalogueFormatError("the zstd header is corrupt", path=str(path)) from None
            reader = zstandard.ZstdDecompressor().stream_reader(cast(IO[bytes], counted), read_size=_BUFFER)
            checked = _SizeCheckedReader(reader, expected if expected >= 0 else None, path)
            yield io.BufferedReader(checked, buffer_size=_BUFFER)
        else:
            yield io.BufferedReader(counted, buffer_size=_BUFFER)
