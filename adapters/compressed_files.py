"""Open plain or zstd-compressed files as one binary stream, with byte progress and truncation checks."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

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


class _ZstdFramesReader(io.RawIOBase):
    """Decompresses every zstd frame of a file in turn and fails if the input ends inside a frame.

    zstandard's stream reader returns a clean end-of-file for a cut frame, which would make a cut download
    look like a short catalogue. Completeness is judged per frame (the decoder reached the frame's end and
    its checksum, when present, matched), so files of several frames (pzstd, ``zstd --long`` pipelines) and
    streamed frames without a content size in their header are read and checked alike.
    """

    def __init__(self, raw: IO[bytes], path: Path) -> None:
        import zstandard

        self._raw = raw
        self._path = path
        self._decoder = zstandard.ZstdDecompressor().decompressobj()
        self._inside_frame = False
        self._pending = memoryview(b"")
        self._ended = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending and not self._ended:
            self._pending = memoryview(self._decode(self._raw.read(_BUFFER)))
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _decode(self, chunk: bytes) -> bytes:
        import zstandard

        if not chunk:
            if self._inside_frame:
                raise CatalogueFormatError(
                    "the file is truncated: it ends inside a zstd frame; download it again",
                    path=str(self._path),
                )
            self._ended = True
            return b""
        output = []
        while chunk:
            try:
                output.append(self._decoder.decompress(chunk))
            except zstandard.ZstdError as exc:
                raise CatalogueFormatError(
                    f"the zstd data is corrupt ({exc})", path=str(self._path)
                ) from None
            self._inside_frame = not self._decoder.eof
            chunk = b""
            if self._decoder.eof:  # a frame ended: whatever follows starts the next one
                chunk = self._decoder.unused_data
                self._decoder = zstandard.ZstdDecompressor().decompressobj()
        return b"".join(output)


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
            # imported here: the plugins that read dumps load at every start, and the start of
            # `anime-mcp mcp` (its first search within a second) reads none
            import zstandard

            try:
                zstandard.frame_content_size(head)  # a readable frame header, or a clear error now
            except zstandard.ZstdError:
                raise CatalogueFormatError("the zstd header is corrupt", path=str(path)) from None
            frames = _ZstdFramesReader(cast(IO[bytes], counted), path)
            yield io.BufferedReader(frames, buffer_size=_BUFFER)
        else:
            yield io.BufferedReader(counted, buffer_size=_BUFFER)
