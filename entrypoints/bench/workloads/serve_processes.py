"""The child processes the serve workloads measure: ``anime-mcp serve`` on a free loopback port (this tree or
an older checkout's), ``anime-mcp mcp`` over stdio, their resident memory and CPU from /proc, and the judged
questions as ``POST /api/query`` bodies.

Imported only by a serve workload's ``run`` (subprocess and friends stay out of ``anime-mcp --help``).
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from anime_mcp.entrypoints.bench.workloads.measure import cpu_seconds, with_children
from anime_mcp.entrypoints.settings import ConfigError

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
# The CLI's filter options -> the /api/query filter object's fields.
FILTER_KEYS = {
    "type": "types",
    "season": "seasons",
    "status": "statuses",
    "tag": "tags",
    "studio": "studios",
    "platform": "platforms",
    "exclude_tag": "exclude_tags",
}


class ServerFailed(RuntimeError):
    """A child process did not start or answer (the message carries the end of its stderr)."""


def query_bodies(judged: Path) -> list[dict[str, Any]]:
    """Each judged query as an /api/query body (its CLI filters translated to the API's filter object)."""
    found = []
    for item in json.loads(judged.read_text(encoding="utf-8"))["queries"]:
        filters: dict[str, Any] = {}
        for option, value in (item.get("filters") or {}).items():
            key = option.lstrip("-").replace("-", "_")
            values = value if isinstance(value, list) else str(value).split(",")
            if key in FILTER_KEYS:
                filters[FILTER_KEYS[key]] = [
                    v.upper() if key in {"type", "season", "status"} else v for v in values
                ]
            elif key == "year" and "-" in str(value):
                low, _, high = str(value).partition("-")
                filters |= {k: int(v) for k, v in (("year_min", low), ("year_max", high)) if v}
            elif key == "min_score":
                filters["min_score"] = float(value)
        query: Any = {"text": item["query"], "filters": filters} if filters else item["query"]
        found.append({"query": query, "limit": 10})
    return found


def body_text(body: Mapping[str, Any]) -> str:
    query = body["query"]
    return query if isinstance(query, str) else str(query["text"])


def import_tree(checkout: Path, into: Path | None = None) -> Path:
    """A folder (in ``into``, else the system's temporary folder) holding ``anime_mcp`` as symlinks to the
    checkout's top-level packages (its package-dir map), to put first on PYTHONPATH: an older commit's code
    run with this venv."""
    pyproject = checkout / "pyproject.toml"
    if not pyproject.is_file():
        raise ConfigError(f"{checkout}: not a checkout of anime-mcp (no pyproject.toml)")
    mapping = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-dir"]
    tree = Path(tempfile.mkdtemp(prefix="anime-mcp-tree-", dir=into))
    package = tree / "anime_mcp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, folder in mapping.items():
        short = name.removeprefix("anime_mcp.")
        if name != "anime_mcp" and "." not in short:
            (package / short).symlink_to(checkout / folder)
    return tree


class Served:
    """``anime-mcp serve --host 127.0.0.1 --port 0`` (with ``tree`` first on PYTHONPATH, when given), its
    stderr drained; ``url`` once it says where it serves. ``stop`` ends it (and any workers)."""

    def __init__(self, env: Mapping[str, str], *, tree: Path | None = None, workers: int = 1) -> None:
        command = [sys.executable, "-m", "anime_mcp.entrypoints.cli", "serve", "--host", "127.0.0.1"]
        command += ["--port", "0", *(["--workers", str(workers)] if workers > 1 else [])]
        environ = {**env, **({"PYTHONPATH": str(tree)} if tree is not None else {})}
        self.process = subprocess.Popen(
            command, text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=environ
        )
        self.log: list[str] = []
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            found = re.search(r"serving on (http://\S+) ", line)
            if found:
                self.url = found.group(1)
                threading.Thread(target=self.process.stderr.read, daemon=True).start()  # keep draining
                return
        self.process.wait(timeout=30)
        raise ServerFailed(f"anime-mcp serve did not start: {''.join(self.log[-5:]).strip()}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, body: Mapping[str, Any], timeout: float = 600) -> None:
        request = urllib.request.Request(
            self.url + "/api/query",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()

    def stop(self) -> None:
        end(self.process, 30)


def rss_mib(pid: int) -> float:
    """Resident memory of the process and its children (serve --workers), in MiB."""
    total = 0
    for each in with_children(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def tree_cpu(pid: int) -> float:
    """User + system CPU of the process and its children (serve --workers), in seconds; NaN without /proc."""
    try:
        return sum(cpu_seconds(each) for each in with_children(pid))
    except OSError:
        return float("nan")


def send(stdin: IO[str], message: Mapping[str, Any]) -> None:
    stdin.write(json.dumps(message) + "\n")
    stdin.flush()


START_DEADLINE = 120.0  # seconds a started ``anime-mcp mcp`` gets to answer, then it is killed


def receive(stdout: IO[str], request_id: int) -> dict[str, Any]:
    while True:
        line = stdout.readline()
        if not line:
            raise ServerFailed(
                f"anime-mcp mcp closed its stdout (or gave no answer in {START_DEADLINE:.0f} s)"
            )
        try:
            message: dict[str, Any] = json.loads(line)
        except json.JSONDecodeError:
            raise ServerFailed(f"anime-mcp mcp wrote a line that is not JSON-RPC: {line[:200]!r}") from None
        if message.get("id") == request_id:
            return message


def end(process: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """Stop a child: terminate, then kill if it has not gone within ``timeout``."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def mcp_start(env: Mapping[str, str], tree: str | None = None) -> dict[str, Any]:
    """One cold start of ``anime-mcp mcp`` (``tree`` first on PYTHONPATH, when given): seconds from spawn to
    the ``tools/list`` answer and to the first ``search_anime`` answer, the server's CPU seconds at both
    moments, and the first hit's MAL id (death note: 1535 on the whole catalogue)."""
    environ = {**env, **({"PYTHONPATH": tree} if tree is not None else {})}
    errors = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed below; read back only when the server fails)
    started = time.perf_counter()
    process = subprocess.Popen(
        [*_console_script(tree), "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=errors,
        text=True,
        env=environ,
    )
    assert process.stdin is not None and process.stdout is not None
    watchdog = threading.Timer(START_DEADLINE, process.kill)  # a hung server must not hang the bench
    watchdog.daemon = True
    watchdog.start()
    try:
        client = {"name": "benchmark", "version": "1"}
        params = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": client}
        send(process.stdin, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": params})
        receive(process.stdout, 1)
        send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
        tools = receive(process.stdout, 2)
        listed, listed_cpu = time.perf_counter() - started, tree_cpu(process.pid)
        if not tools.get("result", {}).get("tools"):
            raise ServerFailed(f"tools/list listed no tools: {tools}")
        call = {"name": "search_anime", "arguments": {"query": "death note"}}
        send(process.stdin, {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": call})
        answer = receive(process.stdout, 3)
        searched, searched_cpu = time.perf_counter() - started, tree_cpu(process.pid)
        results = (answer.get("result", {}).get("structuredContent") or {}).get("results")
        if not results:
            raise ServerFailed(f"search_anime found nothing: {str(answer)[:300]}")
        return {
            "tools_list_s": listed,
            "first_search_s": searched,
            "cpu_at_tools_list_s": listed_cpu,
            "cpu_at_first_search_s": searched_cpu,
            "first_hit_mal": results[0].get("ids", {}).get("mal"),
        }
    except (ServerFailed, OSError) as exc:  # OSError: a broken pipe to a server that died
        _close_quietly(process.stdin)
        end(process, 10)
        errors.seek(0)
        raise ServerFailed(f"{exc}: {errors.read()[-600:].strip()}") from None
    finally:
        watchdog.cancel()
        _close_quietly(process.stdin)
        end(process, 10)
        errors.close()


def _console_script(tree: str | None) -> list[str]:
    """The ``anime-mcp`` console script as it runs ``tree``'s code: this install's script, or, for a tree
    from before the script started at ``entrypoints/launch.py``, what the script then was (the command's
    ``main``, which ``-m anime_mcp.entrypoints.cli`` runs)."""
    if tree is None or (Path(tree) / "anime_mcp" / "entrypoints" / "launch.py").exists():
        return [ANIME_MCP]
    return [sys.executable, "-m", "anime_mcp.entrypoints.cli"]


def _close_quietly(stream: IO[str]) -> None:
    with contextlib.suppress(OSError):  # the server is gone: its end of the pipe is closed already
        stream.close()
