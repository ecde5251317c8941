"""Fingerprinting and bulk-embedding throughput on an ingested home, to compare two checkouts on one machine.

A thin wrapper around `anime-mcp bench embed-throughput`:

    ANIME_MCP_HOME=/path/to/home .venv/bin/python benchmarks/embed_throughput.py [--model NAME] [--every 9]
    = ANIME_MCP_HOME=/path/to/home anime-mcp bench embed-throughput [--param model=NAME] [--param every=9]

Reads the catalogue store of the home, fingerprints every entry (the scan phase of indexing) and embeds
every Nth entry's document in the embedder's own order (BulkEmbedder): seconds and documents/s. Run it from
each checkout's own venv in the same minute: machine speed varies between days.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("embed-throughput"))
