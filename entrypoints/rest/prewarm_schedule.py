"""Pre-warming inside ``serve`` (``[serve] prewarm``; off by default): when no request came for
``prewarm_quiet`` seconds, at most every ``prewarm_every`` minutes, the most-asked anime and the current
season's are fetched into the sources' caches (``core.services.prewarm``), within ``prewarm_share`` of each
source's rate-limit budget. A request arriving stops the round before its next fetch; so does the end of
the quiet window (a round lasts at most ``prewarm_quiet`` seconds).

``Activity`` counts user requests (``ActivityMiddleware``: every HTTP path but ``/health``, ``/stats`` and
``/-/...``, so a load balancer's health checks do not keep the server busy forever).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Awaitable, Callable

import anyio
import attrs
import structlog
from starlette.types import ASGIApp, Receive, Scope, Send

from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.seasons import season_of
from anime_mcp.core.services.prewarm import PrewarmReport, prewarm
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings

SEASON_LIMIT = 150  # a season's anime asked, best scored first (a season has 50-150 TV anime)
PROBES = frozenset({"/health", "/stats"})  # with /-/...: monitoring, not users
USER_REQUEST = "user request"
WINDOW_ENDED = "quiet window ended"
log = structlog.get_logger("anime_mcp.prewarm")


class Activity:
    """When the last user request began or ended, and how many are in flight (monotonic seconds)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last = clock()
        self.in_flight = 0

    def begin(self) -> None:
        self.in_flight += 1
        self.last = self.clock()

    def end(self) -> None:
        self.in_flight -= 1
        self.last = self.clock()

    def quiet_for(self) -> float:
        return 0.0 if self.in_flight else self.clock() - self.last


class ActivityMiddleware:
    def __init__(self, app: ASGIApp, *, activity: Activity) -> None:
        self.app = app
        self.activity = activity

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] != "http" or path.startswith("/-/") or path in PROBES:
            await self.app(scope, receive, send)
            return
        self.activity.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            self.activity.end()


def round_stop(activity: Activity, window: float) -> Callable[[], str | None]:
    """The round's stop check: a user request since it began, or ``window`` seconds gone."""
    began = activity.clock()

    def stop() -> str | None:
        if activity.in_flight or activity.last > began:
            return USER_REQUEST
        return WINDOW_ENDED if activity.clock() - began >= window else None

    return stop


async def candidates(runtime: Runtime, today: dt.date, top: int) -> list[CatalogueEntry]:
    """The most-asked anime (most first), then the current season's (best scored first), once each."""
    store = (await runtime.current_snapshot()).store
    year, season = season_of(today)
    seasonal, _ = await runtime.run_sync(runtime.seasons.season, store, year, season, limit=SEASON_LIMIT)
    asked = [e for a in runtime.asked.top(top) if (e := store.by_anime_id(a)) is not None]
    found: dict[str, CatalogueEntry] = {}
    for entry in [*asked, *seasonal]:
        found.setdefault(entry.anime_id, entry)
    return list(found.values())


async def prewarm_round(runtime: Runtime, activity: Activity, settings: ServeSettings) -> PrewarmReport:
    """One round now: the candidates, within the budget share, until done or stopped."""
    stop = round_stop(activity, settings.prewarm_quiet)
    today = dt.datetime.now(dt.UTC).date()
    entries = await candidates(runtime, today, settings.prewarm_top)
    sources = runtime.sources()
    budgets = runtime.http_runtime
    assert budgets is not None  # made by sources()
    report = await prewarm(
        entries, sources, budgets, share=settings.prewarm_share, ready=runtime.source_ready, stop=stop
    )
    log.info("prewarm.round", candidates=len(entries), **attrs.asdict(report))
    return report


async def run_prewarm_schedule(
    runtime: Runtime,
    activity: Activity,
    settings: ServeSettings,
    *,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    round_: Callable[[Runtime, Activity, ServeSettings], Awaitable[PrewarmReport]] = prewarm_round,
) -> None:
    """Until cancelled: wait for a quiet spell of ``prewarm_quiet`` seconds at least ``prewarm_every``
    minutes after the last round began, then run a round."""
    quiet, every = settings.prewarm_quiet, settings.prewarm_every * 60
    last_round: float | None = None
    while True:
        due = 0.0 if last_round is None else last_round + every - activity.clock()
        wait = max(due, quiet - activity.quiet_for())
        if wait > 0:
            await sleep(min(wait, quiet))
            continue
        last_round = activity.clock()
        try:
            await round_(runtime, activity, settings)
        except Exception:  # a round is best effort: it never takes the server down
            log.warning("prewarm.round_failed", exc_info=True)
