"""Catalogue benchmark: full ingest time, store open time, lookup latency by id, URL and title.

Run: .venv/bin/python benchmarks/catalogue.py [--catalogue PATH] [--lookups N]
The baseline, measured in the same run, is what a tool without a store does: re-read the release file to
answer one lookup.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stats import markdown_table, summary_ms, time_each

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.references import canonical_url
from anime_mcp.core.services.catalogue import ingest_file, lookup

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anime-offline-database.jsonl.zst"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=DEFAULT)
    parser.add_argument("--lookups", type=int, default=3000)
    args = parser.parse_args()
    rng = random.Random(1535)

    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteCatalogueStore(Path(tmp))
        start = time.perf_counter()
        report = ingest_file(args.catalogue, [AodJsonlReader()], store)
        ingest_s = time.perf_counter() - start

        start = time.perf_counter()
        store.close()
        store.stats()
        open_ms = (time.perf_counter() - start) * 1e3

        entries = list(store.entries())
        picks = rng.sample(entries, min(args.lookups, len(entries)))
        by_id = [str(rng.choice(e.sources)) for e in picks]
        by_url = [canonical_url(rng.choice(e.sources)) for e in picks]
        by_title = [e.title for e in picks]

        def cold(reference: str) -> object:
            store._load.cache_clear()  # measure the store, not the LRU in front of it
            return lookup(store, reference)

        rows = []
        for name, refs in (("platform id (mal:1535)", by_id), ("URL", by_url), ("title", by_title)):
            cold_stats = summary_ms(time_each(cold, refs))
            warm_stats = summary_ms(time_each(lambda r: lookup(store, r), refs))
            rows.append(
                (
                    name,
                    cold_stats["n"],
                    cold_stats["median_ms"],
                    cold_stats["p95_ms"],
                    warm_stats["median_ms"],
                    warm_stats["p95_ms"],
                )
            )

        target = by_id[0]
        start = time.perf_counter()
        for entry in AodJsonlReader().read(args.catalogue, strict=False).entries:
            if target in {str(s) for s in entry.sources}:
                break
        baseline_ms = (time.perf_counter() - start) * 1e3
        store.close()

    print(f"catalogue: {args.catalogue} ({report.stats.entries:,} entries, {report.stats.skipped} skipped)")
    print(f"full ingest: {ingest_s:.2f} s; store open + stats: {open_ms:.2f} ms")
    print(
        markdown_table(
            ["lookup by", "n", "cold median ms", "cold p95 ms", "warm median ms", "warm p95 ms"], rows
        )
    )
    print(
        f"baseline, re-reading the release to answer one lookup ({target}): {baseline_ms:.0f} ms "
        f"= {baseline_ms / rows[0][3]:.0f}x the store's cold p95"
    )


if __name__ == "__main__":
    main()
