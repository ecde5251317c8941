"""The OpenAPI 3.1 document, generated from the same schemas the tools and endpoints validate with, and a
self-contained HTML page for people (no CDN: it works offline)."""

from __future__ import annotations

import html
import json
from importlib.metadata import version
from typing import Any

from anime_mcp.entrypoints.rest.admin import JOB, JOB_REQUEST
from anime_mcp.entrypoints.rest.query import BATCH_REQUEST, BATCH_RESPONSE, QUERY_REQUEST, QUERY_RESPONSE
from anime_mcp.entrypoints.tools import ToolCatalogue

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "field": {"type": "string", "description": "The offending field, for 422 answers."},
                "correlation_id": {"type": "string"},
            },
        }
    },
}
ANY_OBJECT = {"type": "object"}
STREAM_DESCRIPTION = (
    "OK. With `Accept: text/event-stream` the answer streams as server-sent events, each with an `id` (its "
    "step) and one line of JSON `data`: `offline` at once (the catalogue's answer: "
    "`{step, total, pending, answer}`, `answer` shaped as the final answer so far), one `source` event per "
    "source asked as it answers (`{step, total, source, pending, answer}`, `source` its outcome: status, "
    "reason, ...), then `final`, whose data is exactly the JSON answer sent without the header. Refused "
    "input and other early failures are ordinary JSON errors; a failure after the stream started is an "
    "`error` event with the error body, and the stream ends. Answers that ask no source stream `offline` "
    "and `final` (/api/query) or `final` alone (a tool that does not enrich)."
)
EVENT_STREAM = {
    "text/event-stream": {
        "schema": {
            "type": "string",
            "description": "Server-sent events: offline, source..., final (or error).",
        },
        "example": 'id: 1\nevent: offline\ndata: {"step":1,"total":3,"pending":["kitsu"],"answer":{}}\n\n'
        'id: 2\nevent: source\ndata: {"step":2,"total":3,"source":{"source":"kitsu","status":"contributed"},'
        '"pending":[],"answer":{}}\n\nid: 3\nevent: final\ndata: {}\n\n',
    }
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    names = {
        401: "Missing or wrong admin token",
        403: "Admin endpoints disabled",
        404: "Not found",
        409: "A job is already running",
        413: "Body too large",
        422: "Invalid input (text that is not valid Unicode, such as a lone surrogate, included): the "
        "message names the field and quotes at most the first 80 characters of the value",
        429: "A live source asks us to slow down",
        502: "A live source failed",
        503: "Catalogue, index or model not available (the message says what to run)",
    }
    return {
        str(s): {"description": names[s], **_json({"$ref": "#/components/schemas/Error"})} for s in statuses
    }


def _operation(
    summary: str,
    description: str,
    response: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    errors: tuple[int, ...] = (),
    tag: str,
    admin: bool = False,
    operation_id: str,
    status: str = "200",
    streams: bool = False,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "description": description,
        "tags": [tag],
        "operationId": operation_id,
        "responses": {status: {"description": "OK", **_json(response)}, **_errors(*errors)},
    }
    if streams:  # Accept: text/event-stream
        ok = operation["responses"][status]
        ok["description"] = STREAM_DESCRIPTION
        ok["content"] = {**ok["content"], **EVENT_STREAM}
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    if admin:
        operation["security"] = [{"adminToken": []}]
    return operation


def openapi_document(tools: ToolCatalogue) -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/api/query": {
            "post": _operation(
                "Ask a question",
                "A question in plain words, planned and answered by query_anime (metadata.plan; "
                "context, now and timezone go with it), or a structured query with exactly one of text, "
                "similar_to, anime_id.",
                QUERY_RESPONSE,
                body=QUERY_REQUEST,
                errors=(404, 413, 422, 503),
                tag="query",
                operation_id="query",
                streams=True,
            )
        },
        "/api/batch": {
            "post": _operation(
                "Several questions at once",
                "Runs the queries in parallel (max_concurrent at once); each item "
                "succeeds or fails on its own, with its status.",
                BATCH_RESPONSE,
                body=BATCH_REQUEST,
                errors=(413, 422),
                tag="query",
                operation_id="batch",
            )
        },
        "/api/tools": {
            "get": _operation(
                "List the tools",
                "Every tool with its description and input and output schemas (the same as MCP tools/list).",
                {"type": "object", "properties": {"tools": {"type": "array", "items": ANY_OBJECT}}},
                tag="tools",
                operation_id="list_tools",
            )
        },
        "/health": {
            "get": _operation(
                "Health per component",
                "catalogue, index, embedder, plugins and, when installed, each live source's circuit "
                "breaker. 200 when the catalogue is readable (status ok or degraded), 503 otherwise.",
                ANY_OBJECT,
                errors=(503,),
                tag="service",
                operation_id="health",
            )
        },
        "/stats": {
            "get": _operation(
                "Statistics",
                "Catalogue, index, tool calls since start.",
                ANY_OBJECT,
                tag="service",
                operation_id="stats",
            )
        },
        "/-/plugins": {
            "get": _operation(
                "Plugins",
                "Installed plugins: version, status, hooks, registrations.",
                {"type": "array", "items": ANY_OBJECT},
                tag="service",
                operation_id="plugins",
            )
        },
        "/api/sources": {
            "get": _operation(
                "Live sources",
                "Each installed source: platform, fields and capabilities it declares, rate limits, "
                "credentials set or missing, circuit breaker state.",
                {"type": "object", "properties": {"sources": {"type": "array", "items": ANY_OBJECT}}},
                tag="service",
                operation_id="sources",
            )
        },
        "/api/admin/catalogue/check": {
            "post": _operation(
                "Check for a newer catalogue",
                "Asks the catalogue's server (HEAD) or looks at the configured file; downloads nothing.",
                ANY_OBJECT,
                errors=(401, 403, 503),
                tag="admin",
                admin=True,
                operation_id="check_catalogue",
            )
        },
        "/api/admin/jobs": {
            "post": _operation(
                "Start an ingest or reindex job",
                "One job at a time; follow it at the Location header.",
                {"type": "object", "properties": {"job": JOB}},
                body=JOB_REQUEST,
                errors=(401, 403, 409, 422),
                tag="admin",
                admin=True,
                operation_id="start_job",
                status="202",
            ),
            "get": _operation(
                "List jobs",
                "Recent jobs, newest first.",
                {"type": "object", "properties": {"jobs": {"type": "array", "items": JOB}}},
                errors=(401, 403),
                tag="admin",
                admin=True,
                operation_id="list_jobs",
            ),
        },
        "/api/admin/jobs/{job_id}": {
            "get": {
                **_operation(
                    "Job status",
                    "Status, report (the ingest summary) or error of one job.",
                    {"type": "object", "properties": {"job": JOB}},
                    errors=(401, 403, 404),
                    tag="admin",
                    admin=True,
                    operation_id="get_job",
                ),
                "parameters": [
                    {"name": "job_id", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
            }
        },
    }
    for tool in tools:
        paths[f"/api/tools/{tool.name}"] = {
            "post": _operation(
                tool.title,
                tool.description,
                tool.output_schema,
                body=tool.input_schema,
                errors=(404, 413, 422, 429, 502, 503),
                tag="tools",
                operation_id=tool.name,
                streams=True,
            )
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "anime-mcp",
            "version": version("anime-mcp"),
            "description": "Anime questions answered from an offline catalogue and live anime platforms. "
            "The same tools are served over MCP at /mcp (streamable HTTP).",
        },
        "tags": [{"name": "query"}, {"name": "tools"}, {"name": "service"}, {"name": "admin"}],
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "adminToken": {"type": "http", "scheme": "bearer", "description": "ANIME_MCP_ADMIN_TOKEN"}
            },
        },
    }


