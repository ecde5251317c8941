"""What the planner needs to know about the catalogue and the world (the port: ``anime_mcp.ports.planning``).

The planner itself holds only language: which words mean a genre, a season, a platform. Which titles, tags
and studios exist comes from a ``PlannerVocabulary`` built from the catalogue by an adapter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Protocol

from attrs import frozen

from anime_mcp.core.platforms import PlatformId


@frozen
class TitleCandidate:
    """One catalogue entry a title key names."""

    anime_id: str
    title: str  # the entry's main title
    year: int | None = None
    main_title: bool = True  # False: the key is a synonym (or the head of one, before a colon)


@frozen
class TitleHit:
    """A place in a text where a catalogue title or synonym is written (character offsets, end exclusive)."""

    start: int
    end: int
    candidates: tuple[TitleCandidate, ...]  # best first; never empty


class PlannerVocabulary(Protocol):
    def spot_titles(self, text: str) -> Sequence[TitleHit]:
        """Every run of whole words in ``text`` whose key is a title or synonym key, overlaps included."""
        ...

    def title_for(self, reference: PlatformId) -> TitleCandidate | None:
        """The entry a platform id names, or None when the catalogue has none."""
        ...

    def tag(self, key: str) -> str | None:
        """The catalogue tag a phrase key (``"slice of life"``, ``"scifi"``) names, or None."""
        ...

    def studio(self, key: str) -> str | None:
        """The catalogue studio a phrase key (``"kyoto animation"``, ``"mappa"``) names, or None."""
        ...

    def timezone(self, name: str) -> dt.tzinfo | None:
        """The IANA zone ``name`` (the tz database is data outside the domain), or None when unknown."""
        ...
