"""What the enrichment store keeps of an anime: every field a source gave, with where and when it came from.

The store sits beside the catalogue and outlives any response cache: what one user's question fetched (or a
bulk dump imported), every later search can use. One ``StoredValue`` is one field as one source gave it
(a synopsis also per language); values are plain JSON data (str, numbers, lists, dicts), so the store needs
no knowledge of the domain types behind them. ``values_from_record`` turns a live source's record into
them; bulk dump readers build them directly.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

import attrs
from attrs import frozen

from anime_mcp.core.languages import UNDETERMINED
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import SourceRecord

# The fields the store keeps (a subset of what sources give: those that answer questions about the story,
# the cast, when and where it airs, and how it is rated).
SYNOPSIS = "synopsis"
GENRES = "genres"
THEMES = "themes"
CHARACTERS = "characters"
STAFF = "staff"
BROADCAST = "broadcast"
STREAMING = "streaming"
SCORE = "score"
RECOMMENDATIONS = "recommendations"  # [{"platform_id": "anilist:205", "votes": 1140, "title": ...}, ...]
STORED_FIELDS = frozenset(
    {SYNOPSIS, GENRES, THEMES, CHARACTERS, STAFF, BROADCAST, STREAMING, SCORE, RECOMMENDATIONS}
)
# Which synopsis to show and index: English first, then one of unstated language, then any.
SYNOPSIS_LANGUAGES = ("en", UNDETERMINED)


@frozen
class StoredValue:
    """One field as one source gave it. ``language``: the BCP 47 tag of a synopsis, ``""`` for fields that
    are not per language. ``origin``: ``live`` (a platform's answer) or ``dump`` (a bulk import)."""

    field: str
    source: str
    value: Any
    fetched_at: dt.datetime
    language: str = ""
    url: str | None = None
    origin: str = "live"

    def __attrs_post_init__(self) -> None:
        if self.field not in STORED_FIELDS:
            raise ValueError(f"the enrichment store does not keep {self.field!r}")


@frozen
class EnrichedAnime:
    """Everything stored about one catalogue entry (``anime_id``)."""

    anime_id: str
    values: tuple[StoredValue, ...]

    def of(self, field: str) -> list[StoredValue]:
        """The values of one field, newest first (ties by source id)."""
        found = [v for v in self.values if v.field == field]
        return sorted(found, key=lambda v: (-v.fetched_at.timestamp(), v.source, v.language))

    def synopsis(self) -> str | None:
        """The synopsis to index and show: English, then unstated, then any language; newest first."""
        candidates = [v for v in self.of(SYNOPSIS) if isinstance(v.value, str) and v.value.strip()]
        for language in SYNOPSIS_LANGUAGES:
            for value in candidates:
                if value.language == language:
                    return str(value.value)
        return str(candidates[0].value) if candidates else None

    def terms(self) -> list[str]:
        """Genres and themes of every source, once each (case-insensitive), in the order first given."""
        seen: set[str] = set()
        kept: list[str] = []
        for value in self.of(GENRES) + self.of(THEMES):
            for term in value.value if isinstance(value.value, list) else []:
                key = str(term).casefold()
                if key and key not in seen:
                    seen.add(key)
                    kept.append(str(term))
        return kept

    def recommended(self) -> list[tuple[str, str, int]]:
        """(source, platform reference such as ``anilist:205``, votes) of every stored recommendation."""
        found: list[tuple[str, str, int]] = []
        for value in self.of(RECOMMENDATIONS):
            for item in value.value if isinstance(value.value, list) else []:
                if not isinstance(item, dict):
                    continue
                reference, votes = item.get("platform_id"), item.get("votes")
                if isinstance(reference, str) and isinstance(votes, int) and not isinstance(votes, bool):
                    found.append((value.source, reference, votes))
        return found


@frozen
class BulkRecord:
    """One record of a bulk dump: the anime it describes (a platform page) and what it says."""

    platform_id: PlatformId
    values: tuple[StoredValue, ...]


def plain(value: Any) -> Any:
    """Domain data as plain JSON data: attrs classes as dicts, enums as their values, dates as ISO text."""
    if attrs.has(type(value)):
        return {a.name: plain(getattr(value, a.name)) for a in attrs.fields(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def values_from_record(record: SourceRecord, source: str) -> list[StoredValue]:
    """What a live source's record gives the store (only the fields it really filled)."""
    given = record.fields
    at, url = record.fetched_at, record.url

    def value(field: str, data: Any, language: str = "") -> StoredValue:
        return StoredValue(field, source, data, at, language=language, url=url)

    values: list[StoredValue] = []
    if "synopsis" in given or record.synopses:
        texts = {t.language: t.text for t in record.synopses if t.text.strip()}
        if not texts and record.synopsis and record.synopsis.strip():
            texts[UNDETERMINED] = record.synopsis
        values += [value(SYNOPSIS, text, language) for language, text in sorted(texts.items())]
    if record.genres:
        values.append(value(GENRES, list(record.genres)))
    if record.tags:
        values.append(value(THEMES, list(record.tags)))
    for field, items in (
        (CHARACTERS, record.characters),
        (STAFF, record.staff),
        (STREAMING, record.streaming),
    ):
        if items:
            values.append(value(field, plain(items)))
    if record.score is not None:
        values.append(value(SCORE, plain(record.score)))
    if record.recommendations:
        values.append(
            value(
                RECOMMENDATIONS,
                [
                    {"platform_id": str(r.platform_id), "votes": r.votes, "title": r.title}
                    for r in record.recommendations
                ],
            )
        )
    return values


def synopsis_of(values: Iterable[StoredValue]) -> str | None:
    """The synopsis a set of values gives (``EnrichedAnime.synopsis`` without an anime id)."""
    return EnrichedAnime("", tuple(values)).synopsis()
