"""The public fake source (``anime_mcp.testing.FakeSource``) passes the same conformance kit as every built-in
source (tests/test_source_conformance.py), and serves the records it holds through its own transport."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.core.errors import NotFound, ParseError
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.testing import FakeSource, VirtualClock, source_suite

RECORDS = [
    {"id": 1535, "title": "Death Note", "episodes": 37, "year": 2006},
    {"id": 1, "title": "Cowboy Bebop", "episodes": 26, "year": 1998},
    {"id": 5, "title": "Cowboy Bebop: Tengoku no Tobira", "episodes": 1, "year": 2001},
]
FAKE = FakeSource(RECORDS)
# One fixed folder, written again at each import: the kit class needs the recordings at collection time,
# and a module collected but deselected never runs the clean-up fixture below.
RECORDINGS = Path(tempfile.gettempdir()) / "anime-mcp-fake-source"
shutil.rmtree(RECORDINGS, ignore_errors=True)

TestFakeSourceConformance = source_suite(FAKE, FAKE.recordings(RECORDINGS))


@pytest.fixture(scope="module", autouse=True)
def _remove_recordings() -> Iterator[None]:
    yield
    shutil.rmtree(RECORDINGS, ignore_errors=True)


def bound(source: FakeSource) -> FakeSource:
    runtime = HttpRuntime(client=make_async_client(source.transport()), clock=VirtualClock(), env={})
    return source.bind(runtime)


def pid(ident: str) -> PlatformId:
    return PlatformId(FakeSource.info.platform, ident)


def test_fetch_and_search_answer_from_the_records() -> None:
    async def main() -> tuple[SourceRecord, list[SearchCandidate]]:
        source = bound(FAKE)
        return await source.fetch(pid("1535")), await source.search("cowboy bebop")

    record, candidates = anyio.run(main)
    assert (record.title, record.episodes, record.year) == ("Death Note", 37, 2006)
    assert record.fields == {"title", "episodes", "year"}
    assert [c.platform_id.id for c in candidates] == ["1", "5"]


def test_an_unknown_id_is_not_found() -> None:
    with pytest.raises(NotFound):
        anyio.run(bound(FAKE).fetch, pid("999"))


@pytest.mark.parametrize("document", [b"", b"[]", b'{"id": 1}', b'{"id": true, "title": "x"}', b"\xff"])
def test_parse_refuses_what_is_not_an_answer(document: bytes) -> None:
    with pytest.raises(ParseError):
        FAKE.parse(document)
