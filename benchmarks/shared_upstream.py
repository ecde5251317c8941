"""Shared upstream: N identical concurrent requests spread over two ``anime-mcp serve`` processes that share
one Redis should reach the upstream exactly once (issue #10); without Redis each process asks once.

A thin wrapper around ``anime-mcp bench shared-upstream`` (entrypoints/bench/workloads/replayed_upstream.py):

    .venv/bin/python benchmarks/shared_upstream.py [--requests 100] [--latency 0.2]

runs ``anime-mcp bench shared-upstream [--param requests=100] [--param latency=0.2]``. Self-contained: its
own home, Kitsu's real Death Note answer from ../shared/fixtures replayed as the upstream, a throwaway
``redis-server``, in the bench workdir. The notes give the upstream requests of each burst (one Redis cold
and warm, no Redis cold); the JSON's details each burst's failures and latencies; the table's p50/p95 are
the cold burst with one Redis.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("shared-upstream"))
