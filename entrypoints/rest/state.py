"""What the REST endpoints share, kept on ``app.state``."""

from __future__ import annotations

from attrs import define
from starlette.requests import Request

from anime_mcp.entrypoints.rest.jobs import JobRunner
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue


@define
class State:
    runtime: Runtime
    tools: ToolCatalogue
    _jobs: JobRunner | None = None

    @property
    def jobs(self) -> JobRunner:
        if self._jobs is None:
            raise RuntimeError("the job runner starts with the app's lifespan")
        return self._jobs

    @jobs.setter
    def jobs(self, runner: JobRunner) -> None:
        self._jobs = runner

    @staticmethod
    def of(request: Request) -> State:
        state: State = request.app.state.anime_mcp
        return state
