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


@frozen
class CatalogueLocation:
    """Where a catalogue release comes from: a URL to download, or a local file."""

    value: str

    @property
    def is_url(self) -> bool:
        return self.value.startswith(("http://", "https://"))


@frozen
class FetchedCatalogue:
    """A local file holding the release, and what fetching it had to say (``"using the cached copy"``)."""

    path: str
    note: str = ""


@frozen
class ReleaseCheck:
    """Whether the release at a location differs from the one the store was built from."""

    location: str
    kind: str  # "file" or "url"
    newer: bool | None  # None: nothing to compare with
    details: dict[str, object]  # file: modified; url: etag, last_modified, size, downloaded
