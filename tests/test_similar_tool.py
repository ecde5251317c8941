"""find_similar_anime over the tool catalogue (CLI face) on a slice of the real catalogue, indexed with the
real all-MiniLM-L6-v2 model, with an enrichment store holding genres, a few synopses (our own words) and
AniList recommendations."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from search_support import MINILM, catalogue_lines, pick_lines, write_slice
from shared_data import require_shared

from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore
from anime_mcp.core.enriched import GENRES, RECOMMENDATIONS, SYNOPSIS, StoredValue
from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.entrypoints.tools.base import ToolInputError
from anime_mcp.entrypoints.tools.catalogue_tools import FIND_SIMILAR_ANIME

TITLES = ["Cowboy Bebop", "Samurai Champloo", "Trigun", "Death Note", "Monster", "Death Note: Rewrite"]
AT = dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
STORIES = {
    "mal-1": "Bounty hunters drift through the solar system on an old ship, chasing criminals for money.",
    "mal-205": "A wandering swordsman, a ronin and a waitress travel across Edo Japan in search of a man.",
    "mal-1535": "A student finds a notebook that kills anyone whose name is written in it.",
    "mal-19": "A surgeon hunts the former patient he saved, now a charming serial killer.",
}


def run(home: Path, *args: str) -> Result:
    env = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": str(MINILM), "ANIME_MCP_QDRANT_URL": ""}
    return CliRunner().invoke(cli_app.cli, list(args), env=env, catch_exceptions=False)


def run_json(home: Path, *args: str) -> Any:
    result = run(home, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared(MINILM)
    metadata, lines = catalogue_lines()
    picked = pick_lines(lines, every=400, titles=TITLES)
    slice_path = write_slice(tmp_path_factory.mktemp("catalogue") / "slice.jsonl", metadata, picked)
    home = tmp_path_factory.mktemp("home")
    store = SqliteEnrichmentStore(home)
    try:
        values = {
            anime_id: [StoredValue(SYNOPSIS, "test", text, AT, language="en")]
            for anime_id, text in STORIES.items()
        }
        values["mal-1"] += [
            StoredValue(GENRES, "test", ["Action", "Sci-Fi", "Space"], AT),
            StoredValue(
                RECOMMENDATIONS, "anilist", [{"platform_id": "anilist:205", "votes": 1140, "title": "x"}], AT
            ),
        ]
        store.put(values.items())
    finally:
        store.close()
    assert run(home, "ingest", "--source", str(slice_path)).exit_code == 0
    return home


def test_a_recommendation_leads_with_its_reason(home: Path) -> None:
    results = run_json(home, "similar", "Cowboy Bebop", "--limit", "5")
    assert results[0]["title"] == "Samurai Champloo"
    assert "recommended by 1140 AniList users" in results[0]["reasons"]
    assert all(isinstance(r["reasons"], list) for r in results)


def test_the_franchise_is_left_out_by_default(home: Path) -> None:
    for kind in ("overall", "semantic", "genre"):
        results = run_json(home, "similar", "mal:1535", "--similarity", kind, "--limit", "20")
        found = {r["anime_id"] for r in results}
        assert "mal-1535" not in found and "mal-2994" not in found, kind  # itself, Rewrite


def test_the_studio_kind_and_the_type_filter(home: Path) -> None:
    results = run_json(home, "similar", "mal:1535", "--similarity", "studio", "--limit", "10")
    assert all("madhouse" in [s.lower() for s in r["studios"]] for r in results)
    movies = run_json(home, "similar", "Death Note", "--type", "MOVIE", "--limit", "5")
    assert all(r["type"] == "MOVIE" for r in movies)


def test_the_table_shows_the_reasons(home: Path) -> None:
    result = run(home, "similar", "Cowboy Bebop", "--limit", "3")
    assert result.exit_code == 0 and "why" in result.stdout
    assert "1140" in result.stdout and "Samurai" in result.stdout  # the narrow test terminal wraps cells


def test_a_bad_similarity_type_names_the_field() -> None:
    with pytest.raises(ToolInputError) as raised:
        FIND_SIMILAR_ANIME.validate({"anime_id": "mal:1", "similarity_type": "poster"})
    assert raised.value.field == "similarity_type"
    assert FIND_SIMILAR_ANIME.validate({"anime_id": "mal:1"})["similarity_type"] == "overall"
