"""Parsed records kept beside the response cache, so a repeat answered from the cache is not parsed again.

The response cache holds raw bodies (shared through Redis, one format for every source); parsing them again
on every repeat costs more than the rest of an answer (AniDB's 170 kB XML: about 10 ms). ``RecordMemo`` keeps
the record a fetch built, keyed by the anime and the fields asked, for as long as every answer it was built
from stays fresh in the cache: the same data the cache would give, without the parse. A record is kept only
when all its answers were cacheable, none stale and no request of the fetch failed (a record built despite a
failure lacks something). Bounded by entries, least recently used first out.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

import attrs
from attrs import frozen

from anime_mcp.core.sources import CacheInfo, SourceRecord

__all__ = ["RecordMemo"]


@frozen
class _Kept:
    kind: type[SourceRecord]
    # The record's init arguments as served, but ``cache``: ``fetched_at`` the time the oldest answer was
    # stored. A repeat builds its record (only the age differs) straight from them, without the field by
    # field look-ups of ``attrs.evolve``, which cost three times as much.
    arguments: dict[str, Any]
    stored_at: float  # when the oldest answer behind the record was stored (epoch seconds)
    fresh_until: float


def _kept(record: SourceRecord, stored_at: float, fresh_until: float) -> _Kept:
    kind = type(record)
    arguments = {a.alias: getattr(record, a.name) for a in attrs.fields(kind) if a.init and a.name != "cache"}
    arguments["fetched_at"] = dt.datetime.fromtimestamp(stored_at, tz=dt.UTC)
    return _Kept(kind, arguments, stored_at, fresh_until)


class RecordMemo:
    def __init__(self, max_entries: int = 1024) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, not {max_entries}")
        self.max_entries = max_entries
        self._kept: OrderedDict[Hashable, _Kept] = OrderedDict()
        self.hits = 0

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: Hashable, now: dt.datetime) -> SourceRecord | None:
        """The kept record as the cache would serve it now (``cache`` with its age), or None."""
        kept = self._kept.get(key)
        if kept is None:
            return None
        moment = now.timestamp()
        if moment >= kept.fresh_until:
            del self._kept[key]
            return None
        self._kept.move_to_end(key)
        self.hits += 1
        age = max(0.0, moment - kept.stored_at)
        return kept.kind(**kept.arguments, cache=CacheInfo(age_seconds=age))

    def put(self, key: Hashable, record: SourceRecord, *, stored_at: float, fresh_until: float) -> None:
        self._kept[key] = _kept(record, stored_at, fresh_until)
        self._kept.move_to_end(key)
        while len(self._kept) > self.max_entries:
            self._kept.popitem(last=False)
