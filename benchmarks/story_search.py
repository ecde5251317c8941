"""Story search quality: a thin wrapper around ``anime-mcp bench`` on the story workloads (quality group).

recall@10 and MRR of the judged plot descriptions (benchmarks/story_queries.json, written in our own words)
for hybrid, story (hybrid weighted to the story's words and the content vector: what the planner's narrative
intent asks for), dense and sparse search (``story-queries-MODE``, the misses in ``details``), plus the issue
14 Done-when query (``story-done-when``), and the latency of hybrid search on the judged title/tag queries
(benchmarks/search_queries.json) against this index with its content vectors (``story-title-latency``).

Every mode is warmed up first on other text (the first 20 title/tag queries, never timed): the model's first
calls and the engine's first reads are start-up, not search.

Needs a home where `anime-mcp ingest` stored and indexed the catalogue (and, for the "after" figure,
`anime-mcp enrich --dump ../shared/data/mal-details.jsonl.zst` filled the enrichment store):

    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=DIR .venv/bin/python benchmarks/story_search.py [--json]
    # = anime-mcp bench story-queries-hybrid story-queries-story story-queries-dense story-queries-sparse \\
    #       story-title-latency story-done-when [--json]
"""

from __future__ import annotations

import sys
from pathlib import Path

WORKLOADS = (
    "story-queries-hybrid",
    "story-queries-story",
    "story-queries-dense",
    "story-queries-sparse",
    "story-title-latency",
    "story-done-when",
)

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run(*WORKLOADS))
