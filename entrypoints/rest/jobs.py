"""Admin jobs: ingest a catalogue (and update the index) or rebuild the index, one at a time, each in its own
``anime-mcp ingest --json`` process, so a crash or a memory spike cannot take the server down and the job
runs exactly the code a person runs at the terminal. The server switches to the new catalogue and index
when the job has committed them (``Runtime.refresh``).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio
import anyio.abc
import anyio.to_thread
import structlog
from attrs import define

from anime_mcp.core.errors import JobConflict, UnknownJob

KINDS = ("ingest", "reindex", "update")
KEEP = 20  # finished jobs remembered
log = structlog.get_logger("anime_mcp.jobs")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@define
class Job:
    id: str
    kind: str
    command: list[str]
    status: str = "queued"  # queued, running, succeeded, failed
    created_at: str = ""
    started_at: str | None = None
    finished_at: str | None = None
    report: dict[str, Any] | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "status": self.status,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "report": self.report,
            "error": self.error,
        }


def ingest_arguments(kind: str, source: str | None) -> list[str]:
    """The ``anime-mcp`` command line of a job of ``kind`` (ingest, reindex, update)."""
    if kind == "update":  # fetch, check, diff, swap and index: refused releases fail the job with reasons
        return ["update", "--json", *(["--source", source] if source else [])]
    arguments = ["ingest", "--json"]
    if source:
        arguments += ["--source", source]
    if kind == "reindex":
        arguments.append("--reindex")
    return arguments


class JobRunner:
    def __init__(
        self,
        group: anyio.abc.TaskGroup,
        *,
        on_success: Callable[[], Any],
        program: Sequence[str] = (sys.executable, "-m", "anime_mcp.entrypoints.cli"),
    ) -> None:
        self._group = group
        self._on_success = on_success
        self._program = list(program)
        self._jobs: dict[str, Job] = {}

    def recent(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda job: job.created_at, reverse=True)

    def get(self, job_id: str) -> Job:
        try:
            return self._jobs[job_id]
        except KeyError:
            raise UnknownJob(f"no job {job_id!r}; GET /api/admin/jobs lists them") from None

    def start(self, kind: str, arguments: list[str]) -> Job:
        running = [job for job in self._jobs.values() if job.status in ("queued", "running")]
        if running:
            raise JobConflict(
                f"job {running[0].id} ({running[0].kind}) is still {running[0].status}; "
                "wait for it (GET /api/admin/jobs/{id})"
            )
        job = Job(
            id=uuid.uuid4().hex[:12], kind=kind, command=[*self._program, *arguments], created_at=_now()
        )
        self._jobs[job.id] = job
        for old in self.recent()[KEEP:]:
            self._jobs.pop(old.id, None)
        self._group.start_soon(self._run, job)
        return job

    async def _run(self, job: Job) -> None:
        job.status, job.started_at = "running", _now()
        log.info("job.started", job=job.id, kind=job.kind, command=job.command[3:])
        try:
            result = await anyio.run_process(job.command, check=False)
        except OSError as exc:
            job.status, job.error = "failed", f"could not start the job: {exc}"
        else:
            if result.returncode == 0:
                try:
                    job.report = json.loads(result.stdout)
                    job.status = "succeeded"
                except ValueError:
                    job.status, job.error = "failed", "the job printed no JSON report"
            else:
                lines = result.stderr.decode(errors="replace").strip().splitlines()
                job.status = "failed"
                job.error = "\n".join(lines[-10:]) or f"exit code {result.returncode}"
        job.finished_at = _now()
        log.info("job.finished", job=job.id, status=job.status, error=job.error)
        if job.status == "succeeded":
            await anyio.to_thread.run_sync(self._on_success)
