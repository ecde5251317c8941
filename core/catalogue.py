"""Facts about a catalogue as a whole: its release metadata and what an ingest found."""

from __future__ import annotations

import datetime as dt

from attrs import field, frozen

from anime_mcp.core.platforms import Platform


@frozen
class CatalogueMetadata:
    """Line 1 of an anime-offline-database release."""

    last_update: dt.date
    schema_url: str = ""
    repository: str = ""
    license_name: str = ""
    score_min: float = 1.0
    score_max: float = 10.0


@frozen
class SkippedLine:
    line: int  # 1-based line in jsonl; 1-based entry number in the minified json
    reason: str


@frozen
class CatalogueStats:
    entries: int
    per_platform: dict[Platform, int] = field(factory=dict)
    metadata: CatalogueMetadata | None = None
    source: str = ""  # the file or URL the store was built from
    ingested_at: dt.datetime | None = None
    skipped: int = 0
