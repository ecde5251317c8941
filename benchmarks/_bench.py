"""What every script in benchmarks/ is: a thin wrapper that runs ``anime-mcp bench`` on one workload or group.

A script keeps its old command line. Its own options become workload settings (``--seconds 15`` ->
``--param seconds=15``; a bare flag such as ``--cold`` -> ``--param cold=true``); the bench command's own
options pass through unchanged, and ``--home DIR`` sets ANIME_MCP_HOME as the scripts always did. So

    .venv/bin/python benchmarks/serve_wrk.py --home DIR --base /tmp/base-4d5136f

runs exactly ``ANIME_MCP_HOME=DIR anime-mcp bench serve-wrk --param base=/tmp/base-4d5136f``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

# The bench command's own options: passed through as they are (those that take a value, then flags).
BENCH_OPTIONS = frozenset(
    {
        "--embedders",
        "--indexes",
        "--caches",
        "--sources",
        "--recordings",
        "--replay-latency",
        "--replay-faults",
        "--redis-url",
        "--judged",
        "--shared",
        "--catalogue",
        "--ingest-entries",
        "--repeat",
        "--workdir",
        "--out",
    }
)
BENCH_FLAGS = frozenset({"--json", "--rebuild", "--list"})


def bench_arguments(workloads: Sequence[str], argv: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """(the ``anime-mcp bench`` arguments, environment variables to set) for a script's command line."""
    args: list[str] = ["bench", *workloads]
    env: dict[str, str] = {}
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        name, sep, inline = token.partition("=")
        if not name.startswith("--") and name != "-h":
            raise SystemExit(f"unexpected argument {token!r}: options are written --name VALUE")
        if name in BENCH_FLAGS or name in {"-h", "--help"}:
            args.append("--list" if name in {"-h", "--help"} else name)
            continue
        takes_value = bool(sep) or (bool(tokens) and not tokens[0].startswith("--"))
        value = inline if sep else (tokens.pop(0) if takes_value else "true")
        if name == "--home":
            env["ANIME_MCP_HOME"] = value
        elif name in BENCH_OPTIONS:
            args += [name, value]
        else:
            args += ["--param", f"{name[2:].replace('-', '_')}={value}"]
    return args, env


def run(*workloads: str, argv: Sequence[str] | None = None) -> int:
    """Run the bench command in this process on ``workloads`` with the script's command line."""
    from anime_mcp.entrypoints.cli.app import cli

    args, env = bench_arguments(workloads, sys.argv[1:] if argv is None else argv)
    os.environ.update(env)
    try:
        cli.main(args=args, prog_name="anime-mcp")
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0
