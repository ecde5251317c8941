"""Soak: a thin wrapper around ``anime-mcp bench serve-soak``.

``wrk`` with 100 connections for 60 s against ``anime-mcp serve`` on loopback, in 10-s slices (one wrk run
each, back to back on the same server): errors (socket errors and non-2xx answers), p50/p99 per slice (is
latency stable over time?) and the server's RSS at the start, after each slice and at the end (does memory
grow without bound?).

    .venv/bin/python benchmarks/serve_soak.py --home DIR [--connections 100] [--seconds 60] [--slice 10]
    # = ANIME_MCP_HOME=DIR anime-mcp bench serve-soak --param connections=100 --param seconds=60 ...

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue; set ANIME_MCP_MODEL as for any command.
Needs ``wrk`` on PATH (Debian: ``apt-get install wrk``). The requests are ``POST /api/query`` with the judged
queries of benchmarks/search_queries.json, cycled. The slices are in the report's details (``--json``).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("serve-soak"))
