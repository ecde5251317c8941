"""Cold start of ``anime-mcp mcp``: a thin wrapper around ``anime-mcp bench serve-mcp-start``.

From spawning the process to the answer of ``tools/list``, over stdio, with plain JSON-RPC lines (no client
library in the measurement); also the first ``search_anime`` answer after that, and the server's CPU time
(user + system, all its threads, from /proc) at both moments: on a busy machine the wall clock measures the
neighbours, while the CPU time spent before an answer bounds from below what a quiet machine takes.

    .venv/bin/python benchmarks/serve_mcp_start.py --home DIR [--runs 10] [--baseline TREE]
    # = ANIME_MCP_HOME=DIR anime-mcp bench serve-mcp-start --param runs=10 [--param baseline=TREE]

DIR is an ANIME_MCP_HOME with an ingested and indexed catalogue; set ANIME_MCP_MODEL as for any command.
``--baseline TREE`` measures another version side by side, run for run alternately: TREE holds an
``anime_mcp`` package of that version, put first on ``PYTHONPATH``, e.g.::

    mkdir -p /tmp/base/anime_mcp && touch /tmp/base/anime_mcp/__init__.py
    git archive COMMIT core ports adapters plugins entrypoints | tar -x -C /tmp/base/anime_mcp
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("serve-mcp-start"))
