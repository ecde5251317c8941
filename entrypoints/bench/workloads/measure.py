"""Small measuring helpers the host workloads share (percentiles, timed loops, a process's CPU time from
/proc); the table-making of the old scripts is the bench report's job now."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def time_each(fn: Callable[[Any], object], inputs: Iterable[Any]) -> list[float]:
    """Seconds per call, one sample per input."""
    samples = []
    for item in inputs:
        start = time.perf_counter()
        fn(item)
        samples.append(time.perf_counter() - start)
    return samples


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(samples),
        "median_ms": statistics.median(samples) * 1e3,
        "p95_ms": percentile(samples, 95) * 1e3,
        "max_ms": max(samples) * 1e3,
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far (every thread), from /proc (Linux; OSError elsewhere
    or once the process is gone)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (proc(5) 14, 15)


def with_children(pid: int) -> list[int]:
    """``pid`` and its child processes (``serve --workers``)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]
