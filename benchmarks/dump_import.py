"""Importing a bulk dump and embedding its new texts, against embedding those texts alone (issue 14: at most
1.3 x the embedding alone, and under 6 minutes on the 2-core machine with the int8 model).

A thin wrapper around `anime-mcp bench dump-import`:

    ANIME_MCP_MODEL=INT8_MODEL .venv/bin/python benchmarks/dump_import.py --home BASE [--dump FILE] [--json]
    = ANIME_MCP_HOME=BASE ANIME_MCP_MODEL=INT8_MODEL anime-mcp bench dump-import [--param dump=FILE] [--json]

BASE is a home where `anime-mcp ingest` stored and indexed the catalogue with that model and nothing was
enriched yet. The workload copies its catalogue and index (not its enrichment store) into a temporary
folder (BASE is never changed), then runs `anime-mcp enrich --dump FILE --json` there as a user would,
timed from spawn to exit, and embeds the same content texts alone in the bench process with the same model
through the same bulk path. It reports both times, their ratio and the phases the command reported.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("dump-import"))
