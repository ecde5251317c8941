"""The query planner: a question in plain words becomes a ``QueryPlan`` (pure; what it needs to know about
the catalogue comes through a ``PlannerVocabulary``)."""

from anime_mcp.core.planning.model import (
    ContextResult,
    PlanContext,
    PlanFilters,
    PlanTitle,
    QueryPlan,
)
from anime_mcp.core.planning.planner import plan
from anime_mcp.core.planning.vocabulary import PlannerVocabulary, TitleCandidate, TitleHit

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
