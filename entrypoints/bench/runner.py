"""Run workloads over configurations: one warm-up pass under tracemalloc (peak memory), then ``repeat``
timed passes (a workload's own ``warm_up`` and ``passes`` win); latency percentiles, throughput and quality
side by side, one row per (workload, configuration)."""

from __future__ import annotations

import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import structlog
from attrs import define, field

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench.configurations import Choices, Configuration
from anime_mcp.entrypoints.bench.context import BenchContext
from anime_mcp.ports.workload import ADAPTER_KINDS, Workload, WorkloadResult

Progress = Callable[[str], None]
log = structlog.get_logger("anime_mcp.bench")


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted samples."""
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def max_rss_mib() -> float:
    """The process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@define
class Row:
    """One workload against one configuration."""

    workload: str
    varied: str  # the adapter kind varied, or "baseline"
    label: str
    figures: dict[str, Any] = field(factory=dict)
    quality: dict[str, float] = field(factory=dict)
    extra: dict[str, Any] = field(factory=dict)
    samples_ms: list[float] = field(factory=list)
    skipped: str | None = None
    details: dict[str, Any] = field(factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "varied": self.varied,
            "configuration": self.label,
            **self.figures,
            "quality": self.quality,
            "extra": self.extra,
            "skipped": self.skipped,
            "details": self.details,
            "samples_ms": [round(s, 3) for s in self.samples_ms],
        }


def figures(samples: Sequence[float], wall: float) -> dict[str, Any]:
    ordered = sorted(samples)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 50) * 1000, 3),
        "p95_ms": round(percentile(ordered, 95) * 1000, 3),
        "p99_ms": round(percentile(ordered, 99) * 1000, 3),
        "throughput_per_s": round(len(ordered) / wall, 2) if wall > 0 else None,
    }


def measure(
    workload: Workload, context: BenchContext, repeat: int
) -> tuple[WorkloadResult, dict[str, Any], list[float]]:
    """Warm-up under tracemalloc (Python heap peak; native memory shows in the process peak), then the
    timed passes, whose samples and quality are reported (quality of the last pass). A workload with
    ``warm_up = False`` (a load run of a child process) is only timed, and ``passes`` fixes its count."""
    passes = getattr(workload, "passes", None) or repeat
    peak: int | None = None
    if getattr(workload, "warm_up", True):
        tracemalloc.start()
        try:
            first = workload.run(context)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        if first.skipped is not None:
            return first, {}, []
    samples: list[float] = []
    last: WorkloadResult | None = None
    started = time.perf_counter()
    for _ in range(passes):
        last = workload.run(context)
        if last.skipped is not None:
            return last, {}, []
        samples += last.samples
    wall = time.perf_counter() - started
    assert last is not None  # passes >= 1
    measured = figures(samples, wall)
    if not getattr(workload, "warm_up", True):  # its pass sets itself up: samples / wall would count that
        measured["throughput_per_s"] = None
    measured = {
        **measured,
        "peak_heap_mib": round(peak / (1024 * 1024), 2) if peak is not None else None,
        "max_rss_mib": round(max_rss_mib(), 1),
    }
    return last, measured, samples


class Contexts:
    """Composed configurations, made once and shared by every workload that runs against them."""

    def __init__(self, make: Callable[[Configuration], BenchContext]) -> None:
        self._make = make
        self._made: dict[Configuration, BenchContext | AnimeMcpError] = {}

    def get(self, config: Configuration) -> BenchContext | AnimeMcpError:
        if config not in self._made:
            try:
                self._made[config] = self._make(config)
            except AnimeMcpError as exc:  # no index, bad model, no Redis: that configuration's rows say so
                self._made[config] = exc
        return self._made[config]

    def built(self) -> list[BenchContext]:
        return [c for c in self._made.values() if isinstance(c, BenchContext)]

    def close(self) -> None:
        for context in self.built():
            context.close()


def run_workloads(
    workloads: Sequence[Workload],
    choices: Choices,
    contexts: Contexts,
    *,
    repeat: int,
    progress: Progress = lambda line: None,
) -> list[Row]:
    rows: list[Row] = []
    for workload in workloads:
        for varied, config in choices.varied([k for k in ADAPTER_KINDS if k in workload.varies]):
            label = config.value(varied) if varied != "baseline" else "baseline"
            row = Row(workload.name, varied, label)
            rows.append(row)
            progress(f"{workload.name}: {varied} {label}")
            context = contexts.get(config)
            if isinstance(context, AnimeMcpError):
                row.skipped = f"configuration failed: {context}"
                continue
            context.label = label
            try:
                result, measured, samples = measure(workload, context, repeat)
            except AnimeMcpError as exc:
                row.skipped = f"failed: {exc}"
                continue
            except Exception as exc:
                log.warning("bench.workload_failed", workload=workload.name, exc_info=True)
                row.skipped = f"failed: {type(exc).__name__}: {exc}"
                continue
            row.skipped = result.skipped
            row.figures = measured
            row.quality = {k: round(v, 4) for k, v in result.quality.items()}
            row.extra = dict(result.extra)
            row.details = dict(result.details)
            row.samples_ms = [s * 1000 for s in samples]
            if result.skipped is None and context.index is not None:
                built, reused = context.index
                row.figures["build_s"] = round(built, 2) if built is not None else None
                row.figures["index_reused"] = reused
    return rows
