"""The planner's port: what the query planner knows about the catalogue and the world.

``PlannerVocabulary`` (declared beside the planner in the domain, which may not import ports) is implemented
by ``anime_mcp.adapters.title_spotter.CatalogueVocabulary``: an Aho-Corasick automaton over every title and
synonym key of the catalogue, its tag and studio vocabularies, and the tz database.
"""

from __future__ import annotations

from anime_mcp.core.planning.vocabulary import PlannerVocabulary, TitleCandidate, TitleHit

__all__ = ["PlannerVocabulary", "TitleCandidate", "TitleHit"]
