"""The kit itself: it passes a well-behaved source and catches each kind of misbehaviour it names.

The documents here are made up for a made-up API: they test the kit, not a platform.
"""

from __future__ import annotations

import json
from collections.abc import Set
from pathlib import Path
from typing import Any, ClassVar

import anyio
import attrs
import httpx
import pytest

from anime_mcp.adapters.http import HttpPolicy, HttpSource
from anime_mcp.adapters.http.source_base import DocumentParser
from anime_mcp.core.errors import NotFound, ParseError, SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports.source import RateLimit, SourceInfo
from anime_mcp.testing import CHECKS, CheckFailed, KitConfig, Recording, SourceConformance, source_suite

API = "https://api.example.test/v1"
INFO = SourceInfo(
    id="fake",
    platform=Platform.ANIMECOUNTDOWN,
    kind="api",
    fields={"title", "episodes"},
    rate_limits=(RateLimit(2, 1), RateLimit(10, 60)),
    formats=("fake-json",),
)


def parse_fake(body: bytes, fetched_at: Any) -> SourceRecord:
    try:
        doc = json.loads(body)
        pid = PlatformId(Platform.ANIMECOUNTDOWN, str(doc["id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ParseError(f"not a fake document: {exc}", source="fake") from None
    return SourceRecord(
        platform_id=pid,
        url=f"https://example.test/anime/{pid.id}",
        fetched_at=fetched_at,
        fields={"title", "episodes"},
        title=doc["title"],
        episodes=doc.get("episodes"),
    )


class FakeSource(HttpSource):
    info = INFO

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.http.get(f"{API}/anime/{pid.id}")
        return parse_fake(response.content, self.now())

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        return lambda body: parse_fake(body, self.now())


@pytest.fixture
def recordings(tmp_path: Path) -> list[Recording]:
    (tmp_path / "anime_1.json").write_text(json.dumps({"id": 1, "title": "One", "episodes": 12}))
    (tmp_path / "anime_2.json").write_text(json.dumps({"id": 2, "title": "Two"}))
    (tmp_path / "missing.json").write_text(json.dumps({"error": "not found"}))
    return [
        Recording(tmp_path / "anime_1.json", f"GET {API}/anime/1", call="fetch animecountdown:1"),
        Recording(tmp_path / "anime_2.json", f"GET {API}/anime/2", call="fetch animecountdown:2"),
        Recording(
            tmp_path / "missing.json",
            f"GET {API}/anime/9",
            call="fetch animecountdown:9",
            status=404,
            expect=NotFound,
            parse=False,
        ),
    ]


def run(check: str, source: Any, recordings: list[Recording], **kwargs: Any) -> None:
    anyio.run(CHECKS[check], KitConfig(source=source, recordings=recordings, **kwargs))


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_a_well_behaved_source_passes_every_check(check: str, recordings: list[Recording]) -> None:
    run(check, FakeSource(), recordings)


def test_an_unused_recording_fails_replay(recordings: list[Recording], tmp_path: Path) -> None:
    extra = Recording(tmp_path / "anime_2.json", f"GET {API}/anime/2?lang=en")  # no call, no reason
    with pytest.raises(CheckFailed, match="never requested"):
        run("replay", FakeSource(), [*recordings, extra])
    explained = attrs.evolve(extra, unused_reason="kept to show the parser copes with it")
    run("replay", FakeSource(), [*recordings, explained])


def test_an_unrecorded_request_fails_replay(recordings: list[Recording]) -> None:
    class WrongPath(FakeSource):
        async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
            response = await self.http.get(f"{API}/animes/{pid.id}")
            return parse_fake(response.content, self.now())

    with pytest.raises(CheckFailed, match="requests with no recording"):
        run("replay", WrongPath(), recordings)


def test_undeclared_fields_fail(recordings: list[Recording]) -> None:
    class Undeclared(FakeSource):
        info = attrs.evolve(INFO, fields={"title"})

    with pytest.raises(CheckFailed, match="does not declare"):
        run("parse_recordings", Undeclared(), recordings)


def test_sources_without_rate_limits_fail_metadata(recordings: list[Recording]) -> None:
    class Unlimited(FakeSource):
        info = attrs.evolve(INFO, rate_limits=())

    with pytest.raises(CheckFailed, match="rate limits"):
        run("metadata", Unlimited(), recordings)


def test_a_policy_looser_than_the_declared_limits_fails(recordings: list[Recording]) -> None:
    class Loose(FakeSource):
        policy = HttpPolicy(rate_limits=(RateLimit(1000, 1),))

    with pytest.raises(CheckFailed, match="the limit is"):
        run("rate_limits", Loose(), recordings)


def test_a_source_with_its_own_network_client_fails_no_network(recordings: list[Recording]) -> None:
    class OwnClient(FakeSource):
        async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
            async with httpx.AsyncClient() as client:  # bypasses the injected runtime
                response = await client.get("http://127.0.0.1:9/anime")
            return parse_fake(response.content, self.now())

    with pytest.raises(CheckFailed, match="network"):
        run("no_network", OwnClient(), recordings)


class RawLeaker:
    """A hand-written Source (not an HttpSource) that lets a raw error out."""

    info = INFO

    def bind(self, runtime: Any) -> RawLeaker:
        bound = RawLeaker()
        bound.runtime = runtime
        return bound

    async def fetch(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord:
        response = await self.runtime.client.get(f"{API}/anime/{pid.id}")
        response.raise_for_status()  # raw httpx.HTTPStatusError
        return parse_fake(response.content, self.runtime.clock.now())

    async def search(self, title: str, *, limit: int = 10) -> list[Any]:
        return []

    async def ping(self) -> None:
        return None

    def parse(self, document: bytes, *, kind: str = "anime", format: str | None = None) -> SourceRecord:
        return parse_fake(document, None)


def test_raw_exceptions_fail_error_mapping(recordings: list[Recording]) -> None:
    with pytest.raises(CheckFailed, match="raw HTTPStatusError"):
        run("error_mapping", RawLeaker(), recordings)


def test_a_source_that_hangs_after_cancellation_fails(recordings: list[Recording]) -> None:
    class Stuck(FakeSource):
        lock: ClassVar[list[bool]] = []

        async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
            if self.lock:
                raise SourceError("busy since a cancelled call", source="fake")
            self.lock.append(True)  # never released when cancelled
            response = await self.http.get(f"{API}/anime/{pid.id}")
            self.lock.clear()
            return parse_fake(response.content, self.now())

    with pytest.raises(CheckFailed, match="after a cancelled call"):
        run("cancellation", Stuck(), recordings)


def test_missing_credentials_must_stop_requests(recordings: list[Recording]) -> None:
    from anime_mcp.ports.source import Credential

    class Careless(FakeSource):
        info = attrs.evolve(INFO, credentials=(Credential("FAKE_TOKEN", "a token"),))

        async def ping(self) -> None:
            return None  # does not check the credential

    with pytest.raises(CheckFailed, match="AuthRequired"):
        run("credentials", Careless(), recordings, env={})


def test_the_factory_builds_a_collectable_suite(recordings: list[Recording]) -> None:
    suite = source_suite(FakeSource(), recordings, waivers={"ping": "the fake API has nothing to ping"})
    assert suite.__name__ == "TestFakeSourceConformance" and issubclass(suite, SourceConformance)
    instance = suite()
    instance.test_waivers_have_reasons()
    instance.test_replay()
    with pytest.raises(pytest.skip.Exception, match="waived"):
        instance.test_ping()


def test_a_waiver_needs_a_written_reason(recordings: list[Recording]) -> None:
    lazy = source_suite(FakeSource(), recordings, waivers={"timeouts": "flaky"})()
    with pytest.raises(AssertionError, match="written reason"):
        lazy.test_waivers_have_reasons()
    unknown = source_suite(FakeSource(), recordings, waivers={"speed": "this check does not exist at all"})()
    with pytest.raises(AssertionError, match="unknown checks"):
        unknown.test_waivers_have_reasons()
