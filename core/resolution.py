"""Resolve a parsed reference to catalogue entries, and rank title matches deterministically."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from attrs import frozen

from anime_mcp.core.errors import UnknownAnime
from anime_mcp.core.models import AnimeType, CatalogueEntry
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, PlatformId, Platforms
from anime_mcp.core.references import IdReference, Reference, TitleReference, canonical_url


class EntryLookup(Protocol):
    """What resolution needs from a catalogue (the full port lives in ``anime_mcp.ports``)."""

    def by_platform_id(self, pid: PlatformId) -> CatalogueEntry | None: ...

    def by_title_key(self, key: str) -> Sequence[TitleMatch]: ...


@frozen
class TitleMatch:
    entry: CatalogueEntry
    is_main_title: bool  # False: the key matched a synonym


@frozen
class Resolution:
    entry: CatalogueEntry
    alternatives: tuple[CatalogueEntry, ...] = ()  # other entries the same title also names


_TYPE_RANK = {AnimeType.TV: 0, AnimeType.MOVIE: 1, AnimeType.ONA: 2, AnimeType.OVA: 3}


def title_match_rank(match: TitleMatch) -> tuple[int, int, int, int, str]:
    """Lower is better: main title over synonym, wider platform coverage, series over extras, older."""
    entry = match.entry
    return (
        0 if match.is_main_title else 1,
        -len(entry.sources),
        _TYPE_RANK.get(entry.type, 4),
        entry.year if entry.year is not None else 9999,
        entry.anime_id,
    )


def resolve(
    reference: Reference, catalogue: EntryLookup, platforms: Platforms = BUILTIN_PLATFORMS
) -> Resolution:
    """The catalogue entry a reference names; ``platforms`` only shapes the error message's page URL."""
    if isinstance(reference, IdReference):
        pid = reference.platform_id
        entry = catalogue.by_platform_id(pid)
        if entry is None:
            page = f" ({canonical_url(pid, platforms)})" if pid.platform in platforms else ""
            raise UnknownAnime(f"no catalogue entry has {pid}{page}")
        return Resolution(entry)
    assert isinstance(reference, TitleReference)
    matches = sorted(catalogue.by_title_key(reference.key), key=title_match_rank)
    if not matches:
        raise UnknownAnime(
            f"no catalogue entry is titled {reference.text!r}; "
            "try `anime-mcp search` or an id such as mal:1535"
        )
    return Resolution(matches[0].entry, tuple(m.entry for m in matches[1:]))
