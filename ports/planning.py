"""The planner's ports: what the query planner knows about the catalogue and the world, and the planner
plugins that may refine its plans.

``PlannerVocabulary`` (declared beside the planner in the domain, which may not import ports) is implemented
by ``anime_mcp.adapters.title_spotter.CatalogueVocabulary``: an Aho-Corasick automaton over every title and
synonym key of the catalogue, its tag and studio vocabularies, and the tz database.

``Planner`` is what a ``register_planners`` hook registers: an object (an LLM-backed planner, say) that gets
the question and the deterministic plan (``draft``) and returns a better plan. It is asked only when the
settings name it (``[plugins] planner``); the deterministic plan stays the answer on any error, on ``None``
and after the timeout (``[plugins] planner_timeout``, 2 s).
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

from anime_mcp.core.planning.model import PlanContext, QueryPlan
from anime_mcp.core.planning.vocabulary import PlannerVocabulary, TitleCandidate, TitleHit

__all__ = ["Planner", "PlannerVocabulary", "TitleCandidate", "TitleHit"]


@runtime_checkable
class Planner(Protocol):
    @property
    def name(self) -> str:
        """The name the settings choose it by (``[plugins] planner = "name"``)."""
        ...

    async def plan(
        self, text: str, context: PlanContext | None, now: dt.datetime, tz: str, draft: QueryPlan
    ) -> QueryPlan | None:
        """A plan for ``text`` (``draft`` is the deterministic planner's), or None to keep the draft. Must
        not block the event loop: it runs under a timeout, on the loop."""
        ...
