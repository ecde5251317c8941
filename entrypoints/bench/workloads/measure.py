"""Small measuring helpers the host workloads share (percentiles, timed loops, a process's CPU time from
/proc); the table-making of the old scripts is the bench report's job now."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from anime_mcp.entrypoints.bench.runner import percentile as sorted_percentile


def percentile(samples: Sequence[float], q: float) -> float:
    """The bench's nearest-rank percentile (``runner.percentile``) of samples in any order."""
    return sorted_percentile(sorted(samples), q)


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
