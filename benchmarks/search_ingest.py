"""Full ingest of the 36k catalogue with embedding and indexing, timed as a user runs it (issue 3).

A thin wrapper around `anime-mcp bench search-ingest`:

    .venv/bin/python benchmarks/search_ingest.py --model ../shared/models/all-MiniLM-L6-v2-onnx [--int8]
    = anime-mcp bench search-ingest --param model=../shared/models/all-MiniLM-L6-v2-onnx [--param int8=true]

Runs `anime-mcp ingest --json` in a fresh ANIME_MCP_HOME (a folder in the bench workdir unless --home is
given: here --home is where to build, so it becomes `--param home=DIR`) and reports the wall time of the
whole command and the split reported by ingest (catalogue store, index). With --int8 the model is first
quantised (per-channel int8, `anime-mcp models quantize`) into the home, and the cosine between fp32 and
int8 vectors is reported for a sample of catalogue documents. Without --model: the configured embedder.
"""

from __future__ import annotations

import sys
from pathlib import Path


def split_home(argv: list[str]) -> tuple[list[str], list[str]]:
    """(the other options, the bench arguments for --home): this script's --home is where to build, the
    workload's ``home`` setting, not the home the bench composes."""
    rest, home = [], []
    tokens = list(argv)
    while tokens:
        token = tokens.pop(0)
        name, sep, value = token.partition("=")
        if name == "--home" and (sep or tokens):
            home = ["--param", f"home={value if sep else tokens.pop(0)}"]
        else:
            rest.append(token)
    return rest, home


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    rest, home = split_home(sys.argv[1:])
    raise SystemExit(run("search-ingest", *home, argv=rest))  # click reads the --param after the name