def docs_page(document: dict[str, Any]) -> str:
    """Every operation with its description and, for request bodies, the fields and an example call."""
    e = html.escape
    sections = []
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            body = (
                operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            )
            rows = ""
            if body:
                required = set(body.get("required", []))
                for name, prop in body.get("properties", {}).items():
                    kind = prop.get("type") or ("string or object" if "oneOf" in prop else "")
                    kind = " | ".join(kind) if isinstance(kind, list) else kind
                    if prop.get("enum"):
                        kind += f" ({', '.join(map(str, prop['enum']))})"
                    default = f" (default {json.dumps(prop['default'])})" if "default" in prop else ""
                    rows += (
                        f"<tr><td><code>{e(name)}</code>{' *' if name in required else ''}</td>"
                        f"<td>{e(str(kind))}</td><td>{e(prop.get('description', ''))}{e(default)}</td></tr>"
                    )
                rows = f"<table><tr><th>field</th><th>type</th><th>meaning</th></tr>{rows}</table>"
            lock = " 🔒 bearer token" if operation.get("security") else ""
            sections.append(
                f"<section><h3><code>{method.upper()} {e(path)}</code>{lock}</h3>"
                f"<p><b>{e(operation['summary'])}</b>. {e(operation['description'])}</p>{rows}</section>"
            )
    example = (
        "curl -s localhost:8000/api/query -H 'content-type: application/json' "
        '-d \'{"query": "death note", "limit": 3}\''
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>anime-mcp API</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;margin:.5rem 0}}
td,th{{border:1px solid #ccc;padding:.2rem .5rem;vertical-align:top;text-align:left}}
code{{background:#f4f4f4;padding:0 .2rem}}section{{margin-bottom:1.5rem}}</style></head>
<body><h1>anime-mcp {e(document["info"]["version"])}</h1><p>{e(document["info"]["description"])}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. MCP clients: <code>/mcp</code> (streamable
HTTP). Every response carries <code>X-Correlation-ID</code> (send your own to follow a request through the
logs). Errors are <code>{{"error": {{"code", "message", "field"}}}}</code>; * marks required fields.
Send <code>Accept: text/event-stream</code> to <code>/api/query</code> or a tool to watch the answer grow:
server-sent events <code>offline</code>, one <code>source</code> per source asked, <code>final</code>.</p>
<pre>{e(example)}</pre>
{"".join(sections)}</body></html>"""
