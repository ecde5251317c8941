"""seasonal_anime offline: a past season answered from the catalogue, through the tool catalogue, in process.

A thin wrapper around `anime-mcp bench seasonal-offline`:

    .venv/bin/python benchmarks/seasonal_offline.py [--catalogue PATH] [--calls N]
    = anime-mcp bench seasonal-offline [--catalogue PATH] [--param calls=N]

The release (default ../shared/data/anime-offline-database.jsonl.zst) is ingested into a SQLite store in a
temporary home (no source plugin loaded: the offline answer alone). The first call builds the season index
of the store (once per catalogue snapshot; reported apart); then N calls ask random past seasons (1990-2024)
with the tool's defaults (25 results by score), half of them with a format filter. Target: p95 under 50 ms.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("seasonal-offline"))
