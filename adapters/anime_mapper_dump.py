"""Reads anime-mapper JSONL dumps (one JSON object per line, keyed by ``idMal``; plain or zstd) into bulk
records for the enrichment store: the synopsis, genres, broadcast slot and each platform's score.

anime-mapper (github.com/subhajeetch-fl/anime-mapper) joins Jikan/MAL, AniList, Kitsu and others per MAL id.
Its synopsis is MAL's (English); its AniList and Kitsu scores are stored out of 10. A record that is not an
object, lacks a positive integer ``idMal`` or has a field of the wrong kind loses that field or, without an
id, the whole record (counted in ``skipped``): a dump of 27k records is not refused for one bad line.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from anime_mcp.adapters.compressed_files import open_catalogue_bytes
from anime_mcp.core.enriched import BROADCAST, GENRES, SCORE, SYNOPSIS, BulkRecord, StoredValue
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.references import canonical_url
from anime_mcp.ports.catalogue import ByteProgress

SOURCE = "anime-mapper"
# anime-mapper's score keys -> (platform, its scale in the dump)
_SCORES = {"malScore": ("mal", 10.0), "anilistScore": ("anilist", 10.0), "kitsuRating": ("kitsu", 10.0)}
_BROADCAST_KEYS = ("day", "time", "timezone", "string")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MAX_ID = 10**9


def _fetched_at(record: dict[str, Any], default: dt.datetime) -> dt.datetime:
    meta = record.get("meta")
    stamp = meta.get("lastFetched") if isinstance(meta, dict) else None
    if isinstance(stamp, str):
        try:
            moment = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return default
        return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return default


def _mal_id(record: dict[str, Any]) -> int | None:
    value = record.get("idMal")
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < _MAX_ID:
        return None
    return value


def record_values(record: dict[str, Any], default_time: dt.datetime = _EPOCH) -> BulkRecord | None:
    """One dump record as a ``BulkRecord`` (None: no usable MAL id)."""
    mal = _mal_id(record)
    if mal is None:
        return None
    pid = PlatformId(Platform.MAL, str(mal))
    at = _fetched_at(record, default_time)
    url = canonical_url(pid)

    def value(field: str, data: Any, *, source: str = SOURCE, language: str = "") -> StoredValue:
        return StoredValue(field, source, data, at, language=language, url=url, origin="dump")

    values: list[StoredValue] = []
    synopsis = record.get("synopsis")
    if isinstance(synopsis, str) and synopsis.strip():
        values.append(value(SYNOPSIS, synopsis.strip(), language="en"))  # MAL's English synopsis
    genres = record.get("genres")
    if isinstance(genres, list):
        kept = [g.strip() for g in genres if isinstance(g, str) and g.strip()]
        if kept:
            values.append(value(GENRES, list(dict.fromkeys(kept))))
    broadcast = record.get("broadcast")
    if isinstance(broadcast, dict):
        slot = {
            k: broadcast[k] for k in _BROADCAST_KEYS if isinstance(broadcast.get(k), str) and broadcast[k]
        }
        if slot:
            values.append(value(BROADCAST, slot))
    scores = record.get("score")
    if isinstance(scores, dict):
        for key, (platform, scale) in _SCORES.items():
            score = scores.get(key)
            if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
                continue
            if 0 < score <= scale:
                values.append(value(SCORE, {"value": score, "scale": scale, "votes": None}, source=platform))
    return BulkRecord(pid, tuple(values))


class AnimeMapperDump:
    """Implements the ``BulkSource`` port for anime-mapper JSONL dumps."""

    name = SOURCE

    def __init__(self) -> None:
        self._skipped = 0

    def can_read(self, path: Path) -> bool:
        """A JSON object with ``idMal`` on its first line (zstd or plain)."""
        try:
            with open_catalogue_bytes(path) as raw:
                first = raw.readline(1 << 20)
        except Exception:  # noqa: BLE001 - any unreadable file is simply not ours
            return False
        try:
            head = json.loads(first)
        except (ValueError, UnicodeDecodeError):
            return False
        return isinstance(head, dict) and "idMal" in head

    def read(self, path: Path, *, progress: ByteProgress | None = None) -> Iterator[BulkRecord]:
        self._skipped = 0
        with open_catalogue_bytes(path, progress) as raw:
            for line in io.TextIOWrapper(raw, encoding="utf-8", errors="replace"):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError:
                    self._skipped += 1
                    continue
                found = record_values(record) if isinstance(record, dict) else None
                if found is None:
                    self._skipped += 1
                    continue
                yield found

    def skipped(self) -> int:
        return self._skipped
