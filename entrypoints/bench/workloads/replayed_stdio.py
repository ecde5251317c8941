"""``anime-mcp mcp`` as a child process spoken to in plain JSON-RPC lines over stdio: no client library in
the measurement, only the transport and the server."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from anime_mcp.entrypoints.bench.workloads.replayed_deployment import CLI, DeploymentError
from anime_mcp.entrypoints.bench.workloads.serve_processes import end, receive, send

PROTOCOL = "2025-06-18"


class StdioServer:
    """One ``anime-mcp mcp``; ``tree`` runs an older checkout's code (``import_tree``) with this venv."""

    def __init__(self, env: dict[str, str], tree: Path | None = None) -> None:
        if tree is not None:
            env = {**env, "PYTHONPATH": str(tree)}
        self.process = subprocess.Popen(
            [*CLI, "mcp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        self.next_id = 0

    @property
    def pid(self) -> int:
        return self.process.pid

    def initialize(self) -> None:
        client = {"name": "anime-mcp bench", "version": "1"}
        self.request("initialize", {"protocolVersion": PROTOCOL, "capabilities": {}, "clientInfo": client})
        self.notify("notifications/initialized")

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        self.next_id += 1
        send(stdin, {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return receive(stdout, self.next_id)

    def notify(self, method: str) -> None:
        assert self.process.stdin is not None
        send(self.process.stdin, {"jsonrpc": "2.0", "method": method})

    def call(self, tool: str, arguments: dict[str, Any]) -> tuple[float, dict[str, Any]]:
        """(seconds from request to answer, the tool's structured answer)."""
        started = time.perf_counter()
        answer = self.request("tools/call", {"name": tool, "arguments": arguments})
        seconds = time.perf_counter() - started
        result: dict[str, Any] = answer.get("result") or {}
        if "error" in answer or result.get("isError"):
            raise DeploymentError(f"{tool} {arguments} failed: {answer}")
        return seconds, result["structuredContent"]

    def close(self) -> None:
        if self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()  # the server ends at the end of its input
        end(self.process, 10)
