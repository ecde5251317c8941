"""`anime-mcp sources`: list, parse a saved answer (real recordings), fetch (credentials, offline)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from click.testing import CliRunner

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli.app import cli

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
SOURCE_PLUGINS = "mal,anilist,kitsu,anidb,ann,animeschedule,simkl,notify"
SUMMARY = {
    "title",
    "titles",
    "type",
    "episodes",
    "status",
    "start_date",
    "season",
    "year",
    "score",
    "studios",
    "genres",
    "picture",
    "url",
}
CREDENTIAL_ENVS = (
    "ANIME_MCP_MAL_CLIENT_ID",
    "ANIME_MCP_JIKAN_URL",
    "ANIME_MCP_ANIDB_CLIENT",
    "ANIME_MCP_ANIDB_CLIENTVER",
    "ANIME_MCP_ANIMESCHEDULE_TOKEN",
    "ANIME_MCP_SIMKL_CLIENT_ID",
)

needs_fixtures = pytest.mark.usefixtures("shared_fixtures")  # fails, never skips, without ../shared


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def env(home: Path, **extra: str | None) -> dict[str, str | None]:
    base: dict[str, str | None] = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_LOAD_PLUGINS": SOURCE_PLUGINS,
        "ANIME_MCP_DISABLE_PLUGINS": None,
        "COLUMNS": "200",
    }
    base.update(dict.fromkeys(CREDENTIAL_ENVS))
    base.update(extra)
    return base


def test_sources_json_lists_every_source_with_its_declaration(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["sources", "--json"], env=env(tmp_path, ANIME_MCP_SIMKL_CLIENT_ID="x"))
    assert result.exit_code == 0, result.output
    listing = {item["id"]: item for item in json.loads(result.output)}
    assert sorted(listing) == sorted(SOURCE_PLUGINS.split(","))
    anidb = listing["anidb"]
    assert anidb["kind"] == "api" and anidb["rate_limits"] == ["1/2s", "100/3600s"]
    assert anidb["capabilities"] == ["episodes"] and anidb["breaker"] == "closed"
    assert {c["env"]: c["set"] for c in anidb["credentials"]} == {
        "ANIME_MCP_ANIDB_CLIENT": False,
        "ANIME_MCP_ANIDB_CLIENTVER": False,
    }
    assert anidb["ready"] is False and listing["simkl"]["ready"] is True
    assert "season" in listing["anilist"]["capabilities"] and "batch" in listing["ann"]["capabilities"]


def test_sources_table(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["sources"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "animeschedule" in result.output and "missing" in result.output


@needs_fixtures
@pytest.mark.parametrize(
    ("platform", "document", "kind", "title"),
    [
        ("mal", "jikan/anime/anime-full_1_cowboy-bebop_2025.json", "anime", "Cowboy Bebop"),
        ("anilist", "anilist/anime/media_1_cowboy-bebop.json", "anime", "Cowboy Bebop"),
        ("kitsu", "kitsu/anime/anime_1376_death-note.json", "anime", "Death Note"),
        ("anidb", "anidb/anime/anime_4563_death-note.xml", "anime", "Death Note"),
        ("animeschedule", "animeschedule/anime/anime_cowboy-bebop.json", "anime", "Cowboy Bebop"),
        ("simkl", "simkl/anime/api_anime_40398_hunter-x-hunter_extended.json", "anime", "Hunter x Hunter"),
        ("notify", "notify/anime/anime_0-A-5Fimg_death-note.json", "anime", "Death Note"),
    ],
)
def test_parse_prints_the_summary_fields(
    runner: CliRunner, tmp_path: Path, platform: str, document: str, *, kind: str, title: str
) -> None:
    result = runner.invoke(
        cli,
        ["sources", "parse", platform, str(FIXTURES / document), "--kind", kind, "--json"],
        env=env(tmp_path),
    )
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert parsed.keys() >= SUMMARY
    assert parsed["title"] == title
    assert parsed["url"].startswith("https://")
    if parsed["score"] is not None:
        assert set(parsed["score"]) == {"value", "scale", "votes"}
        assert 0 <= parsed["score"]["value"] <= parsed["score"]["scale"]
    for name in SUMMARY - set(parsed["fields"]) - {"url"}:
        assert parsed[name] is None, name  # what the document does not say is null


@needs_fixtures
def test_parse_reads_an_ann_batch_and_a_format_is_checked(runner: CliRunner, tmp_path: Path) -> None:
    path = FIXTURES / "animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml"
    result = runner.invoke(cli, ["sources", "parse", "ann", str(path), "--json"], env=env(tmp_path))
    assert result.exit_code == 0, result.output
    assert [item["platform_id"] for item in json.loads(result.output)] == [
        "ann:1",
        "ann:5",
        "ann:100",
        "ann:4658",
    ]
    wrong = runner.invoke(
        cli,
        [
            "sources",
            "parse",
            "mal",
            str(FIXTURES / "jikan/anime/anime_1_cowboy-bebop_2026.json"),
            "--format",
            "mal-v2",
            "--json",
        ],
        env=env(tmp_path),
    )
    assert wrong.exit_code == 3 and json.loads(wrong.output)["error"]["type"] == "ParseError"
    unknown = runner.invoke(cli, ["sources", "parse", "mal", str(path), "--format", "xml"], env=env(tmp_path))
    assert unknown.exit_code == 2


@needs_fixtures
@pytest.mark.parametrize(
    ("platform", "document", "error"),
    [
        ("anidb", "anidb/error/error_anime-not-found.xml", "NotFound"),
        ("anidb", "anidb/error/web_anime_4906_anti-leech.html", "Blocked"),
        ("kitsu", "kitsu/error/dead-entry_49936_empty-data.json", "NotFound"),
        ("animeschedule", "animeschedule/error/timetables_not-found.txt", "NotFound"),
        ("ann", "animenewsnetwork/error/api_warning_people-ignored.xml", "NotFound"),
    ],
)
def test_error_pages_print_an_error_object_and_exit_3(
    runner: CliRunner, tmp_path: Path, platform: str, document: str, error: str
) -> None:
    result = runner.invoke(
        cli, ["sources", "parse", platform, str(FIXTURES / document), "--json"], env=env(tmp_path)
    )
    assert result.exit_code == 3, result.output
    payload = json.loads(result.output)
    assert payload["error"]["type"] == error and payload["error"]["message"]


def test_unknown_platform_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    document = tmp_path / "doc.json"
    document.write_text("{}")
    result = runner.invoke(cli, ["sources", "parse", "myanimelist.net", str(document)], env=env(tmp_path))
    assert result.exit_code == 2 and "installed sources" in result.output


def test_fetch_without_credentials_says_which_to_set(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["sources", "fetch", "anidb", "4563", "--json"], env=env(tmp_path))
    assert result.exit_code == 3, result.output
    error = json.loads(result.output)["error"]
    assert error["type"] == "AuthRequired" and "ANIME_MCP_ANIDB_CLIENT" in error["message"]


def fake_http(handler: Callable[[httpx.Request], httpx.Response]) -> Overrides:
    """Live sources answered by ``handler`` through bootstrap, on a virtual clock, with no credentials."""
    return Overrides(
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(handler)),
        clock=VirtualClock(),
        env={},
    )


def test_fetch_offline_is_a_clear_error(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno -2] Name or service not known", request=request)

    fakes = fake_http(offline)
    result = runner.invoke(
        cli,
        ["sources", "fetch", "kitsu", "https://kitsu.app/anime/1", "--json"],
        env=env(tmp_path),
        obj={"overrides": fakes},
    )
    assert result.exit_code == 3, result.output
    error = json.loads(result.output)["error"]
    assert error["type"] == "Unavailable" and "offline" in error["message"]


def test_fetch_of_another_platforms_reference_needs_the_catalogue(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["sources", "fetch", "kitsu", "mal:1"], env=env(tmp_path))
    assert result.exit_code == 2 and "anime-mcp ingest" in result.output


def test_fetch_translates_any_reference_through_the_catalogue(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    example = FIXTURES.parent / "data" / "examples" / "death-note.aod.json"
    with_catalogue = env(tmp_path, ANIME_MCP_LOAD_PLUGINS=SOURCE_PLUGINS + ",aod_catalogue")
    ingested = runner.invoke(cli, ["ingest", "--source", str(example)], env=with_catalogue)
    assert ingested.exit_code == 0, ingested.output
    requested: list[str] = []

    def kitsu(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(404, json={"errors": [{"title": "Record not found", "status": "404"}]})

    fakes = fake_http(kitsu)
    for reference in ("mal:1535", "https://anilist.co/anime/1535", "death note"):
        result = runner.invoke(
            cli,
            ["sources", "fetch", "kitsu", reference, "--json"],
            env=with_catalogue,
            obj={"overrides": fakes},
        )
        assert result.exit_code == 3, result.output
        assert json.loads(result.output)["error"]["type"] == "NotFound"
    assert requested and all("1376" in url for url in requested)

    missing = runner.invoke(cli, ["sources", "fetch", "notify", "mal:1535"], env=with_catalogue)
    assert missing.exit_code == 2 and "no notify page" in missing.output
