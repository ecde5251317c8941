"""Placeholder: filled in by the conversion of benchmarks/ scripts."""

from __future__ import annotations

from anime_mcp.ports.workload import Workload

GROUP = "data"


def workloads() -> list[Workload]:
    return []
