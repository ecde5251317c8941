"""The enrichment store: one SQLite file beside the catalogue (``$ANIME_MCP_HOME/enrichment.sqlite3``).

Unlike the catalogue, which is replaced whole, this store grows in place: WAL journaling lets readers in
other processes (``serve``) read while a batch writes, and every write is one transaction (a batch's values
and its checkpoint together), so ``kill -9`` loses at most the batch in flight. A catalogue swap does not
touch it: rows are keyed by the catalogue's ``anime_id``, which stays stable while the anime's page exists;
``anime-mcp update`` drops (``forget``) the rows of anime a new release no longer has.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from anime_mcp.core.enriched import EnrichedAnime, StoredValue
from anime_mcp.core.errors import CatalogueError
from anime_mcp.ports.enrichment_store import BatchResult, BatchRun, Filled

ENRICHMENT_FILENAME = "enrichment.sqlite3"
FORMAT_VERSION = "1"
IN_CHUNK = 500  # ids per ``IN (...)`` query: under SQLite's bound-parameter limit on any build

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fields (
    anime_id TEXT NOT NULL, field TEXT NOT NULL, source TEXT NOT NULL, language TEXT NOT NULL,
    value TEXT NOT NULL, url TEXT, fetched_at TEXT NOT NULL, origin TEXT NOT NULL,
    PRIMARY KEY (anime_id, field, source, language)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fields_by_field ON fields (field, anime_id);
CREATE TABLE IF NOT EXISTS runs (
    key TEXT PRIMARY KEY, anime_ids TEXT NOT NULL, batch_size INTEGER NOT NULL,
    started_at TEXT NOT NULL, finished_at TEXT);
CREATE TABLE IF NOT EXISTS batches (
    run TEXT NOT NULL, number INTEGER NOT NULL, filled INTEGER NOT NULL, anime_filled INTEGER NOT NULL,
    failures TEXT NOT NULL, finished_at TEXT NOT NULL, PRIMARY KEY (run, number)) WITHOUT ROWID;
"""

