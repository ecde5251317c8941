"""REST load with ``wrk``: a thin wrapper around ``anime-mcp bench serve-wrk``.

``POST /api/query`` cycling the judged questions, 2 threads, 32 connections, 15 s per run, 3 rounds;
requests/s, latency percentiles, server CPU per request and RSS per run and the median per server.

    .venv/bin/python benchmarks/serve_wrk.py --home DIR [--workers 1] [--rounds 3]
    # = ANIME_MCP_HOME=DIR anime-mcp bench serve-wrk --param workers=1 --param rounds=3
    # side by side with an older commit, runs interleaved (base, new, base, new, ...):
    git worktree add /tmp/base-4d5136f 4d5136f
    .venv/bin/python benchmarks/serve_wrk.py --home DIR --base /tmp/base-4d5136f

``--env KEY=VALUE`` (repeatable; ``--param env=KEY=VALUE`` to the bench command, repeatable too) goes to
the new server only, e.g. ANIME_MCP_ANSWER_CACHE=0. ``--search-baseline`` adds the CPU of an in-process hybrid
search per question and the server's ratio to it (issue 15: at most 1.5 x); ``--settle N`` each server's RSS
N seconds after start and after its first question. Set ANIME_MCP_MODEL as for any command. The figures are
in the bench report (table, ``--json``, ``--out DIR``): see ``anime-mcp bench --list``.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("serve-wrk"))
