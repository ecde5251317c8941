"""``anime-mcp serve`` (REST + MCP over HTTP), ``anime-mcp mcp`` (MCP over stdio), and the tool catalogue at
the terminal: ``anime-mcp tools`` lists the tools, ``anime-mcp call TOOL key=value ...`` runs any of them.

The servers' modules are imported inside the commands, so ``anime-mcp --help`` stays instant.

``serve --workers N`` runs N processes on one port (the scale-out path on one machine): the port is bound with
SO_REUSEPORT before anything heavy is imported, N-1 children are forked, and each process binds its own
listening socket to the port (the kernel spreads connections over them), loads its own model and opens the
index read-only. Shared state belongs in Redis (``[cache] redis_url``), as behind any load balancer.
A server embeds one query per worker thread: the ONNX session gets one thread unless
``ANIME_MCP_EMBED_THREADS`` says otherwise (two threads per query fought the requests for 2 cores).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
import time
from functools import partial
from typing import Any

import anyio
import click

from anime_mcp.entrypoints.bootstrap import search_processes
from anime_mcp.entrypoints.cli.tooling import call_tool, command_runtime, tool_catalogue


def _bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:  # several processes, one port: each its own accept queue, connections spread by the kernel
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    # Accepted connections inherit this. Without it, uvicorn serving a socket it was handed sends a response's
    # body only after the client acknowledges its headers: +40 ms (delayed ACK) per keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Interface to listen on (0.0.0.0: every interface; API keys then required, [serve] api_keys).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="TCP port; 0 picks a free one (printed at start).",
)
@click.option("--no-warm-up", is_flag=True, help="Do not load the model and open the index before serving.")
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Processes serving the port (each loads the model and opens the index; share caches via Redis).",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, no_warm_up: bool, workers: int) -> None:
    """Serve the REST API (/api), the MCP server over streamable HTTP (/mcp) and the API docs (/docs)."""
    from anime_mcp.entrypoints.rest.access import open_bind_refusal

    refusal = open_bind_refusal(host, ctx.obj["settings"].serve)
    if refusal is not None:
        raise click.ClickException(refusal)
    sock = _bind(host, port, reuse_port=workers > 1)
    bound = sock.getsockname()[1]
    children = _fork_workers(host, bound, workers - 1) if workers > 1 else []
    if children is None:  # a forked worker: its own socket on the same port
        sock.close()
        sock = _bind(host, bound, reuse_port=True)
    shown = f"[{host}]" if ":" in host else host
    each = f", {workers} processes" if workers > 1 else ""
    announce = f"anime-mcp serving on http://{shown}:{bound} (REST /api, MCP /mcp, docs /docs{each})"
    try:
        _serve_on(ctx, sock, host, no_warm_up, announce if children is not None else None)
    finally:
        for pid in children or ():
            _stop(pid)


def _fork_workers(host: str, port: int, count: int) -> list[int] | None:
    """Fork ``count`` worker processes (before the model, the index or any thread exists); the parent gets
    their ids, a worker gets None. A worker ends when its parent is gone."""
    pids = []
    for _ in range(count):
        pid = os.fork()
        if pid == 0:
            parent = os.getppid()
            threading.Thread(target=_follow_parent, args=(parent,), daemon=True).start()
            return None
        pids.append(pid)
    return pids


def _follow_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os.kill(os.getpid(), signal.SIGTERM)


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass


def serving_runtime(ctx: click.Context, *, warm_up: bool | None = None) -> Any:
    """The runtime of a server: one ONNX thread per query embedding unless the settings name a count."""
    from attrs import evolve

    obj = ctx.ensure_object(dict)
    settings = obj["settings"]
    if settings.search.embed_threads is None:
        # before the app is built: its search parts read the settings it is built with
        obj["settings"] = evolve(settings, search=evolve(settings.search, embed_threads=1))
        if "app" in obj:
            obj["app"].settings = obj["settings"]
    return command_runtime(ctx, warm_up=warm_up)


def _serve_on(
    ctx: click.Context, sock: socket.socket, host: str, no_warm_up: bool, announce: str | None
) -> None:
    import uvicorn

    from anime_mcp.entrypoints.rest.app import create_app

    runtime = serving_runtime(ctx, warm_up=False if no_warm_up else None)
    app = create_app(runtime, tool_catalogue(runtime), host=host)
    if announce is not None:  # the parent's line: the workers are forked and start beside it
        click.echo(announce, err=True)
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,
        lifespan="on",
        server_header=False,
        timeout_graceful_shutdown=5,
    )
    uvicorn.Server(config).run(sockets=[sock])


@click.command("mcp")
@click.pass_context
def mcp_stdio(ctx: click.Context) -> None:
    """Serve MCP over stdio (what Claude Desktop and other MCP clients start). Logs go to stderr."""
    obj = ctx.ensure_object(dict)
    # The model and the index load in a search process beside this one, started by the launch from the
    # last start's recipe (adapters/search_link.py): the two halves of the start use both cores.
    processes = search_processes(obj["settings"], obj.pop("early_search", None))
    obj["search_processes"] = processes
    runtime = serving_runtime(ctx)
    # The warm-up starts once `tools/list` is answered (mcp.warm_up.WarmUp): started beside the handshake,
    # it shares the interpreter lock with it and the first answer comes no sooner (measured).
    from anime_mcp.entrypoints.mcp.stdio import serve_stdio

    try:
        anyio.run(partial(serve_stdio, runtime, tool_catalogue(runtime)))
    finally:
        if processes is not None:
            processes.close()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print every tool with its input and output schemas.")
@click.pass_context
def tools(ctx: click.Context, as_json: bool) -> None:
    """List the tools (the same set MCP clients and POST /api/tools/NAME get)."""
    runtime = command_runtime(ctx, warm_up=False)
    catalogue = tool_catalogue(runtime)
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "name": t.name,
                        "title": t.title,
                        "description": t.description,
                        "input_schema": t.input_schema,
                        "output_schema": t.output_schema,
                    }
                    for t in catalogue
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    from rich.table import Table
    from rich.text import Text

    from anime_mcp.entrypoints.cli.app import out

    table = Table(
        "tool", "what it does", "arguments", title=f"{len(catalogue.names())} tools", title_justify="left"
    )
    for tool in catalogue:
        required = set(tool.input_schema.get("required", []))
        arguments = ", ".join(
            f"{name}{'*' if name in required else ''}" for name in tool.input_schema["properties"]
        )
        table.add_row(tool.name, tool.title, arguments)
    out.print(table)
    out.print(
        Text(
            "* required. Descriptions and schemas: anime-mcp tools --json. Run one with: "
            "anime-mcp call TOOL key=value ... (values are JSON or text)",
            style="dim",
        )
    )


def parse_arguments(pairs: tuple[str, ...]) -> dict[str, Any]:
    """``limit=3 query="death note" filters.types=["TV"]``: JSON values where they parse, else text; dotted
    keys build nested objects."""
    arguments: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r}: write arguments as key=value", param_hint="ARGUMENTS")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        target = arguments
        *parents, leaf = key.split(".")
        for parent in parents:
            target = target.setdefault(parent, {})
            if not isinstance(target, dict):
                raise click.BadParameter(f"{key}: {parent} is not an object", param_hint="ARGUMENTS")
        target[leaf] = value
    return arguments


@click.command()
@click.argument("tool")
@click.argument("arguments", nargs=-1)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the structured output (the tool's output schema)."
)
@click.pass_context
def call(ctx: click.Context, tool: str, arguments: tuple[str, ...], as_json: bool) -> None:
    """Run one tool: anime-mcp call search_anime query="death note" limit=3 filters.types='["TV"]'."""
    result = call_tool(ctx, tool, parse_arguments(arguments))
    if as_json:
        click.echo(json.dumps(result.output, indent=2, ensure_ascii=False))
    else:
        from anime_mcp.entrypoints.cli.app import out

        out.print(result.text, markup=False, highlight=False)
