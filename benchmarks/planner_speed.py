"""Query planner speed and quality on the judged development set (issue 11, docs/benchmarks.md "Planner").

    .venv/bin/python benchmarks/planner_speed.py [--repeat 200]

Reads the full catalogue (../shared/data), builds the planner's vocabulary (timed), scores
../shared/queries/dev.jsonl per key (tests/planner_scoring.py), then plans every question ``--repeat`` times
and reports p50/p95/max per question, and the time for 100 kB of noise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from planner_scoring import load_cases, score  # noqa: E402
from shared_data import CATALOGUE, SHARED  # noqa: E402

from anime_mcp.adapters.aod_reader import AodJsonlReader  # noqa: E402
from anime_mcp.adapters.title_spotter import CatalogueVocabulary  # noqa: E402
from anime_mcp.core.planning import plan  # noqa: E402

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    entries = list(AodJsonlReader().read(CATALOGUE, strict=False).entries)
    started = time.perf_counter()
    vocabulary = CatalogueVocabulary(entries)
    print(f"vocabulary: {len(entries)} entries built in {time.perf_counter() - started:.2f} s")
    cases = load_cases(SHARED / "queries" / "dev.jsonl")
    print(score(cases, lambda q: plan(q, vocabulary=vocabulary, now=NOW).to_json()).report())
    timings = []
    for case in cases:
        for _ in range(args.repeat):
            begun = time.perf_counter()
            plan(case["q"], vocabulary=vocabulary, now=NOW)
            timings.append((time.perf_counter() - begun) * 1000)
    timings.sort()
    p50, p95 = statistics.median(timings), timings[int(len(timings) * 0.95)]
    print(
        f"plan per question over {len(cases)} x {args.repeat}: p50 {p50:.3f} ms, p95 {p95:.3f} ms, "
        f"max {timings[-1]:.3f} ms"
    )
    noise = "lorem ipsum \x00\ud800 " * 7000
    begun = time.perf_counter()
    plan(noise, vocabulary=vocabulary, now=NOW)
    print(f"100 kB of noise: {(time.perf_counter() - begun) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
