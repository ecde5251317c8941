"""The Starlette application: the REST API, the MCP server over streamable HTTP at ``/mcp``, docs.

The MCP sub-application's lifespan (its session manager) is run by this app's lifespan: Starlette does not
run the lifespans of mounted apps. The job runner's task group lives there too.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from anime_mcp.entrypoints.logging import add_secrets
from anime_mcp.entrypoints.mcp.server import build_server
from anime_mcp.entrypoints.rest import admin
from anime_mcp.entrypoints.rest.access import ApiKeyMiddleware, cors
from anime_mcp.entrypoints.rest.jobs import JobRunner
from anime_mcp.entrypoints.rest.middleware import RequestContextMiddleware
from anime_mcp.entrypoints.rest.openapi import docs_page, openapi_document
from anime_mcp.entrypoints.rest.prewarm_schedule import Activity, ActivityMiddleware, run_prewarm_schedule
from anime_mcp.entrypoints.rest.query import answer, answer_batch
from anime_mcp.entrypoints.rest.responses import JSON, correlation_id, endpoint, error_response, read_json
from anime_mcp.entrypoints.rest.state import State
from anime_mcp.entrypoints.rest.stream import EventStream, wants_events
from anime_mcp.entrypoints.rest.update_schedule import run_update_schedule
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools import ToolCatalogue
from anime_mcp.entrypoints.tools import info as info_tools
from anime_mcp.entrypoints.tools.errors import ErrorInfo


@endpoint
async def query(request: Request) -> Response:
    state = State.of(request)
    body, cid = await read_json(request), correlation_id(request)
    if wants_events(request):
        return EventStream(request, lambda report: answer(state.runtime, state.tools, body, cid, report))
    return JSON(await answer(state.runtime, state.tools, body, cid))


@endpoint
async def batch(request: Request) -> Response:
    state = State.of(request)
    return JSON(
        await answer_batch(state.runtime, state.tools, await read_json(request), correlation_id(request))
    )


@endpoint
async def list_tools(request: Request) -> Response:
    return JSON(
        {
            "tools": [
                {
                    "name": t.name,
                    "title": t.title,
                    "description": t.description,
                    "input_schema": t.input_schema,
                    "output_schema": t.output_schema,
                }
                for t in State.of(request).tools
            ]
        }
    )


@endpoint
async def call_tool(request: Request) -> Response:
    state = State.of(request)
    name = request.path_params["name"]
    state.tools.get(name)  # 404 before reading the body
    arguments = await read_json(request)
    if wants_events(request):
        return EventStream(
            request,
            lambda report: state.tools.call(
                state.runtime,
                name,
                arguments,
                correlation_id=correlation_id(request),
                face="rest",
                progress=report,
            ),
        )
    result = await state.tools.call(
        state.runtime, name, arguments, correlation_id=correlation_id(request), face="rest"
    )
    if request.query_params.get("format") == "text":
        return PlainTextResponse(result.text)
    return JSON(result.output)


@endpoint
async def health(request: Request) -> Response:
    runtime = State.of(request).runtime
    report = await runtime.run_sync(info_tools.health, runtime)
    return JSON(report, status_code=503 if report["status"] == "down" else 200)


@endpoint
async def stats(request: Request) -> Response:
    runtime = State.of(request).runtime
    # "pid": which process answered, behind one port or a load balancer (serve --workers N)
    return JSON({**await runtime.run_sync(info_tools.stats, runtime), "pid": os.getpid()})


@endpoint
async def sources(request: Request) -> Response:
    runtime = State.of(request).runtime
    return JSON({"sources": await runtime.run_sync(info_tools.sources, runtime)})


@endpoint
async def plugins(request: Request) -> Response:
    runtime = State.of(request).runtime
    return JSON(await runtime.run_sync(info_tools.plugins, runtime))


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = {
        404: f"no endpoint {request.url.path}; see /docs",
        405: f"{request.method} is not allowed on {request.url.path}; see /docs",
    }.get(exc.status_code, str(exc.detail))
    return error_response(
        request,
        ErrorInfo(exc.status_code, codes.get(exc.status_code, "http_error"), message),
        headers=dict(exc.headers or {}),
    )


async def internal_error(request: Request, exc: Exception) -> Response:
    return error_response(
        request,
        ErrorInfo(
            500, "internal", "internal error; the server log has the details (quote the correlation id)"
        ),
    )


def create_app(
    runtime: Runtime,
    tools: ToolCatalogue,
    *,
    host: str = "127.0.0.1",
    mcp: bool = True,
) -> Starlette:
    state = State(runtime=runtime, tools=tools)
    document = openapi_document(tools)
    page = docs_page(document)
    routes: list[BaseRoute] = [
        Route("/api/query", query, methods=["POST"]),
        Route("/api/batch", batch, methods=["POST"]),
        Route("/api/tools", list_tools, methods=["GET"]),
        Route("/api/tools/{name}", call_tool, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/stats", stats, methods=["GET"]),
        Route("/-/plugins", plugins, methods=["GET"]),
        Route("/api/sources", sources, methods=["GET"]),
        *admin.ROUTES,
        Route("/openapi.json", lambda request: JSON(document), methods=["GET"]),
        Route("/docs", lambda request: HTMLResponse(page), methods=["GET"]),
        Route("/", lambda request: HTMLResponse(page), methods=["GET"]),
    ]
    mcp_app = None
    if mcp:
        # The session manager's own Route for /mcp; its lifespan is entered below.
        # Stateless: any process behind a load balancer can answer any request (the tools need no session).
        # Plain JSON answers by default, so proxies see ordinary request/response pairs; with
        # [serve] mcp_stream each answer is a short event stream that carries progress notifications first.
        mcp_app = build_server(runtime, tools).streamable_http_app(
            streamable_http_path="/mcp",
            host=host,
            stateless_http=True,
            json_response=not runtime.settings.mcp_stream,
            max_request_body_size=runtime.settings.max_body_bytes,
        )
        routes.extend(mcp_app.routes)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if runtime.settings.warm_up:
            await anyio.to_thread.run_sync(runtime.warm_up)
        async with anyio.create_task_group() as group:
            state.jobs = JobRunner(group, on_success=runtime.refresh)
            every = runtime.app.settings.catalogue.update_every
            if every:  # the weekly catalogue update, off by default
                group.start_soon(run_update_schedule, state.jobs, every)
            if runtime.settings.prewarm:  # the caches filled at quiet times, off by default
                group.start_soon(run_prewarm_schedule, runtime, activity, runtime.settings)
            if mcp_app is not None:
                async with mcp_app.router.lifespan_context(mcp_app):
                    yield {}
            else:
                yield {}
            group.cancel_scope.cancel()
        await runtime.aclose()

    serve = runtime.settings
    add_secrets([serve.admin_token, *(key for _, key in serve.api_keys)])
    middleware = [
        Middleware(
            RequestContextMiddleware,
            max_body_bytes=serve.max_body_bytes,
            max_image_body_bytes=serve.max_image_body_bytes,
        ),
        Middleware(ApiKeyMiddleware, settings=serve, shared=runtime.app.shared_budgets()),
    ]
    activity = Activity()  # user requests, for pre-warming's quiet times
    if serve.prewarm:
        middleware.append(Middleware(ActivityMiddleware, activity=activity))
    if serve.cors_origins:  # outermost, so that preflights and refusals carry the CORS headers too
        middleware.insert(0, cors(serve.cors_origins))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={HTTPException: http_error, Exception: internal_error},
        lifespan=lifespan,
    )
    app.state.anime_mcp = state
    return app
