"""Enrichment store ports: the persistent store of what sources gave beyond the catalogue, the checkpoints of
batch runs, and the bulk sources (dumps) a plugin can read into it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen

from anime_mcp.core.enriched import BulkRecord, EnrichedAnime, StoredValue
from anime_mcp.ports.catalogue import ByteProgress

# (anime_id, the values a source or dump gave for it)
Filled = tuple[str, Sequence[StoredValue]]


@frozen
class BatchRun:
    """A batch run's plan: the anime it covers (in order), cut into batches of ``batch_size``."""

    key: str  # names the selection, so the same command resumes the same run
    anime_ids: tuple[str, ...]
    batch_size: int

    @property
    def batches(self) -> int:
        return -(-len(self.anime_ids) // self.batch_size)

    def batch(self, number: int) -> tuple[str, ...]:
        return self.anime_ids[number * self.batch_size : (number + 1) * self.batch_size]


@frozen
class BatchResult:
    """What one finished batch filled and what failed (counted per anime and per source)."""

    number: int
    filled: int  # values written
    anime_filled: int  # anime that got at least one value
    failures: tuple[tuple[str, str], ...] = ()  # (anime_id, "source: reason")


class EnrichmentStore(Protocol):
    """Per anime (the catalogue's ``anime_id``), every field each source gave, with provenance.

    Writes are atomic: a batch of values, and the checkpoint that says the batch is finished, commit
    together or not at all (a process killed mid-batch loses only that batch)."""

    def put(self, filled: Iterable[Filled]) -> int:
        """Store the values (replacing each one's earlier value from the same source and language);
        returns how many were written."""
        ...

    def get(self, anime_id: str) -> EnrichedAnime | None: ...

    def get_many(
        self, anime_ids: Iterable[str], fields: Sequence[str] | None = None
    ) -> dict[str, EnrichedAnime]:
        """anime id -> what is stored of each (only ``fields`` when given), in one read; anime with nothing
        stored (of those fields) are left out."""
        ...

    def having(self, field: str) -> set[str]:
        """The anime ids with a stored value of ``field``."""
        ...

    def synopses(self) -> Iterator[tuple[str, str]]:
        """(anime_id, the synopsis to index) for every anime with one (``EnrichedAnime.synopsis``)."""
        ...

    def terms(self) -> Iterator[tuple[str, list[str]]]:
        """(anime_id, genres and themes) for every anime with some."""
        ...

    def term_counts(self) -> tuple[dict[str, int], int]:
        """How many anime have each genre or theme (lower-cased), and how many anime have any: how rare a
        term is, for ranking similar anime."""
        ...

    def counts(self) -> dict[str, int]:
        """Anime per stored field (and ``anime``: anime with anything stored)."""
        ...

    def anime_ids(self) -> set[str]:
        """Every anime with anything stored."""
        ...

    def forget(self, anime_ids: Iterable[str]) -> int:
        """Drop everything stored of these anime (gone from the catalogue), in one transaction; returns
        how many values went."""
        ...

    # --- batch runs: checkpoints -----------------------------------------------------------------
    def open_run(self, run: BatchRun) -> BatchRun:
        """The unfinished run with ``run.key`` if there is one (its plan, as first stored), else ``run``,
        now stored."""
        ...

    def finished_batches(self, key: str) -> dict[int, BatchResult]: ...

    def finish_batch(self, key: str, result: BatchResult, filled: Iterable[Filled]) -> None:
        """Write a batch's values and mark it finished, in one transaction."""
        ...

    def close_run(self, key: str) -> None:
        """Mark the run finished: the same selection next time starts a new run."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class BulkSource(Protocol):
    """Reads one family of bulk dump files (``register_bulk_sources``) into ``BulkRecord`` objects."""

    name: str

    def can_read(self, path: Path) -> bool:
        """Cheap check (a few bytes) whether this reader understands the file."""
        ...

    def read(self, path: Path, *, progress: ByteProgress | None = None) -> Iterator[BulkRecord]:
        """The dump's records, streaming; malformed records are skipped (counted in ``skipped``)."""
        ...

    def skipped(self) -> int:
        """Records of the last ``read`` that could not be used."""
        ...
