"""The query planner: a question in plain words becomes a ``QueryPlan`` (pure; what it needs to know about
the catalogue comes through a ``PlannerVocabulary``)."""

from typing import TYPE_CHECKING, Any

from anime_mcp.core.planning.model import (
    ContextResult,
    PlanContext,
    PlanFilters,
    PlanTitle,
    QueryPlan,
)
from anime_mcp.core.planning.vocabulary import PlannerVocabulary, TitleCandidate, TitleHit

# ``plan`` (the planner and its reading rules: many regular expressions) is loaded on first use: the plan's
# model and the vocabulary port are imported by every start, and the start of `anime-mcp mcp` (its first
# search within a second) never plans.
if TYPE_CHECKING:
    from anime_mcp.core.planning.planner import plan

__all__ = [
    "ContextResult",
    "PlanContext",
    "PlanFilters",
    "PlanTitle",
    "PlannerVocabulary",
    "QueryPlan",
    "TitleCandidate",
    "TitleHit",
    "plan",
]


def __getattr__(name: str) -> Any:
    if name == "plan":
        from anime_mcp.core.planning.planner import plan

        globals()["plan"] = plan  # looked up here once
        return plan
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
