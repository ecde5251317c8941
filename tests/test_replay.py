"""Record and replay: `sources recording add` builds a folder from real recordings, ANIME_MCP_REPLAY serves
it to every live source with no credentials and no network, `ANIME_MCP_RECORD` writes live answers."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
import structlog
from click.testing import CliRunner
from shared_data import DATA, FIXTURES, require_shared

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http.replay import (
    RECORDINGS_FILE,
    Recording,
    RecordingTransport,
    ReplayTransport,
    add_recording,
    read_recordings,
    recording_to_line,
)
from anime_mcp.entrypoints.bootstrap import Overrides
from anime_mcp.entrypoints.cli.app import cli

SOURCE_PLUGINS = "mal,anilist,kitsu,anidb,ann,animeschedule,simkl,notify"
CREDENTIAL_ENVS = (
    "ANIME_MCP_MAL_CLIENT_ID",
    "ANIME_MCP_JIKAN_URL",
    "ANIME_MCP_ANIDB_CLIENT",
    "ANIME_MCP_ANIDB_CLIENTVER",
    "ANIME_MCP_ANIMESCHEDULE_TOKEN",
    "ANIME_MCP_SIMKL_CLIENT_ID",
)
KITSU = FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"
ANIDB = FIXTURES / "anidb" / "anime" / "anime_4563_death-note.xml"


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def env(home: Path, **extra: str | None) -> dict[str, str | None]:
    """No credential of any source, no replay or record folder unless given."""
    base: dict[str, str | None] = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_LOAD_PLUGINS": SOURCE_PLUGINS + ",aod_catalogue",
        "ANIME_MCP_DISABLE_PLUGINS": None,
        "ANIME_MCP_REPLAY": None,
        "ANIME_MCP_RECORD": None,
        "ANIME_MCP_REDIS_URL": None,
    }
    base.update(dict.fromkeys(CREDENTIAL_ENVS))
    base.update(extra)
    return base


@pytest.fixture
def recorded(runner: CliRunner, tmp_path: Path) -> tuple[Path, Path]:
    """A home with the Death Note catalogue entry, and a folder with Kitsu's and AniDB's real answers."""
    home, folder = tmp_path / "home", tmp_path / "recordings"
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    ingested = runner.invoke(cli, ["ingest", "--source", str(example)], env=env(home))
    assert ingested.exit_code == 0, ingested.output
    for source, call, file in (
        ("kitsu", "fetch kitsu:1376", require_shared(KITSU)),
        ("anidb", "fetch anidb:4563", require_shared(ANIDB)),
    ):
        added = runner.invoke(
            cli,
            ["sources", "recording", "add", "--into", str(folder), source, call, str(file)],
            env=env(home),
        )
        assert added.exit_code == 0, added.output
    return home, folder


def test_recording_add_lets_the_source_compute_the_request(recorded: tuple[Path, Path]) -> None:
    _, folder = recorded
    lines = [json.loads(line) for line in (folder / RECORDINGS_FILE).read_text().splitlines()]
    assert [(line["call"], line["file"]) for line in lines] == [
        ("fetch kitsu:1376", KITSU.name),
        ("fetch anidb:4563", ANIDB.name),
    ]
    kitsu, anidb = (line["request"] for line in lines)
    assert kitsu.startswith("GET https://kitsu.app/api/edge/anime?") and "filter%5Bid%5D=1376" in kitsu
    assert anidb.startswith("GET http://api.anidb.net:9001/httpapi?") and "aid=4563" in anidb
    # AniDB's client and clientver (placeholders here) are credentials: never written into a recording
    assert "client=" not in anidb and "clientver" not in anidb
    assert (folder / KITSU.name).read_bytes() == KITSU.read_bytes()


def test_recording_add_is_idempotent(runner: CliRunner, recorded: tuple[Path, Path]) -> None:
    home, folder = recorded
    before = (folder / RECORDINGS_FILE).read_text()
    again = runner.invoke(
        cli,
        ["sources", "recording", "add", "--into", str(folder), "kitsu", "fetch kitsu:1376", str(KITSU)],
        env=env(home),
    )
    assert again.exit_code == 0, again.output
    assert "already recorded" in again.output
    assert (folder / RECORDINGS_FILE).read_text() == before
    assert sorted(p.name for p in folder.iterdir()) == sorted([RECORDINGS_FILE, KITSU.name, ANIDB.name])


def test_recording_add_rejects_a_call_outside_the_grammar(
    runner: CliRunner, recorded: tuple[Path, Path]
) -> None:
    home, folder = recorded
    result = runner.invoke(
        cli,
        ["sources", "recording", "add", "--into", str(folder), "kitsu", "fly 1", str(KITSU)],
        env=env(home),
    )
    assert result.exit_code == 2 and "unknown call" in result.output


@pytest.mark.parametrize("source", ["kitsu", "anidb"])
def test_replay_answers_from_the_folder_without_credentials(
    runner: CliRunner, recorded: tuple[Path, Path], source: str
) -> None:
    home, folder = recorded
    result = runner.invoke(
        cli, ["sources", "fetch", source, "mal:1535", "--json"], env=env(home, ANIME_MCP_REPLAY=str(folder))
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert record["title"] == "Death Note"


def test_an_unrecorded_request_is_unavailable_naming_it(
    runner: CliRunner, recorded: tuple[Path, Path]
) -> None:
    home, folder = recorded
    result = runner.invoke(
        cli, ["sources", "fetch", "kitsu", "1", "--json"], env=env(home, ANIME_MCP_REPLAY=str(folder))
    )
    assert result.exit_code == 3, result.output
    error = json.loads(result.output)["error"]
    assert error["type"] == "Unavailable"
    assert "no recording of GET https://kitsu.app/api/edge/anime?filter%5Bid%5D=1&" in error["message"]
    assert str(folder / RECORDINGS_FILE) in error["message"]


def test_replay_never_opens_a_socket(
    runner: CliRunner, recorded: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    home, folder = recorded

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("replay mode opened a network connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    for ref in ("mal:1535", "2"):  # recorded, then not recorded
        result = runner.invoke(
            cli, ["sources", "fetch", "kitsu", ref, "--json"], env=env(home, ANIME_MCP_REPLAY=str(folder))
        )
        assert result.exit_code in (0, 3), result.output
        assert "opened a network connection" not in result.output


def test_recordings_jsonl_round_trips(tmp_path: Path) -> None:
    recordings = [
        Recording("a.json", "GET https://example.org/anime?id=1&include=x,y", call="fetch mal:1"),
        Recording(
            "b.json",
            "POST https://graphql.example.org/",
            call=("fetch anilist:1", "fetch mal:1"),
            status=429,
            headers={"retry-after": "7"},
            json={"variables": {"id": 1}},
            body_contains="Media(",
        ),
    ]
    for recording in recordings:
        assert add_recording(tmp_path, recording) is True
    assert add_recording(tmp_path, recordings[0]) is False  # the same line twice: written once
    lines = (tmp_path / RECORDINGS_FILE).read_text().splitlines()
    assert len(lines) == 2 and json.loads(lines[0]) == {
        "request": "GET https://example.org/anime?id=1&include=x,y",
        "file": "a.json",
        "call": "fetch mal:1",
    }
    read = read_recordings(tmp_path)
    assert [recording_to_line(r) for r in read] == lines
    assert (
        read[1].status == 429
        and read[1].headers == {"retry-after": "7"}
        and read[1].calls == recordings[1].calls
    )


def test_a_broken_recordings_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / RECORDINGS_FILE).write_text('{"request": "GET https://a.org/x", "file": "x"}\n{"file": 1}\n')
    with pytest.raises(ValueError, match=r"recordings.jsonl:2: "):
        read_recordings(tmp_path)


def test_recording_transport_writes_what_replay_serves(tmp_path: Path) -> None:
    def upstream(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json={"asked": request.url.params["q"]}, headers={"content-type": "x/json"}
        )

    folder = tmp_path / "rec"

    async def scenario() -> None:
        recording = RecordingTransport(httpx.MockTransport(upstream), folder, frozenset({"s3cret"}))
        async with httpx.AsyncClient(transport=recording) as client:
            live = await client.get(
                "https://api.example.org/search", params={"q": "death note", "key": "s3cret"}
            )
        replay = ReplayTransport(read_recordings(folder), root=folder, strict=True)
        async with httpx.AsyncClient(transport=replay) as client:
            again = await client.get(
                "https://elsewhere.example/search", params={"q": "death note", "key": "x"}
            )
            assert again.json() == live.json() == {"asked": "death note"}
            assert again.headers["content-type"] == "x/json"
            with pytest.raises(
                httpx.TransportError, match=r"no recording of GET https://elsewhere\.example/nope"
            ):
                await client.get("https://elsewhere.example/nope")

    anyio.run(scenario)
    line = (folder / RECORDINGS_FILE).read_text()
    assert "s3cret" not in line and "q=death+note" in line


def test_record_mode_writes_the_live_answers_of_a_command(runner: CliRunner, tmp_path: Path) -> None:
    kitsu = require_shared(KITSU).read_bytes()
    folder = tmp_path / "rec"

    def live(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=kitsu, headers={"content-type": "application/vnd.api+json"})

    fakes = Overrides(
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(live)),
        clock=VirtualClock(),
        env={},
    )
    home = tmp_path / "home"
    recorded = runner.invoke(
        cli,
        ["sources", "fetch", "kitsu", "1376", "--json"],
        env=env(home, ANIME_MCP_RECORD=str(folder)),
        obj={"overrides": fakes},
    )
    assert recorded.exit_code == 0, recorded.output
    [line] = read_recordings(folder)
    assert line.request.startswith("GET https://kitsu.app/api/edge/anime?") and line.status == 200
    replayed = runner.invoke(
        cli, ["sources", "fetch", "kitsu", "1376", "--json"], env=env(home, ANIME_MCP_REPLAY=str(folder))
    )
    assert replayed.exit_code == 0, replayed.output
    first, again = json.loads(recorded.output), json.loads(replayed.output)
    first.pop("fetched_at"), again.pop("fetched_at")  # the fake run used a virtual clock
    assert again == first


def test_sources_record_runs_the_command_with_the_folder(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "rec"
    code = "import os, sys; print(os.environ['ANIME_MCP_RECORD']); sys.exit(5)"
    result = runner.invoke(
        cli, ["sources", "record", "--into", str(folder), "--", sys.executable, "-c", code], env=env(tmp_path)
    )
    assert result.exit_code == 5 and folder.is_dir()


def test_replayed_platforms_answer_compare_ratings_and_get_anime_details(
    runner: CliRunner, recorded: tuple[Path, Path]
) -> None:
    """The issue's first check: with the API recordings replayed (no credentials, nothing leaves the machine),
    compare_ratings mal:1535 shows Kitsu's and AniDB's values with native scale, normalised value and
    provenance, and get_anime_details merges the catalogue and those sources field by field."""
    home, folder = recorded
    replay = env(home, ANIME_MCP_REPLAY=str(folder))
    kitsu = json.loads(require_shared(KITSU).read_text())["data"][0]["attributes"]
    rated = runner.invoke(cli, ["call", "compare_ratings", "anime_id=mal:1535", "--json"], env=replay)
    assert rated.exit_code == 0, rated.output
    rows = {row["source"]: row for row in json.loads(rated.stdout)["ratings"]}
    assert rows["kitsu"]["value"] == float(kitsu["averageRating"])
    assert (rows["kitsu"]["scale"]["high"], rows["anidb"]["scale"]["high"]) == (100.0, 10.0)
    assert rows["kitsu"]["normalised"] == pytest.approx(float(kitsu["averageRating"]) / 10)
    assert rows["anidb"]["provenance"]["url"] == "https://anidb.net/anime/4563"

    details = runner.invoke(
        cli,
        [
            "call",
            "get_anime_details",
            "anime_id=mal:1535",
            'fields=["synopsis","score","episodes"]',
            "--json",
        ],
        env=replay,
    )
    assert details.exit_code == 0, details.output
    fields = json.loads(details.stdout)["fields"]
    assert fields["episodes"]["provenance"]["source"] == "catalogue"
    assert {alt["provenance"]["source"] for alt in fields["episodes"]["alternatives"]} == {"kitsu", "anidb"}
    assert fields["synopsis"]["provenance"]["source"] in {"kitsu", "anidb"}
