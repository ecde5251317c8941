"""Query planner speed and quality on the judged development set (issue 11, docs/benchmarks.md "Planner").

A thin wrapper around `anime-mcp bench planner-speed`:

    .venv/bin/python benchmarks/planner_speed.py [--repeat 200]
    = anime-mcp bench planner-speed --repeat 200

Reads the full catalogue (../shared/data), builds the planner's vocabulary (timed), scores
../shared/queries/dev.jsonl per key (entrypoints/bench/workloads/planner_scoring.py), then plans every
question once per timed pass (`--repeat` passes: 200 unless given, as the script always did; the bench
command's own default is 3) and reports p50/p95/max per question, and the time for 100 kB of noise.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    given = sys.argv[1:]
    repeat = [] if any(a.split("=")[0] == "--repeat" for a in given) else ["--repeat", "200"]
    raise SystemExit(run("planner-speed", argv=[*given, *repeat]))
