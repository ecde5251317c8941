"""Catalogue ports: reading release files (plugins) and the persistent store that answers lookups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence, Sized
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen

from anime_mcp.core.catalogue import (
    CatalogueLocation,
    CatalogueMetadata,
    CatalogueStats,
    FetchedCatalogue,
    ReleaseCheck,
    SkippedLine,
)
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


class CatalogueFetcher(Protocol):
    """Turns a catalogue location into a local file (downloading a URL, with caching) and checks releases."""

    def fetch(self, location: CatalogueLocation, *, progress: ByteProgress | None = None) -> FetchedCatalogue:
        """The release as a local file; a missing file or an unreachable URL is a ``CatalogueFormatError``
        or ``CatalogueDownloadError`` saying what to do."""
        ...

    async def check(self, location: CatalogueLocation, ingested_at: dt.datetime | None) -> ReleaseCheck:
        """Whether the release differs from what was ingested (a HEAD request for URLs, no download)."""
        ...
