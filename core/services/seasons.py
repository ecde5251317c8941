"""Seasonal use case: a season's anime from the catalogue at once, enriched live for the seasons that still
change (the current and the next one).

Offline: ``SeasonCatalogue`` keeps one ``core.seasons.SeasonIndex`` per catalogue (built from
``Catalogue.entries`` the first time a season is asked, or at warm-up; a new catalogue snapshot builds a new
one), so a season answers in about a millisecond plus reading the entries shown.

Live: every source that declares ``Capability.SEASON`` and implements ``SeasonLister`` is asked for the
season at once, under one deadline. Its candidates join the catalogue's entries by platform id (each
platform's own score and status, with provenance); anime the catalogue does not know yet (announced after
its release) are listed apart. Past seasons ask no source: the catalogue is complete for them.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Mapping

import anyio
import structlog
from attrs import frozen

from anime_mcp.core.degradation import (
    NO_CREDENTIALS,
    Level,
    SourceOutcome,
    contributed,
    degradation_level,
    outcome_for_error,
    skipped,
    timed_out,
)
from anime_mcp.core.errors import SourceError
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.models import CatalogueEntry, Season
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.seasons import SeasonIndex, SeasonSort
from anime_mcp.core.sources import SearchCandidate
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.source import Capability, SeasonLister, Source

DEFAULT_DEADLINE = 3.0
LIVE_LIMIT = 200  # candidates asked of each source: a season has 50-150 TV anime, more with shorts and ONAs
log = structlog.get_logger("anime_mcp.seasons")


class SeasonCatalogue:
    """The season index of the current catalogue, built once per catalogue object (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._built: tuple[Catalogue, SeasonIndex] | None = None

    def index(self, catalogue: Catalogue) -> SeasonIndex:
        with self._lock:
            if self._built is None or self._built[0] is not catalogue:
                self._built = (catalogue, SeasonIndex(catalogue.entries()))
            return self._built[1]

    def season(
        self,
        catalogue: Catalogue,
        year: int,
        season: Season,
        filters: SearchFilters | None = None,
        *,
        sort: SeasonSort = SeasonSort.SCORE,
        limit: int | None = None,
    ) -> tuple[list[CatalogueEntry], int]:
        """The season's entries that pass ``filters``, best first, at most ``limit``; and how many passed.
        Synchronous (catalogue reads): run it in a worker thread."""
        found = self.index(catalogue).season(year, season, filters, sort=sort)
        shown = found if limit is None else found[:limit]
        entries = [e for f in shown if (e := catalogue.by_anime_id(f.anime_id)) is not None]
        return entries, len(found)


@frozen
class LiveSeason:
    """What the season-listing sources said: candidates per source, and one outcome per source."""

    candidates: Mapping[str, tuple[SearchCandidate, ...]]
    outcomes: tuple[SourceOutcome, ...]
    fetched_at: Mapping[str, dt.datetime]

    @property
    def level(self) -> Level:
        return degradation_level(self.outcomes)

    def by_platform_id(self) -> dict[PlatformId, list[tuple[str, SearchCandidate]]]:
        found: dict[PlatformId, list[tuple[str, SearchCandidate]]] = {}
        for source, candidates in self.candidates.items():
            for candidate in candidates:
                found.setdefault(candidate.platform_id, []).append((source, candidate))
        return found


def season_sources(sources: Mapping[str, Source]) -> dict[str, Source]:
    return {
        sid: s
        for sid, s in sorted(sources.items())
        if s.info.supports(Capability.SEASON) and isinstance(s, SeasonLister)
    }


async def live_season(
    sources: Mapping[str, Source],
    year: int,
    season: Season,
    *,
    now: Callable[[], dt.datetime],
    deadline: float = DEFAULT_DEADLINE,
    ready: Callable[[Source], bool] | None = None,
    limit: int = LIVE_LIMIT,
) -> LiveSeason:
    """Every season-listing source asked for the season at once, under one deadline."""
    outcomes: dict[str, SourceOutcome] = {}
    candidates: dict[str, tuple[SearchCandidate, ...]] = {}
    fetched: dict[str, dt.datetime] = {}
    until = anyio.current_time() + deadline

    async def ask(sid: str, lister: SeasonLister) -> None:
        with anyio.CancelScope(deadline=until) as scope:
            try:
                found = await lister.season(year, season, limit=limit)
            except SourceError as error:
                outcomes[sid] = outcome_for_error(sid, error)
                return
            except Exception as error:  # a plugin broke its promise of typed errors: one source lost
                log.exception("seasons.source_crashed", source=sid)
                outcomes[sid] = SourceOutcome(sid, "failed", f"failed ({type(error).__name__})")
                return
            candidates[sid] = tuple(found)
            fetched[sid] = now()
            outcomes[sid] = contributed(sid)
        if scope.cancelled_caught and sid not in outcomes:
            outcomes[sid] = timed_out(sid, deadline)

    async with anyio.create_task_group() as group:
        for sid, source in season_sources(sources).items():
            if ready is not None and not ready(source):
                outcomes[sid] = skipped(sid, NO_CREDENTIALS)
                continue
            assert isinstance(source, SeasonLister)
            group.start_soon(ask, sid, source)
    return LiveSeason(
        {s: candidates[s] for s in sorted(candidates)},
        tuple(outcomes[s] for s in sorted(outcomes)),
        fetched,
    )
