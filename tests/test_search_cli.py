"""``ingest`` (embed + index), ``search``, ``similar`` and ``models list`` end to end, in process, on a slice
of the real catalogue with the real all-MiniLM-L6-v2 model (../shared/models). The full-catalogue checks of
issue 3 run in benchmarks/search_quality.py (see docs/benchmarks.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from search_support import MINILM, catalogue_lines, pick_lines, write_slice, write_tiny_model
from shared_data import require_shared

from anime_mcp.core.models import AnimeType
from anime_mcp.entrypoints.cli import app as cli_app

SLICE_TITLES = [
    "Death Note",
    "Death Note: Rewrite",
    "Cowboy Bebop",
    "Steins;Gate",
    "Shingeki no Kyojin",
    "Sen to Chihiro no Kamikakushi",
    "Tonari no Totoro",
    "Mononoke Hime",
    "Haikyuu!!",
    "Kuroko no Basket",
    "Trigun",
    "Monster",
    "Death Parade",
    "NEW[zom]BIE!!",  # square brackets: printed as they are, not read as rich markup
]


def run(home: Path, *args: str, model: Path | None = MINILM, env: dict[str, str] | None = None) -> Result:
    environment = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_MODEL": str(model) if model else "",
        "ANIME_MCP_QDRANT_URL": "",
        **(env or {}),
    }
    return CliRunner().invoke(cli_app.cli, list(args), env=environment, catch_exceptions=False)


def run_json(home: Path, *args: str, **kwargs: Any) -> Any:
    result = run(home, *args, "--json", **kwargs)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def slice_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 300 entries: every 150th line plus the titles the checks below need and all Ghibli entries."""
    metadata, lines = catalogue_lines()
    picked = pick_lines(lines, every=150, titles=SLICE_TITLES, contains=['"studio ghibli"'])
    return write_slice(tmp_path_factory.mktemp("catalogue") / "slice.jsonl", metadata, picked)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, slice_path: Path) -> Path:
    require_shared(MINILM)
    home = tmp_path_factory.mktemp("home")
    report = run_json(home, "ingest", "--source", str(slice_path))
    index = report["index"]
    assert index["mode"] == "full"
    assert index["embedded"] == index["points"] == report["entries"]
    assert (index["model"], index["dimension"], index["backend"]) == ("all-MiniLM-L6-v2", 384, "qdrant-edge")
    return home


def titles(results: list[dict[str, Any]]) -> list[str]:
    return [r["title"] for r in results]


def test_search_json_has_the_promised_fields(home: Path) -> None:
    results = run_json(home, "search", "death note")
    assert results[0]["ids"]["mal"] == "1535"
    first = results[0]
    assert {"title", "ids", "type", "year", "score", "sources", "relevance", "anime_id"} <= set(first)
    assert first["sources"][0].startswith("https://")
    assert [r["relevance"] for r in results] == sorted((r["relevance"] for r in results), reverse=True)


@pytest.mark.parametrize(
    "query", ["dess note", "death not", "デスノート", "데스노트", "Тетрадь смерти", "DN"]
)
def test_typos_and_other_scripts_still_find_death_note(home: Path, query: str) -> None:
    results = run_json(home, "search", query, "--limit", "3")
    assert "mal-1535" in [r["anime_id"] for r in results], titles(results)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("spirited away", "mal-199"),
        ("my neighbor totoro", "mal-523"),
        ("attack on titan", "mal-16498"),
        ("steins gate", "mal-9253"),
        ("千と千尋の神隠し", "mal-199"),
    ],
)
def test_english_romaji_and_native_titles(home: Path, query: str, expected: str) -> None:
    assert run_json(home, "search", query, "--limit", "3")[0]["anime_id"] == expected


def test_ghibli_movies_only(home: Path) -> None:
    results = run_json(home, "search", "ghibli", "--type", "MOVIE", "--limit", "20")
    assert len(results) == 20
    assert {r["type"] for r in results} == {"MOVIE"}
    assert sum("studio ghibli" in r["studios"] for r in results[:10]) >= 8


def test_every_filter_is_respected(home: Path) -> None:
    cases: list[tuple[list[str], Any]] = [
        (["--year", "2000-2010"], lambda r: r["year"] is not None and 2000 <= r["year"] <= 2010),
        (["--season", "FALL,SPRING"], lambda r: r["season"] in {"FALL", "SPRING"}),
        (["--type", "TV", "--type", "OVA"], lambda r: r["type"] in {"TV", "OVA"}),
        (["--status", "FINISHED"], lambda r: r["status"] == "FINISHED"),
        (["--tag", "comedy", "--tag", "school"], lambda r: {"comedy", "school"} <= set(r["tags"])),
        (["--exclude-tag", "comedy"], lambda r: "comedy" not in r["tags"]),
        (
            ["--studio", "madhouse", "--studio", "sunrise"],
            lambda r: {"madhouse", "sunrise"} & set(r["studios"]),
        ),
        (["--episodes", "1-13"], lambda r: 1 <= r["episodes"] <= 13),
        (["--min-score", "7.5"], lambda r: r["score"] is not None and r["score"] >= 7.5),
        (["--platform", "anilist", "--platform", "kitsu"], lambda r: {"anilist", "kitsu"} <= set(r["ids"])),
    ]
    for options, holds in cases:
        results = run_json(home, "search", "anime", *options, "--limit", "15")
        assert results, options
        assert all(holds(r) for r in results), (options, results)


