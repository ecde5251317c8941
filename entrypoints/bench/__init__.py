"""``anime-mcp bench``: standard and plugin workloads run against every configured adapter of a kind, one
kind varied at a time; a table, JSON, plots and one HTML page (``run_bench``)."""

from __future__ import annotations

from anime_mcp.entrypoints.bench.session import BenchOptions, BenchOutcome, run_bench, select_workloads

__all__ = ["BenchOptions", "BenchOutcome", "run_bench", "select_workloads"]
