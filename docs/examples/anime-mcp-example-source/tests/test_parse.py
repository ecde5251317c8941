"""Your own tests come after the kit: here, the parser on a made-up document."""

import datetime as dt

import pytest
from anime_mcp_example_source import parse_anime

from anime_mcp.core.errors import ParseError

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_parse_names_only_what_it_filled() -> None:
    record = parse_anime(b'{"id": 7, "title": "Seven"}', fetched_at=NOW)
    assert record.title == "Seven" and record.fields == {"title"} and record.episodes is None


def test_garbage_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_anime(b"<html>", fetched_at=NOW)
