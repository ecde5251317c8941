"""The tool catalogue at the terminal (``anime-mcp tools``, ``anime-mcp call``) and the servers' settings."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from click.testing import CliRunner
from serve_support import environment, ingested_home

from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.cli.serve import _bind, parse_arguments


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()


def test_tools_json_lists_every_tool_with_its_schemas(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["tools", "--json"], env=environment(home))
    assert result.exit_code == 0, result.output
    tools = {tool["name"]: tool for tool in json.loads(result.stdout)}
    assert {"search_anime", "get_anime_by_id", "find_similar_anime"} <= set(tools)
    assert all(
        tool["input_schema"]["type"] == tool["output_schema"]["type"] == "object" for tool in tools.values()
    )


def test_call_runs_a_tool_as_text_or_json(runner: CliRunner, home: Path) -> None:
    text = runner.invoke(cli, ["call", "search_anime", "query=death note", "limit=2"], env=environment(home))
    assert text.exit_code == 0, text.output
    assert "1. Death Note — TV 2006" in text.stdout
    data = runner.invoke(
        cli,
        ["call", "search_anime", "query=death", 'filters.types=["MOVIE","TV"]', "limit=3", "--json"],
        env=environment(home),
    )
    assert data.exit_code == 0, data.output
    assert {r["type"] for r in json.loads(data.stdout)["results"]} <= {"MOVIE", "TV"}


def test_call_errors_are_one_line_and_exit_1(runner: CliRunner, home: Path) -> None:
    result = runner.invoke(cli, ["call", "get_anime_by_id", "anime_id=mal:99999999"], env=environment(home))
    assert result.exit_code == 1
    assert "no catalogue entry has mal:99999999" in result.output and "Traceback" not in result.output
    assert runner.invoke(cli, ["call", "search_anime", "limit=0"], env=environment(home)).exit_code == 1
    assert (
        runner.invoke(cli, ["call", "search_anime", "no-equals-sign"], env=environment(home)).exit_code == 2
    )


def test_parse_arguments_reads_json_values_and_dotted_keys() -> None:
    assert parse_arguments(
        ("query=death note", "limit=3", "filters.year_min=2000", 'filters.types=["TV"]')
    ) == {"query": "death note", "limit": 3, "filters": {"year_min": 2000, "types": ["TV"]}}


def test_the_listening_socket_disables_nagle_for_every_connection() -> None:
    """Handed a socket, uvicorn does not set TCP_NODELAY on what it accepts: keep-alive answers waited 40 ms
    for the client's delayed ACK. Accepted connections inherit the listening socket's option."""
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        client = socket.create_connection(sock.getsockname())
        accepted, _ = sock.accept()
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        accepted.close()
        client.close()
    finally:
        sock.close()
