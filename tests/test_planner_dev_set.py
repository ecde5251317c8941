"""The judged development set (../shared/queries/dev.jsonl) against the planner over the whole real
catalogue: at least 95 % of the annotated keys must pass (issue 11). Slow: it reads the full catalogue."""

from __future__ import annotations

import datetime as dt

import pytest
from planner_scoring import load_cases, score
from shared_data import SHARED, require_shared

from anime_mcp.adapters.title_spotter import CatalogueVocabulary
from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.planning import plan

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)  # the reference time of ../shared/queries/README.md


@pytest.fixture(scope="module")
def vocabulary(full_catalogue: tuple[CatalogueMetadata, list[CatalogueEntry]]) -> CatalogueVocabulary:
    return CatalogueVocabulary(full_catalogue[1])


def test_the_development_set_scores_at_least_95_percent(vocabulary: CatalogueVocabulary) -> None:
    cases = load_cases(require_shared(SHARED / "queries" / "dev.jsonl"))
    result = score(cases, lambda q: plan(q, vocabulary=vocabulary, now=NOW, tz="UTC").to_json())
    print(result.report())
    assert sum(result.total.values()) >= 140
    assert result.accuracy >= 0.95, result.report()


def test_titles_are_spotted_in_the_real_catalogue_without_common_words(
    vocabulary: CatalogueVocabulary,
) -> None:
    questions = {
        "List anime released in 2021.": [],
        "Which anime are airing this season?": [],
        "What are the top 5 shonen anime?": [],
        "Show me anime similar to Death Note.": ["mal-1535"],
        "is Sousou no Frieren finished": ["mal-52991"],
    }
    for question, ids in questions.items():
        result = plan(question, vocabulary=vocabulary, now=NOW)
        assert [t.anime_id for t in result.titles] == ids, (question, result.to_json())
