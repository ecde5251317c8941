"""Placeholder: filled in by the conversion of benchmarks/ scripts."""

from __future__ import annotations

from anime_mcp.ports.workload import Workload

GROUP = "quality"


def workloads() -> list[Workload]:
    return []
