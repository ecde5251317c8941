"""Search quality and speed on the full catalogue, all in one run (issue 3, docs/benchmarks.md "Search"): a
thin wrapper around ``anime-mcp bench`` on the rankings of the quality group.

Needs a home where `anime-mcp ingest` has stored and indexed the catalogue, and the model it was built with:

    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=../shared/models/all-MiniLM-L6-v2-onnx \\
        .venv/bin/anime-mcp ingest --source ../shared/data/anime-offline-database.jsonl.zst
    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=../shared/models/all-MiniLM-L6-v2-onnx \\
        .venv/bin/python benchmarks/search_quality.py [--repeat 3] [--hnsw-sample 200] [--queries FILE]
    # = anime-mcp bench ranking-dense ranking-sparse ranking-hybrid ranking-rrf ranking-dbsf fuzzy-baseline \\
    #       hybrid-filters similar-references query-embedding hnsw-recall --repeat 3 --param hnsw_sample=200

Reports, over the judged queries of benchmarks/search_queries.json:
- recall@10 and MRR for dense-only, sparse-only, hybrid (the default ranking), the engine's RRF and DBSF
  fusions, and a fuzzy-title baseline (rapidfuzz WRatio over every title and synonym, as a simple server
  would do), overall and per kind of query (``details.per_kind``);
- the Done-when checks of issue 3 (``ranking-hybrid``: ``details.done_when``);
- in-process latency p50/p95 (query embedding included) for every ranking, hybrid + filters, similar, and
  the query embedding alone;
- HNSW recall@10 against exact search on the real embeddings (``hnsw-recall``).

``--json FILE`` writes the bench report as JSON to FILE (instead of the table); the figures are also in the
report files under ``--out DIR`` (see ``anime-mcp bench --list``).
"""

from __future__ import annotations

import sys
from contextlib import redirect_stdout
from pathlib import Path

WORKLOADS = (
    "ranking-dense",
    "ranking-sparse",
    "ranking-hybrid",
    "ranking-rrf",
    "ranking-dbsf",
    "fuzzy-baseline",
    "hybrid-filters",
    "similar-references",
    "query-embedding",
    "hnsw-recall",
)


def json_file(argv: list[str]) -> tuple[list[str], Path | None]:
    """The old ``--json FILE`` (write every figure to FILE) as the bench's ``--json`` and that file."""
    tokens = list(argv)
    for i, token in enumerate(tokens):
        if token.startswith("--json="):
            return [*tokens[:i], "--json", *tokens[i + 1 :]], Path(token.removeprefix("--json="))
        if token == "--json" and i + 1 < len(tokens) and not tokens[i + 1].startswith("--"):
            return [*tokens[:i], "--json", *tokens[i + 2 :]], Path(tokens[i + 1])
    return tokens, None


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    argv, target = json_file(sys.argv[1:])
    if target is None:
        raise SystemExit(run(*WORKLOADS, argv=argv))
    with target.open("w", encoding="utf-8") as written, redirect_stdout(written):
        code = run(*WORKLOADS, argv=argv)
    raise SystemExit(code)
