"""seasonal_anime offline: a past season answered from the catalogue, through the tool catalogue, in process.

Run: .venv/bin/python benchmarks/seasonal_offline.py [--catalogue PATH] [--calls N]

The real catalogue is ingested into a SQLite store in a temporary home (no source plugin loaded: the offline
answer alone). The first call builds the season index of the store (once per catalogue snapshot; reported
apart); then N calls ask random past seasons (1990-2024) with the tool's defaults
(25 results by score), half of them with a format filter. Target: p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio
from stats import markdown_table, summary_ms

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.services.catalogue import ingest_file
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.entrypoints.tools import build_tools

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "anime-offline-database.jsonl.zst"
SEASONS = ("WINTER", "SPRING", "SUMMER", "FALL")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", type=Path, default=DEFAULT)
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(2017)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteCatalogueStore(Path(tmp))
        report = ingest_file(args.catalogue, [AodJsonlReader()], store)
        settings = Settings.load({"ANIME_MCP_HOME": tmp, "ANIME_MCP_LOAD_PLUGINS": ""})
        runtime = Runtime(bootstrap(settings, overrides=Overrides(catalogue=lambda: store)))
        tools = build_tools(runtime)

        async def ask(arguments: dict[str, object]) -> float:
            start = time.perf_counter()
            await tools.call(runtime, "seasonal_anime", arguments)
            return time.perf_counter() - start

        async def run() -> tuple[float, list[float], list[float]]:
            first = await ask({"year": 2017, "season": "FALL"})
            plain, filtered = [], []
            for n in range(args.calls):
                call = {"year": rng.randint(1990, 2024), "season": rng.choice(SEASONS)}
                if n % 2:
                    filtered.append(await ask({**call, "type": "TV", "sort": "popularity"}))
                else:
                    plain.append(await ask(call))
            print(f"season index: built in {first:.2f} s by the first call (once per catalogue snapshot)")
            return first, plain, filtered

        _, plain, filtered = anyio.run(run)
        store.close()
    print(f"catalogue: {args.catalogue} ({report.stats.entries:,} entries)")
    rows = []
    for name, samples in (("past season, 25 by score", plain), ("past season, TV, by popularity", filtered)):
        stats = summary_ms(samples)
        rows.append((name, stats["n"], stats["median_ms"], stats["p95_ms"], stats["max_ms"]))
        print(f"{name}: p50 {stats['median_ms']:.2f} ms, p95 {stats['p95_ms']:.2f} ms")
    print(
        markdown_table(
            ("seasonal_anime (tool call, in process)", "calls", "p50 ms", "p95 ms", "max ms"), rows
        )
    )


if __name__ == "__main__":
    main()
