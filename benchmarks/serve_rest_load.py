"""REST load from a Python client: a thin wrapper around ``anime-mcp bench serve-rest-load``.

``POST /api/query`` latency (p50, p95, p99) and throughput with N concurrent clients (httpx, each one request
at a time on its own connection) on loopback, against a real ``anime-mcp serve`` process.

    .venv/bin/python benchmarks/serve_rest_load.py --home DIR [--clients 32] [--seconds 20]
    # = ANIME_MCP_HOME=DIR anime-mcp bench serve-rest-load --param clients=32 --param seconds=20

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue; set ANIME_MCP_MODEL as for any command.
The queries are the judged queries of benchmarks/search_queries.json (titles in several scripts, typos,
descriptions, some with filters), cycled.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("serve-rest-load"))
