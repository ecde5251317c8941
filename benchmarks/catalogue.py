"""Catalogue benchmark: full ingest time, store open time, lookup latency by id, URL and title, cold and warm;
the baseline, measured in the same run, is what a tool without a store does: re-read the release file to
answer one lookup.

A thin wrapper around `anime-mcp bench catalogue`:

    .venv/bin/python benchmarks/catalogue.py [--catalogue PATH] [--lookups N]
    = anime-mcp bench catalogue [--catalogue PATH] [--param lookups=N]

The release defaults to ../shared/data/anime-offline-database.jsonl.zst (bench --shared).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("catalogue"))
