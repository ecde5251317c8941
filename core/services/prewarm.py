"""Pre-warming use case: at a quiet time, fetch the anime people are likely to ask about next (the most
asked, then the current season's) into the sources' caches, so their first question is answered from there.

Gentle by construction: one request at a time; an anime a source already remembers fresh is not asked
again; a source is asked only while it has used less than ``share`` of its rate-limit budget (checked
without waiting, so the rest stays for users); a failing source is left alone for the round; and the round
stops at once when ``stop`` gives a reason (a user request arrived, the quiet window ended).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

import structlog
from attrs import define, frozen

from anime_mcp.core.errors import NotFound, SourceError
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId
from anime_mcp.ports.source import RemembersRecords, Source, SourceKind

DONE = "done"
log = structlog.get_logger("anime_mcp.prewarm")


class Budgets(Protocol):
    def budget_used(self, source_id: str) -> float:
        """The share (0 to 1) of the source's rate-limit budget in use now; never waits."""
        ...


@frozen
class PrewarmReport:
    fetched: int = 0  # asked upstream (or a shared cache) and now in the cache
    fresh: int = 0  # already fresh: not asked
    over_budget: int = 0  # left out: the source had used its share of the budget
    failed: int = 0
    skipped: int = 0  # left out: the source had failed earlier in the round
    stopped: str = DONE  # DONE, or why the round stopped early


class MostAsked:
    """A bounded count of the anime the enrichment tools answered: ``top(n)``, most asked first. Holds at
    most ``capacity`` ids; when full, the less asked half is forgotten, so memory stays flat."""

    def __init__(self, capacity: int = 1000) -> None:
        self._capacity = capacity
        self._counts: Counter[str] = Counter()

    def note(self, anime_id: str) -> None:
        self._counts[anime_id] += 1
        if len(self._counts) > self._capacity:
            self._counts = Counter(dict(self._counts.most_common(self._capacity // 2)))

    def top(self, count: int) -> list[str]:
        return [anime_id for anime_id, _ in self._counts.most_common(count)]


def warming_sources(sources: Mapping[str, Source], ready: Callable[[Source], bool]) -> list[Source]:
    """The ready sources, a platform's API sources in place of its scraped ones (the fallbacks a user's
    answer rarely needs)."""
    usable = [s for s in sources.values() if ready(s)]
    with_api = {s.info.platform for s in usable if s.info.kind is SourceKind.API}
    return [s for s in usable if s.info.kind is SourceKind.API or s.info.platform not in with_api]


def _plan(entries: Iterable[CatalogueEntry], sources: Sequence[Source]) -> list[tuple[Source, PlatformId]]:
    """(source, id) pairs: each entry's id on each source's platform, in the entries' order."""
    pairs: list[tuple[Source, PlatformId]] = []
    seen: set[tuple[str, PlatformId]] = set()
    for entry in entries:
        for source in sources:
            pid = next((p for p in entry.sources if p.platform == source.info.platform), None)
            if pid is not None and (source.info.id, pid) not in seen:
                seen.add((source.info.id, pid))
                pairs.append((source, pid))
    return pairs


@define
class _Tally:
    fetched: int = 0
    fresh: int = 0
    over_budget: int = 0
    failed: int = 0
    skipped: int = 0

    def report(self, stopped: str) -> PrewarmReport:
        return PrewarmReport(self.fetched, self.fresh, self.over_budget, self.failed, self.skipped, stopped)


async def prewarm(
    entries: Iterable[CatalogueEntry],
    sources: Mapping[str, Source],
    budgets: Budgets,
    *,
    share: float = 0.5,
    ready: Callable[[Source], bool] = lambda source: True,
    stop: Callable[[], str | None] = lambda: None,
) -> PrewarmReport:
    """Fetch ``entries`` (most wanted first) from ``sources`` into their caches, within ``share`` of each
    source's budget, until done or ``stop`` names a reason."""
    tally = _Tally()
    spent: set[str] = set()  # sources at their share of the budget: not asked again this round
    failing: set[str] = set()  # sources that failed: left alone for the round
    for source, pid in _plan(entries, warming_sources(sources, ready)):
        reason = stop()
        if reason is not None:
            log.info("prewarm.stopped", reason=reason)
            return tally.report(reason)
        source_id = source.info.id
        if source_id in failing:
            tally.skipped += 1
        elif isinstance(source, RemembersRecords) and source.remembered(pid) is not None:
            tally.fresh += 1
        elif source_id in spent or budgets.budget_used(source_id) >= share:
            spent.add(source_id)
            tally.over_budget += 1
        else:
            await _fetch(source, pid, tally, failing)
    return tally.report(DONE)


async def _fetch(source: Source, pid: PlatformId, tally: _Tally, failing: set[str]) -> None:
    try:
        await source.fetch(pid)
    except NotFound:  # not on the platform: that answer is cached too
        pass
    except SourceError as exc:
        log.info("prewarm.failed", source=source.info.id, anime=str(pid), error=str(exc))
        tally.failed += 1
        failing.add(source.info.id)
        return
    tally.fetched += 1
