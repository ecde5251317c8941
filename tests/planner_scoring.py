"""The development set's scorer lives with the planner-speed bench workload; the tests read it from there."""

from anime_mcp.entrypoints.bench.workloads.planner_scoring import CHECKS, Failure, Score, load_cases, score

__all__ = ["CHECKS", "Failure", "Score", "load_cases", "score"]
