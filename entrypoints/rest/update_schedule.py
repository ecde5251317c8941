"""The catalogue update on a schedule inside ``serve`` (``[catalogue] update_every`` hours; off by default).

Every period, ``anime-mcp update --json`` runs as an admin job: in its own process, like ingest jobs, so a
crash or a memory spike cannot take the server down, and listed by ``GET /api/admin/jobs``. A refused
release fails the job with the reasons and leaves the catalogue in service untouched; an applied one is
picked up by the job runner's refresh (the new catalogue and index, while requests in flight finish on the
old ones).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import structlog

from anime_mcp.core.errors import JobConflict
from anime_mcp.entrypoints.rest.jobs import JobRunner

UPDATE_ARGUMENTS = ["update", "--json"]
log = structlog.get_logger("anime_mcp.jobs")


async def run_update_schedule(
    jobs: JobRunner, every_hours: float, *, sleep: Callable[[float], Awaitable[None]] = anyio.sleep
) -> None:
    """Start an update job every ``every_hours`` (the first one period after start-up), until cancelled."""
    while True:
        await sleep(every_hours * 3600)
        try:
            job = jobs.start("update", UPDATE_ARGUMENTS)
        except JobConflict as exc:  # an ingest or the last update still running: try next period
            log.info("catalogue.update.skipped", reason=str(exc))
            continue
        log.info("catalogue.update.scheduled", job=job.id, every_hours=every_hours)
