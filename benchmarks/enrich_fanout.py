"""Enrichment fan-out: four sources replayed with injected latency each; the merged ``get_anime_details``
answer should arrive in about the time of the slowest source, not the sum (issue #10: at most 1.3 x).

A thin wrapper around ``anime-mcp bench enrich-fanout`` (entrypoints/bench/workloads/replayed_fanout.py):

    .venv/bin/python benchmarks/enrich_fanout.py [--latency 0.2] [--rounds 20]

runs ``anime-mcp bench enrich-fanout [--param latency=0.2] [--param rounds=20]``. Self-contained: its own
home and recordings from ../shared/fixtures in the bench workdir, one ``anime-mcp serve`` replaying them.
The table's p50/p95 are all four sources together; the notes give together / the slowest alone; the JSON's
details every source alone, the sum of their medians and both ratios.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("enrich-fanout"))
