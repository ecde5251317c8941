"""The persistent catalogue store: one SQLite file under ANIME_MCP_HOME, rebuilt atomically.

A new catalogue is written to a temporary file beside the store and renamed over it only when complete,
so a failed or interrupted ingest leaves the previous store serving and nothing half-written is trusted.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from collections import Counter
from collections.abc import Iterator, Sequence, Sized
from functools import lru_cache
from pathlib import Path
from typing import Any

from anime_mcp.adapters.aod_format import make_aod_converter, unstructure_entry
from anime_mcp.core.catalogue import CatalogueMetadata, CatalogueStats
from anime_mcp.core.errors import CatalogueError, CatalogueNotIngested
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import normalise_title
from anime_mcp.core.resolution import TitleMatch

FORMAT_VERSION = "1"
STORE_FILENAME = "catalogue.sqlite3"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE entries (row INTEGER PRIMARY KEY, anime_id TEXT NOT NULL UNIQUE, doc TEXT NOT NULL);
CREATE TABLE platform_ids (platform TEXT NOT NULL, id TEXT NOT NULL, row INTEGER NOT NULL,
                           PRIMARY KEY (platform, id)) WITHOUT ROWID;
CREATE TABLE titles (key TEXT NOT NULL, row INTEGER NOT NULL, main INTEGER NOT NULL,
                     PRIMARY KEY (key, row)) WITHOUT ROWID;
"""

# A synonym equal to the main title must not demote it.
_INSERT_TITLE = (
    "INSERT INTO titles VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET main = MAX(main, excluded.main)"
)

_converter = make_aod_converter()


def _metadata_to_json(metadata: CatalogueMetadata) -> str:
    return json.dumps(
        {
            "last_update": metadata.last_update.isoformat(),
            "schema_url": metadata.schema_url,
            "repository": metadata.repository,
            "license_name": metadata.license_name,
            "score_min": metadata.score_min,
            "score_max": metadata.score_max,
        }
    )


def _metadata_from_json(text: str) -> CatalogueMetadata:
    raw = json.loads(text)
    return CatalogueMetadata(**(raw | {"last_update": dt.date.fromisoformat(raw["last_update"])}))


