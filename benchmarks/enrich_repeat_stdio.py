"""A repeated enrichment served from L1, over MCP stdio, end to end: ``get_anime_details mal:1535`` repeated
against ``get_anime_by_id mal:1535`` (the transport's baseline) interleaved in one ``anime-mcp mcp``; the
difference of the medians is what an enrichment served from L1 costs over the transport (the target: at most
1 ms), and the server's own CPU per call beside it.

A thin wrapper around ``anime-mcp bench enrich-repeat-stdio``
(entrypoints/bench/workloads/replayed_repeat.py):

    .venv/bin/python benchmarks/enrich_repeat_stdio.py [--repeats 200] [--fields synopsis,score,episodes]
                                                       [--base OLDER_CHECKOUT]

runs ``anime-mcp bench enrich-repeat-stdio [--param repeats=200] [--param fields=synopsis,score,episodes]
[--param base=OLDER_CHECKOUT]``. Self-contained: its own home (Death Note from ../shared/data/examples) and
Kitsu's and AniDB's recordings from ../shared/fixtures in the bench workdir. The table's p50/p95 are the
repeated get_anime_details; the notes give the p50 difference and the CPU difference; the JSON's details
every figure per server (this checkout, and the base checkout when given).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("enrich-repeat-stdio"))
