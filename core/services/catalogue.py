"""Catalogue use cases: ingest a release (file or URL), check for a newer one, look an anime up."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import structlog
from attrs import frozen

from anime_mcp.core.catalogue import CatalogueLocation, CatalogueStats, ReleaseCheck, SkippedLine
from anime_mcp.core.errors import AnimeMcpError, CatalogueFormatError
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platforms
from anime_mcp.core.references import parse_reference
from anime_mcp.core.resolution import Resolution, resolve
from anime_mcp.ports.catalogue import (
    ByteProgress,
    Catalogue,
    CatalogueFetcher,
    CatalogueReader,
    CatalogueStore,
)


@frozen
class IngestReport:
    stats: CatalogueStats
    skipped: tuple[SkippedLine, ...]
    reader: str
    note: str = ""


def choose_reader(path: Path, readers: Sequence[CatalogueReader]) -> CatalogueReader:
    if not path.exists():
        raise CatalogueFormatError("no such file", path=str(path))
    for reader in readers:
        if reader.can_read(path):
            return reader
    names = ", ".join(r.name for r in readers) or "none: are the plugins disabled?"
    raise CatalogueFormatError(
        f"not a catalogue format this installation can read (readers: {names})", path=str(path)
    )


def ingest_file(
    path: Path,
    readers: Sequence[CatalogueReader],
    store: CatalogueStore,
    *,
    strict: bool = False,
    source: str | None = None,
    progress: ByteProgress | None = None,
    note: str = "",
) -> IngestReport:
    reader = choose_reader(path, readers)
    result = reader.read(path, strict=strict, progress=progress)
    log = structlog.get_logger("anime_mcp.catalogue")
    log.info("catalogue.ingest.started", path=str(path), reader=reader.name, strict=strict)
    stats = store.replace(result.metadata, result.entries, source=source or str(path), skipped=result.skipped)
    log.info(
        "catalogue.ingest.finished",
        entries=stats.entries,
        skipped=stats.skipped,
        last_update=stats.metadata.last_update.isoformat() if stats.metadata else None,
    )
    return IngestReport(stats, tuple(result.skipped), reader.name, note)


def ingest_catalogue(
    location: CatalogueLocation,
    fetcher: CatalogueFetcher,
    readers: Sequence[CatalogueReader],
    store: CatalogueStore,
    *,
    strict: bool = False,
    progress: ProgressFactory | None = None,
) -> IngestReport:
    """Fetch the release (download a URL, or take the file), read it and swap it into the store atomically."""
    fetched = fetcher.fetch(
        location, progress=progress("downloading") if progress and location.is_url else None
    )
    return ingest_file(
        Path(fetched.path),
        readers,
        store,
        strict=strict,
        source=location.value,
        progress=progress("ingesting") if progress else None,
        note=fetched.note,
    )


@frozen
class CatalogueCheck:
    release: ReleaseCheck
    current: dict[str, str | None]  # the ingested catalogue: source, ingested_at, release


async def check_catalogue(
    location: CatalogueLocation, fetcher: CatalogueFetcher, store: Catalogue
) -> CatalogueCheck:
    """Is the configured release newer than the catalogue in the store? (no download)"""
    try:
        stats: CatalogueStats | None = store.stats()
    except AnimeMcpError:  # nothing ingested yet
        stats = None
    current: dict[str, str | None] = {}
    if stats is not None:
        current = {
            "source": stats.source,
            "ingested_at": stats.ingested_at.isoformat() if stats.ingested_at else None,
            "release": stats.metadata.last_update.isoformat() if stats.metadata else None,
        }
    release = await fetcher.check(location, stats.ingested_at if stats else None)
    return CatalogueCheck(release, current)


def lookup(catalogue: Catalogue, reference: str, platforms: Platforms = BUILTIN_PLATFORMS) -> Resolution:
    """Any reference form (``mal:1535``, a URL, ``mal-1535``, a title) to its catalogue entry; ``platforms``
    adds the platforms plugins declare (``PluginHost.platforms()``)."""
    return resolve(parse_reference(reference, platforms), catalogue, platforms)


ProgressFactory = Callable[[str], ByteProgress]
