"""Similar-anime quality: a thin wrapper around ``anime-mcp bench similar-quality``.

hit@10 and precision@10 on the judged set (benchmarks/similar_queries.json, our own list of what fans and the
platforms' recommendation pages name as similar), before (the title-document vector with the notability
prior) and after (core.similarity, each similarity_type) side by side.

A result counts when it is a judged anime or another entry of a judged anime's franchise (a sequel, the
film); the seed's own franchise never counts and is left out of both rankings. Needs a home where
`anime-mcp ingest` indexed the catalogue and `anime-mcp enrich --dump ...` filled the enrichment store:

    ANIME_MCP_HOME=/tmp/enrich-home ANIME_MCP_MODEL=DIR .venv/bin/python benchmarks/similar_quality.py \\
        [--cold] [--show TITLE] [--json]
    # = anime-mcp bench similar-quality [--param cold=true] [--param show=TITLE] [--json]

Times are per call in process (p50 and p95 over the seeds: the row's samples are the default ranking's,
each ranking's own are in ``details``). Each ranking runs seed by seed, all rankings of one seed in turn, so
a noisy machine slows them alike; ``--cold`` empties the similar-anime cache (what the service reads once
per snapshot) before every call; ``--show TITLE`` adds the default ranking's top 10 of the seeds with TITLE
in their title (``details.shown``). The ``visual`` kind needs poster vectors (`anime-mcp index-images`) and
is reported as skipped without them. ``--repeat N`` (default 3) runs the seeds N times after a warm-up.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("similar-quality"))