class SqliteCatalogueStore:
    """Implements the ``CatalogueStore`` port."""

    def __init__(self, directory: Path, *, cache_size: int = 4096) -> None:
        self.directory = directory
        self.path = directory / STORE_FILENAME
        self._connection: sqlite3.Connection | None = None
        self._opened_inode: int | None = None
        self._load = lru_cache(maxsize=cache_size)(self._load_uncached)

    # --- reading ---------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.is_file()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            if not self.path.is_file():
                raise CatalogueNotIngested(
                    f"no catalogue at {self.path}; run `anime-mcp ingest` first "
                    "(or set ANIME_MCP_HOME to where you ingested it)"
                )
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            connection = sqlite3.connect(uri, uri=True, check_same_thread=False)
            try:
                meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.DatabaseError as exc:
                connection.close()
                raise CatalogueError(
                    f"the catalogue store {self.path} is unreadable ({exc}); run `anime-mcp ingest` again"
                ) from None
            if meta.get("format_version") != FORMAT_VERSION or meta.get("complete") != "1":
                connection.close()
                raise CatalogueError(
                    f"the catalogue store {self.path} is incomplete or from another "
                    "version; run `anime-mcp ingest` again"
                )
            self._connection = connection
            self._opened_inode = self.path.stat().st_ino
        return self._connection

    def refresh(self) -> bool:
        """Reopen when another process has replaced the store; True if it did."""
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = None
        if self._connection is not None and inode == self._opened_inode:
            return False
        self.close()
        return True

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._load.cache_clear()

    def _load_uncached(self, row: int) -> CatalogueEntry:
        found = self._db().execute("SELECT doc FROM entries WHERE row = ?", (row,)).fetchone()
        entry: CatalogueEntry = _converter.structure(json.loads(found[0]), CatalogueEntry)
        return entry

    def by_platform_id(self, pid: PlatformId) -> CatalogueEntry | None:
        found = (
            self._db()
            .execute(
                "SELECT row FROM platform_ids WHERE platform = ? AND id = ?", (pid.platform.value, pid.id)
            )
            .fetchone()
        )
        return self._load(found[0]) if found else None

    def by_anime_id(self, anime_id: str) -> CatalogueEntry | None:
        found = self._db().execute("SELECT row FROM entries WHERE anime_id = ?", (anime_id,)).fetchone()
        return self._load(found[0]) if found else None

    def by_title_key(self, key: str) -> Sequence[TitleMatch]:
        rows = self._db().execute("SELECT row, main FROM titles WHERE key = ?", (key,)).fetchall()
        return [TitleMatch(self._load(row), bool(main)) for row, main in rows]

    def entries(self) -> Iterator[CatalogueEntry]:
        for (doc,) in self._db().execute("SELECT doc FROM entries ORDER BY row"):
            yield _converter.structure(json.loads(doc), CatalogueEntry)

    def stats(self) -> CatalogueStats:
        meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        per_platform = {Platform(k): v for k, v in json.loads(meta["per_platform"]).items()}
        return CatalogueStats(
            entries=int(meta["entries"]),
            per_platform=per_platform,
            metadata=_metadata_from_json(meta["metadata"]),
            source=meta["source"],
            ingested_at=dt.datetime.fromisoformat(meta["ingested_at"]),
            skipped=int(meta["skipped"]),
        )

    # --- writing ---------------------------------------------------------------------------------
    def replace(
        self, metadata: CatalogueMetadata, entries: Iterator[CatalogueEntry], *, source: str, skipped: Sized
    ) -> CatalogueStats:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{STORE_FILENAME}.{os.getpid()}.partial"
        partial.unlink(missing_ok=True)
        _sweep_partials(self.directory)
        try:
            stats = self._write(partial, metadata, entries, source=source, skipped=skipped)
            os.replace(partial, self.path)
            _fsync_directory(self.directory)
        except (sqlite3.OperationalError, OSError) as exc:  # disk full, file too large, I/O error
            raise CatalogueError(
                f"could not write the catalogue store in {self.directory}: {exc} (is the disk full?); "
                "the previous catalogue is kept"
            ) from exc
        finally:
            partial.unlink(missing_ok=True)
        self.close()
        return stats

    def _write(
        self,
        path: Path,
        metadata: CatalogueMetadata,
        entries: Iterator[CatalogueEntry],
        *,
        source: str,
        skipped: Sized,
    ) -> CatalogueStats:
        db = sqlite3.connect(path)
        try:
            db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;" + _SCHEMA)
            per_platform: Counter[Platform] = Counter()
            count, duplicates = 0, 0
            for row, entry in enumerate(entries, start=1):
                try:
                    doc = json.dumps(unstructure_entry(entry), ensure_ascii=False)
                    db.execute("INSERT INTO entries VALUES (?, ?, ?)", (row, entry.anime_id, doc))
                except sqlite3.IntegrityError:
                    duplicates += 1  # a second entry under the same primary id: keep the first
                    continue
                count += 1
                per_platform.update({pid.platform for pid in entry.sources})
                db.executemany(
                    "INSERT OR IGNORE INTO platform_ids VALUES (?, ?, ?)",
                    [(pid.platform.value, pid.id, row) for pid in entry.sources],
                )
                db.executemany(_INSERT_TITLE, _title_rows(entry, row))
            if count == 0:
                raise CatalogueError(f"{source} holds no usable entries; the existing store is kept")
            stats = CatalogueStats(
                entries=count,
                per_platform=dict(per_platform),
                metadata=metadata,
                source=source,
                ingested_at=dt.datetime.now(dt.UTC),
                skipped=len(skipped) + duplicates,
            )
            db.executemany("INSERT INTO meta VALUES (?, ?)", _meta_rows(stats))
            db.commit()
        finally:
            db.close()
        with path.open("rb+") as fh:
            os.fsync(fh.fileno())
        return stats


def _title_rows(entry: CatalogueEntry, row: int) -> list[tuple[str, int, int]]:
    rows = [(normalise_title(entry.title), row, 1)]
    rows += [(normalise_title(s), row, 0) for s in entry.synonyms]
    return [r for r in rows if r[0]]


def _meta_rows(stats: CatalogueStats) -> list[tuple[str, Any]]:
    assert stats.metadata is not None and stats.ingested_at is not None
    return [
        ("format_version", FORMAT_VERSION),
        ("metadata", _metadata_to_json(stats.metadata)),
        ("source", stats.source),
        ("ingested_at", stats.ingested_at.isoformat()),
        ("entries", str(stats.entries)),
        ("skipped", str(stats.skipped)),
        ("per_platform", json.dumps({p.value: n for p, n in sorted(stats.per_platform.items())})),
        ("complete", "1"),
    ]


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sweep_partials(directory: Path) -> None:
    """Drop the partial stores of writers that died (kill -9, power loss): a whole catalogue each."""
    if os.name != "posix":  # os.kill(pid, 0) probes a process only on POSIX
        return
    for found in directory.glob(f".{STORE_FILENAME}.*.partial"):
        pid = found.name.removeprefix(f".{STORE_FILENAME}.").removesuffix(".partial")
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            found.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True
