"""Catalogue ports: reading release files (plugins) and the persistent store that answers lookups."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen

from anime_mcp.core.catalogue import CatalogueMetadata, CatalogueStats, SkippedLine
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.resolution import TitleMatch

# Called with (bytes of the file consumed so far, total bytes or None).
ByteProgress = Callable[[int, int | None], None]


@frozen
class ReadResult:
    """What a reader found besides the entries themselves (filled in as reading proceeds)."""

    metadata: CatalogueMetadata
    entries: Iterator[CatalogueEntry]
    skipped: list[SkippedLine]  # grows while ``entries`` is consumed


@runtime_checkable
class CatalogueReader(Protocol):
    """Reads one family of catalogue release files into domain entries, streaming."""

    name: str

    def can_read(self, path: Path) -> bool:
        """Cheap check (a few bytes) whether this reader understands the file."""
        ...

    def read(self, path: Path, *, strict: bool, progress: ByteProgress | None = None) -> ReadResult:
        """Validate the metadata at once; yield entries lazily.

        Malformed entries raise ``CatalogueFormatError`` naming file and line when ``strict``; otherwise
        they are skipped and appended to ``ReadResult.skipped``.
        """
        ...


class Catalogue(Protocol):
    """Read side of the catalogue: what lookups, search indexing and services use."""

    def by_platform_id(self, pid: PlatformId) -> CatalogueEntry | None: ...

    def by_anime_id(self, anime_id: str) -> CatalogueEntry | None: ...

    def by_title_key(self, key: str) -> Sequence[TitleMatch]: ...

    def entries(self) -> Iterator[CatalogueEntry]: ...

    def stats(self) -> CatalogueStats: ...


class CatalogueStore(Catalogue, Protocol):
    """A catalogue that can be rebuilt from a reader's output, atomically."""

    def replace(
        self, metadata: CatalogueMetadata, entries: Iterator[CatalogueEntry], *, source: str, skipped: Sized
    ) -> CatalogueStats:
        """Write a complete new catalogue; readers see the old one until the new one is complete.

        ``skipped`` is the reader's list of skipped lines, counted once ``entries`` is exhausted.
        """
        ...
