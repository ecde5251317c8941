"""Figures of a bench run, PNG and SVG, with matplotlib (the optional ``bench`` extra, imported only here
and only when plotting): latency distributions per workload, and quality against latency where judged."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anime_mcp.entrypoints.bench.runner import Row

FORMATS = ("png", "svg")


def matplotlib_missing() -> str | None:
    """Why plots cannot be drawn, or None."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "matplotlib is not installed (pip install 'anime-mcp[bench]'): plots skipped"
    return None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt


def _save(plt: Any, figure: Any, out: Path, stem: str) -> list[Path]:
    written = []
    for fmt in FORMATS:
        path = out / f"{stem}.{fmt}"
        figure.savefig(path, format=fmt, dpi=110, bbox_inches="tight", metadata=_metadata(fmt))
        written.append(path)
    plt.close(figure)
    return written


def _metadata(fmt: str) -> dict[str, Any]:
    # No creation date in SVG: the same run draws the same file.
    return {"Date": None} if fmt == "svg" else {}


def latency_plot(plt: Any, rows: Sequence[Row], out: Path, workload: str) -> list[Path]:
    measured = [r for r in rows if r.workload == workload and r.samples_ms]
    if not measured:
        return []
    figure, axes = plt.subplots(figsize=(7, 0.6 * len(measured) + 1.8))
    axes.boxplot(
        [r.samples_ms for r in measured],
        orientation="horizontal",
        tick_labels=[f"{r.label} ({r.varied})" if r.varied != "baseline" else r.label for r in measured],
        showfliers=True,
    )
    axes.set_xlabel("latency per operation (ms)")
    axes.set_title(f"{workload}: latency distribution")
    axes.grid(axis="x", alpha=0.3)
    return _save(plt, figure, out, f"latency-{workload}")


def quality_plot(plt: Any, rows: Sequence[Row], out: Path) -> list[Path]:
    judged = [r for r in rows if r.quality and r.figures.get("p50_ms") is not None]
    if not judged:
        return []
    figure, axes = plt.subplots(figsize=(7, 4.5))
    for row in judged:
        axes.scatter(row.figures["p50_ms"], row.quality.get("recall@10", 0.0))
        axes.annotate(
            f"{row.workload}: {row.label}",
            (row.figures["p50_ms"], row.quality.get("recall@10", 0.0)),
            fontsize=7,
            xytext=(4, 3),
            textcoords="offset points",
        )
    axes.set_xlabel("p50 latency (ms)")
    axes.set_ylabel("recall@10")
    axes.set_ylim(0, 1.05)
    axes.set_title("quality against latency (judged workloads)")
    axes.grid(alpha=0.3)
    return _save(plt, figure, out, "quality-vs-latency")


def draw(rows: Sequence[Row], out: Path) -> list[Path]:
    """Every figure, written into ``out``; matplotlib must be importable (see ``matplotlib_missing``)."""
    plt = _pyplot()
    written: list[Path] = []
    for workload in dict.fromkeys(r.workload for r in rows):
        written += latency_plot(plt, rows, out, workload)
    written += quality_plot(plt, rows, out)
    return written
