"""``/api/admin/*``: check for a newer catalogue, start an ingest or reindex job, follow jobs.

Protected by a bearer token from ``ANIME_MCP_ADMIN_TOKEN``; with no token configured the endpoints are
disabled (403), so a server is never administrable by accident.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from anime_mcp.core.catalogue import CatalogueLocation
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.core.services.catalogue import check_catalogue as check_catalogue_release
from anime_mcp.entrypoints.rest.jobs import KINDS, ingest_arguments
from anime_mcp.entrypoints.rest.responses import JSON, endpoint, error_response, read_object
from anime_mcp.entrypoints.rest.state import State
from anime_mcp.entrypoints.tools.base import ToolInputError, check_schema
from anime_mcp.entrypoints.tools.errors import ErrorInfo
from anime_mcp.entrypoints.tools.schemas import object_schema

JOB_REQUEST = object_schema(
    {
        "kind": {
            "type": "string",
            "enum": list(KINDS),
            "description": "ingest: read the catalogue and update the index incrementally; reindex: read the "
            "catalogue the store came from and rebuild the index from scratch; update: fetch the newest "
            "release, check it (entries lost, well-known anime missing, malformed, older), swap it in and "
            "update the index (a refused release fails the job and the catalogue in service stays).",
        },
        "source": {
            "type": "string",
            "minLength": 1,
            "description": "Catalogue file or URL (ingest and update). Default: the configured catalogue.",
        },
    },
    ["kind"],
)
JOB = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "status": {"type": "string", "enum": ["queued", "running", "succeeded", "failed"]},
        "created_at": {"type": "string"},
        "started_at": {"type": ["string", "null"]},
        "finished_at": {"type": ["string", "null"]},
        "report": {"type": ["object", "null"]},
        "error": {"type": ["string", "null"]},
    },
}


def _refusal(request: Request) -> Response | None:
    token = State.of(request).runtime.settings.admin_token
    if token is None:
        return error_response(
            request,
            ErrorInfo(
                403,
                "admin_disabled",
                "the admin endpoints are disabled; set ANIME_MCP_ADMIN_TOKEN on the server to enable them",
            ),
        )
    sent = request.headers.get("authorization", "")
    scheme, _, credentials = sent.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(credentials.strip().encode(), token.encode()):
        return error_response(
            request,
            ErrorInfo(
                401, "unauthorized", "send the admin token as 'Authorization: Bearer <ANIME_MCP_ADMIN_TOKEN>'"
            ),
            headers={"WWW-Authenticate": 'Bearer realm="anime-mcp admin"'},
        )
    return None


@endpoint
async def check_catalogue(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    runtime = State.of(request).runtime
    app = runtime.app
    try:
        check = await check_catalogue_release(
            CatalogueLocation(app.settings.catalogue.location), app.fetcher, runtime.snapshot().store
        )
    except CatalogueFormatError as exc:  # the configured file is missing: the request cannot be served
        raise ToolInputError("", str(exc)) from None
    release = check.release
    return JSON(
        {"source": release.location, "kind": release.kind, **release.details, "newer": release.newer}
        | {"current": check.current}
    )


@endpoint
async def start_job(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    state = State.of(request)
    body = await read_object(request)
    check_schema(JOB_REQUEST, body)
    source = body.get("source")
    if body["kind"] == "reindex":
        if source:
            raise ToolInputError(
                "source",
                "a reindex reads the catalogue the store came from; use kind ingest to read another one",
            )
        snapshot = state.runtime.snapshot()
        source = (await state.runtime.run_sync(snapshot.store.stats)).source
    job = state.jobs.start(body["kind"], ingest_arguments(body["kind"], source))
    return JSON({"job": job.as_dict()}, status_code=202, headers={"Location": f"/api/admin/jobs/{job.id}"})


@endpoint
async def list_jobs(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    return JSON({"jobs": [job.as_dict() for job in State.of(request).jobs.recent()]})


@endpoint
async def get_job(request: Request) -> Response:
    if (refused := _refusal(request)) is not None:
        return refused
    return JSON({"job": State.of(request).jobs.get(request.path_params["job_id"]).as_dict()})


ROUTES = [
    Route("/api/admin/catalogue/check", check_catalogue, methods=["POST"]),
    Route("/api/admin/jobs", start_job, methods=["POST"]),
    Route("/api/admin/jobs", list_jobs, methods=["GET"]),
    Route("/api/admin/jobs/{job_id}", get_job, methods=["GET"]),
]