def test_similar_uses_the_stored_vector_and_excludes_the_entry(home: Path) -> None:
    results = run_json(home, "similar", "mal:1535", "--limit", "5")
    assert len(results) == 5
    assert "mal-1535" not in [r["anime_id"] for r in results]
    movies = run_json(home, "similar", "Death Note", "--type", "MOVIE", "--limit", "5")
    assert movies and {r["type"] for r in movies} == {AnimeType.MOVIE.value}
    without_franchise = run_json(home, "similar", "mal:1535", "--exclude-franchise", "--limit", "50")
    assert not {"mal-2994", "mal-28223"} & {r["anime_id"] for r in without_franchise}  # Rewrite, Death Parade


def test_the_table_output(home: Path) -> None:
    result = run(home, "search", "cowboy bebop", "--limit", "3")
    assert result.exit_code == 0
    assert "Cowboy Bebop" in result.stdout and "mal-1" in result.stdout
    assert "nothing found" in run(home, "search", "death note", "--year", "1900-1901").stdout


def test_bad_input_is_a_clear_error(home: Path) -> None:
    for args, message in [
        (["search", "x", "--type", "SERIES"], "unknown type 'SERIES'"),
        (["search", "x", "--year", "soon"], "is not a range"),
        (["search", "   "], "the search text is empty"),
        (["similar", "mal:999999999"], "no catalogue entry has mal:999999999"),
    ]:
        result = run(home, *args)
        assert result.exit_code == 1, result.output
        assert message in result.stderr


def test_models_list_names_the_index_model(home: Path) -> None:
    listing = run_json(home, "models", "list")
    assert listing["index"]["model"] == listing["configured"]["name"] == "all-MiniLM-L6-v2"
    assert listing["index"]["dimension"] == 384
    assert listing["status"] == "ok"


def test_a_second_ingest_of_the_same_catalogue_embeds_nothing(home: Path, slice_path: Path) -> None:
    report = run_json(home, "ingest", "--source", str(slice_path))["index"]
    assert (report["mode"], report["embedded"], report["removed"]) == ("incremental", 0, 0)


def test_an_index_built_with_another_model_is_refused_clearly(home: Path, tmp_path: Path) -> None:
    tiny = write_tiny_model(tmp_path / "tiny")
    result = run(home, "search", "death note", model=tiny)
    assert result.exit_code == 1
    assert (
        "the search index was built with all-MiniLM-L6-v2 (384-d vectors) but the configured model is "
        "tiny-8 (8-d"
    ) in result.stderr
    assert "anime-mcp ingest --reindex" in result.stderr
    assert "MISMATCH" in run_json(home, "models", "list", model=tiny)["status"]


def test_without_a_model_ingest_keeps_the_catalogue_and_says_why(tmp_path: Path, slice_path: Path) -> None:
    result = run(tmp_path, "ingest", "--source", str(slice_path), model=None)
    assert result.exit_code == 0
    assert "search index not built: no embedding model installed" in result.stderr
    searched = run(tmp_path, "search", "death note", model=None)
    assert searched.exit_code == 1 and "no embedding model installed" in searched.stderr


def test_models_install_int8_quantises_into_the_home_and_is_then_the_model(tmp_path: Path) -> None:
    tiny = write_tiny_model(tmp_path / "tiny")
    home = tmp_path / "home"
    installed = run(home, "models", "install", "--from", str(tiny), "--int8", model=None)
    assert installed.exit_code == 0, installed.output
    assert "installed tiny-8-int8" in installed.stdout
    listing = run_json(home, "models", "list", model=None)
    assert listing["configured"]["name"] == "tiny-8-int8"  # the only installed model is the one used
    assert listing["configured"]["quantized"] is True
    assert not [p for p in (home / "models").iterdir() if p.name.startswith(".")]  # no staging left
    again = run(home, "models", "install", "--from", str(tiny), "--int8", model=None)
    assert again.exit_code == 0 and "tiny-8-int8 is installed already" in again.stdout
    other = write_tiny_model(tmp_path / "other")  # same model name, other weights: refused, not replaced
    clash = run(home, "models", "install", "--from", str(other), "--int8", model=None)
    assert clash.exit_code == 1 and "exists already" in clash.stderr
    both = run(home, "models", "install", "--from", str(tiny), "--int8", "--link", model=None)
    assert both.exit_code == 1 and "--link and --int8 exclude each other" in both.stderr


def test_a_title_with_square_brackets_is_printed_intact(home: Path) -> None:
    table = run(home, "search", "NEW[zom]BIE", "--limit", "3")
    assert table.exit_code == 0, table.output
    assert "NEW[zom]BIE!!" in table.stdout and "'NEW[zom]BIE' (hybrid)" in table.stdout
