"""Import a bulk dump into the enrichment store: the first registered bulk source that can read the file
streams its records; each is matched to the catalogue entry that lists its platform page and written in
batches of one transaction each (an interrupted import keeps what was committed; importing again replaces
values with the same source and language, so it is safe to repeat)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from attrs import frozen

from anime_mcp.core.enriched import StoredValue
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.ports.catalogue import ByteProgress, Catalogue
from anime_mcp.ports.enrichment_store import BulkSource, EnrichmentStore

WRITE_BATCH = 2000  # records per transaction
UNMATCHED_EXAMPLES = 10


@frozen
class DumpReport:
    reader: str
    records: int  # usable records read
    matched: int  # records whose platform page is a catalogue entry's
    unmatched: int
    skipped: int  # records the reader could not use
    values: int  # values written
    anime: int  # distinct catalogue entries that received values
    fields: dict[str, int]  # field -> matched records that gave it
    seconds: float
    unmatched_examples: tuple[str, ...] = ()  # the first few unmatched platform pages (``mal:123``)


def choose_reader(path: Path, readers: Sequence[BulkSource]) -> BulkSource:
    if not path.is_file():
        raise CatalogueFormatError("no such file", path=str(path))
    for reader in readers:
        if reader.can_read(path):
            return reader
    names = ", ".join(r.name for r in readers) or "none installed"
    raise CatalogueFormatError(f"no bulk source reads this file (bulk sources: {names})", path=str(path))


def import_dump(
    path: Path,
    readers: Sequence[BulkSource],
    catalogue: Catalogue,
    store: EnrichmentStore,
    *,
    progress: ByteProgress | None = None,
    batch: int = WRITE_BATCH,
) -> DumpReport:
    """Read ``path`` with the first bulk source that can, and store what matches the catalogue."""
    started = time.perf_counter()
    reader = choose_reader(path, readers)
    pending: list[tuple[str, Sequence[StoredValue]]] = []
    records = matched = values = 0
    unmatched: list[str] = []
    anime: set[str] = set()
    fields: dict[str, int] = {}
    for record in reader.read(path, progress=progress):
        records += 1
        entry = catalogue.by_platform_id(record.platform_id)
        if entry is None:
            unmatched.append(str(record.platform_id))
            continue
        matched += 1
        anime.add(entry.anime_id)
        for name in {v.field for v in record.values}:
            fields[name] = fields.get(name, 0) + 1
        if record.values:
            pending.append((entry.anime_id, record.values))
        if len(pending) >= batch:
            values += store.put(pending)
            pending = []
    if pending:
        values += store.put(pending)
    return DumpReport(
        reader=reader.name,
        records=records,
        matched=matched,
        unmatched=len(unmatched),
        skipped=reader.skipped(),
        values=values,
        anime=len(anime),
        fields=dict(sorted(fields.items())),
        seconds=time.perf_counter() - started,
        unmatched_examples=tuple(unmatched[:UNMATCHED_EXAMPLES]),
    )
