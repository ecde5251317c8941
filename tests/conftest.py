"""Shared fixtures. The read-only data lives outside the repository, in ../shared/data; never copy it in."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest
import zstandard

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.models import CatalogueEntry

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SHARED_DATA = SHARED / "data"
CATALOGUE_JSONL_ZST = SHARED_DATA / "anime-offline-database.jsonl.zst"
DEATH_NOTE_EXAMPLE = SHARED_DATA / "examples" / "death-note.aod.json"
SLICE_ENTRIES = 200


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder (../shared from the repository root)."""
    assert SHARED_DATA.is_dir(), f"shared data missing at {SHARED_DATA}"
    return SHARED


@pytest.fixture(scope="session")
def catalogue_path(shared: Path) -> Path:
    return shared / "data" / "anime-offline-database.jsonl.zst"


@pytest.fixture(scope="session")
def catalogue_slice_lines(catalogue_path: Path) -> list[bytes]:
    """Line 1 (metadata) and the first SLICE_ENTRIES entry lines of the real catalogue, as raw bytes."""
    with catalogue_path.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        lines = list(itertools.islice(stream, SLICE_ENTRIES + 1))
    assert len(lines) == SLICE_ENTRIES + 1
    return lines


@pytest.fixture(scope="session")
def full_catalogue(catalogue_path: Path) -> tuple[CatalogueMetadata, list[CatalogueEntry]]:
    """The whole real catalogue read once per session (strict: any malformed line fails the session)."""
    result = AodJsonlReader().read(catalogue_path, strict=True)
    entries = list(result.entries)
    assert result.skipped == []
    return result.metadata, entries
