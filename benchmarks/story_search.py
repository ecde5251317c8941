"""Story search quality: recall@10 and MRR of the judged plot descriptions (benchmarks/story_queries.json,
written in our own words) for hybrid, story (hybrid weighted to the story's words and the content vector:
what the planner's narrative intent asks for), dense and sparse search, plus the issue 14 Done-when query,
and the latency of hybrid search on the judged title/tag queries (benchmarks/search_queries.json) against
this index with its content vectors.

Every mode is warmed up first on other text (the first 20 title/tag queries, never timed): the model's first
calls and the engine's first reads are start-up, not search, and the embedder keeps query vectors, so the
timed queries must not be the warm-up's.

Needs a home where `anime-mcp ingest` stored and indexed the catalogue (and, for the "after" figure,
`anime-mcp enrich --dump ../shared/data/mal-details.jsonl.zst` filled the enrichment store):

    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=DIR .venv/bin/python benchmarks/story_search.py [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from anime_mcp.core.filters import SearchMode
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.runtime import Runtime

QUERIES = Path(__file__).with_name("story_queries.json")
TITLE_QUERIES = Path(__file__).with_name("search_queries.json")
WARM_UP = 20  # title/tag queries used to warm up, never timed
DONE_WHEN = "a student finds a notebook that kills anyone whose name is written in it"
DEATH_NOTE = "mal-1535"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    queries: list[dict[str, Any]] = json.loads(QUERIES.read_text(encoding="utf-8"))["queries"]
    titles: list[str] = [q["query"] for q in json.loads(TITLE_QUERIES.read_text(encoding="utf-8"))["queries"]]
    service = Runtime(bootstrap()).search()
    for mode in (SearchMode.HYBRID, SearchMode.STORY, SearchMode.DENSE, SearchMode.SPARSE):
        for text in titles[:WARM_UP]:
            service.search(text, limit=10, mode=mode)
    report: dict[str, Any] = {"queries": len(queries), "warm_up_queries": WARM_UP}
    for mode in (SearchMode.HYBRID, SearchMode.STORY, SearchMode.DENSE, SearchMode.SPARSE):
        ranks: list[int | None] = []
        took: list[float] = []
        misses: list[str] = []
        for query in queries:
            started = time.perf_counter()
            found = [r.entry.anime_id for r in service.search(query["query"], limit=10, mode=mode)]
            took.append((time.perf_counter() - started) * 1000)
            rank = next((i for i, a in enumerate(found, 1) if a in query["relevant"]), None)
            ranks.append(rank)
            if rank is None:
                misses.append(query["relevant"][0])
        report[mode.value] = {
            "recall@10": round(sum(r is not None for r in ranks) / len(ranks), 3),
            "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3),
            "p50_ms": round(statistics.median(took), 1),
            "p95_ms": round(statistics.quantiles(took, n=20)[18], 1),
            "misses": misses,
        }
    title_took: list[float] = []
    for text in titles[WARM_UP:]:
        started = time.perf_counter()
        service.search(text, limit=10, mode=SearchMode.HYBRID)
        title_took.append((time.perf_counter() - started) * 1000)
    report["hybrid_title_queries"] = {
        "queries": len(title_took),
        "p50_ms": round(statistics.median(title_took), 1),
        "p95_ms": round(statistics.quantiles(title_took, n=20)[18], 1),
    }
    found = [r.entry.anime_id for r in service.search(DONE_WHEN, limit=50)]
    top = service.search(DONE_WHEN, limit=3)
    report["done_when"] = {
        "query": DONE_WHEN,
        "top3": [f"{r.entry.anime_id} {r.entry.title}" for r in top],
        "death_note_rank": found.index(DEATH_NOTE) + 1 if DEATH_NOTE in found else None,
    }
    report["index_has_content"] = service.index.manifest.spec.has_content
    report["index_story_words"] = service.index.manifest.spec.content_lexical  # the story encoder, or None
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for mode in ("hybrid", "story", "dense", "sparse"):
            row = report[mode]
            print(
                f"{mode:7} recall@10 {row['recall@10']:.3f}  MRR {row['mrr']:.3f}  p50/p95 "
                f"{row['p50_ms']}/{row['p95_ms']} ms  misses {len(row['misses'])}"
            )
        row = report["hybrid_title_queries"]
        print(f"hybrid on {row['queries']} title/tag queries: p50/p95 {row['p50_ms']}/{row['p95_ms']} ms")
        print("done-when top 3:", "; ".join(report["done_when"]["top3"]))
        print("done-when Death Note rank:", report["done_when"]["death_note_rank"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