_UPSERT = """
INSERT INTO fields VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (anime_id, field, source, language) DO UPDATE SET
    value = excluded.value, url = excluded.url, fetched_at = excluded.fetched_at, origin = excluded.origin
WHERE excluded.fetched_at > fields.fetched_at
   OR (excluded.fetched_at = fields.fetched_at AND excluded.value IS NOT fields.value)
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


def _row(anime_id: str, value: StoredValue) -> tuple[object, ...]:
    return (
        anime_id,
        value.field,
        value.source,
        value.language,
        json.dumps(value.value, ensure_ascii=False),
        value.url,
        value.fetched_at.astimezone(dt.UTC).isoformat(),
        value.origin,
    )


def _value(row: tuple[str, str, str, str, str | None, str, str]) -> StoredValue:
    field, source, language, data, url, fetched_at, origin = row
    return StoredValue(
        field, source, json.loads(data), dt.datetime.fromisoformat(fetched_at), language, url, origin
    )


class SqliteEnrichmentStore:
    """Implements the ``EnrichmentStore`` port. One connection per thread (SQLite connections are not
    shared across threads safely while writing); the file is created on first use."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / ENRICHMENT_FILENAME
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []

    def _db(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            try:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute("PRAGMA synchronous = NORMAL")  # WAL: durable at checkpoints, never torn
                connection.executescript(_SCHEMA)
                version = connection.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
                if version is None:
                    connection.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('format_version', ?)", (FORMAT_VERSION,)
                    )
                elif version[0] != FORMAT_VERSION:
                    raise CatalogueError(
                        f"the enrichment store {self.path} is from another version ({version[0]}); move it "
                        "away and run `anime-mcp enrich` again"
                    )
            except sqlite3.DatabaseError as exc:
                connection.close()
                raise CatalogueError(f"the enrichment store {self.path} is unreadable ({exc})") from None
            self._local.connection = connection
            with self._lock:
                self._connections.append(connection)
        return connection

    def _write(self, rows: Iterable[tuple[object, ...]], extra: tuple[str, tuple[object, ...]] | None) -> int:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            before = db.total_changes
            db.executemany(_UPSERT, rows)
            written = db.total_changes - before
            if extra is not None:
                db.execute(*extra)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return written

    # --- values ----------------------------------------------------------------------------------
    def put(self, filled: Iterable[Filled]) -> int:
        return self._write((_row(a, v) for a, values in filled for v in values), None)

    def get(self, anime_id: str) -> EnrichedAnime | None:
        rows = (
            self._db()
            .execute(
                "SELECT field, source, language, value, url, fetched_at, origin FROM fields "
                "WHERE anime_id = ?",
                (anime_id,),
            )
            .fetchall()
        )
        return EnrichedAnime(anime_id, tuple(_value(r) for r in rows)) if rows else None

    def get_many(
        self, anime_ids: Iterable[str], fields: Sequence[str] | None = None
    ) -> dict[str, EnrichedAnime]:
        ids = sorted(set(anime_ids))
        values: dict[str, list[StoredValue]] = {}
        wanted = tuple(fields or ())
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            query = (
                "SELECT anime_id, field, source, language, value, url, fetched_at, origin FROM fields "
                f"WHERE anime_id IN ({', '.join('?' * len(chunk))})"
            )
            if wanted:
                query += f" AND field IN ({', '.join('?' * len(wanted))})"
            for anime_id, *rest in self._db().execute(query, (*chunk, *wanted)):
                values.setdefault(anime_id, []).append(_value(tuple(rest)))
        return {anime_id: EnrichedAnime(anime_id, tuple(found)) for anime_id, found in values.items()}

    def having(self, field: str) -> set[str]:
        rows = self._db().execute("SELECT DISTINCT anime_id FROM fields WHERE field = ?", (field,))
        return {anime_id for (anime_id,) in rows}

    def _grouped(self, fields: tuple[str, ...]) -> Iterator[EnrichedAnime]:
        marks = ", ".join("?" for _ in fields)
        rows = self._db().execute(
            "SELECT anime_id, field, source, language, value, url, fetched_at, origin FROM fields "
            f"WHERE field IN ({marks}) ORDER BY anime_id",
            fields,
        )
        current: str | None = None
        values: list[StoredValue] = []
        for anime_id, *rest in rows:
            if anime_id != current and current is not None:
                yield EnrichedAnime(current, tuple(values))
                values = []
            current = anime_id
            values.append(_value(tuple(rest)))
        if current is not None:
            yield EnrichedAnime(current, tuple(values))

    def synopses(self) -> Iterator[tuple[str, str]]:
        for anime in self._grouped(("synopsis",)):
            text = anime.synopsis()
            if text:
                yield anime.anime_id, text

    def terms(self) -> Iterator[tuple[str, list[str]]]:
        for anime in self._grouped(("genres", "themes")):
            found = anime.terms()
            if found:
                yield anime.anime_id, found

    def term_counts(self) -> tuple[dict[str, int], int]:
        db = self._db()
        rows = db.execute(
            "SELECT lower(trim(j.value)), COUNT(DISTINCT f.anime_id) FROM fields f, json_each(f.value) j "
            "WHERE f.field IN ('genres', 'themes') AND json_valid(f.value) AND json_type(f.value) = 'array' "
            "AND j.type = 'text' GROUP BY 1"
        )
        counts = {term: count for term, count in rows if term}
        total = db.execute(
            "SELECT COUNT(DISTINCT anime_id) FROM fields WHERE field IN ('genres', 'themes')"
        ).fetchone()[0]
        return counts, int(total)

    def counts(self) -> dict[str, int]:
        db = self._db()
        counts = dict(
            db.execute("SELECT field, COUNT(DISTINCT anime_id) FROM fields GROUP BY field").fetchall()
        )
        counts["anime"] = db.execute("SELECT COUNT(DISTINCT anime_id) FROM fields").fetchone()[0]
        return counts

    def anime_ids(self) -> set[str]:
        return {anime_id for (anime_id,) in self._db().execute("SELECT DISTINCT anime_id FROM fields")}

    def forget(self, anime_ids: Iterable[str]) -> int:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            before = db.total_changes
            db.executemany("DELETE FROM fields WHERE anime_id = ?", ((a,) for a in anime_ids))
            dropped = db.total_changes - before
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return dropped

    # --- batch runs ------------------------------------------------------------------------------
    def open_run(self, run: BatchRun) -> BatchRun:
        db = self._db()
        found = db.execute(
            "SELECT anime_ids, batch_size FROM runs WHERE key = ? AND finished_at IS NULL", (run.key,)
        ).fetchone()
        if found is not None:
            return BatchRun(run.key, tuple(json.loads(found[0])), int(found[1]))
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM batches WHERE run = ?", (run.key,))  # a finished run's, now started over
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, NULL)",
                (run.key, json.dumps(run.anime_ids), run.batch_size, _now()),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return run

    def finished_batches(self, key: str) -> dict[int, BatchResult]:
        rows = self._db().execute(
            "SELECT number, filled, anime_filled, failures FROM batches WHERE run = ?", (key,)
        )
        return {
            number: BatchResult(number, filled, anime, tuple(tuple(f) for f in json.loads(failures)))
            for number, filled, anime, failures in rows
        }

    def finish_batch(self, key: str, result: BatchResult, filled: Iterable[Filled]) -> None:
        mark = (
            "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                result.number,
                result.filled,
                result.anime_filled,
                json.dumps([list(f) for f in result.failures]),
                _now(),
            ),
        )
        self._write((_row(a, v) for a, values in filled for v in values), mark)

    def close_run(self, key: str) -> None:
        self._db().execute("UPDATE runs SET finished_at = ? WHERE key = ?", (_now(), key))

    def close(self) -> None:
        with self._lock:
            for connection in self._connections:
                connection.close()
            self._connections.clear()
        self._local = threading.local()
