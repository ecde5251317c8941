"""core/services/enrichment.py with test doubles of the Source port: Kitsu and AniDB answer with their real
Death Note recordings (parsed by the real parsers, see test_ratings), a third source fails in each way a
platform can fail. Every case still yields an answer: the catalogue entry merged with what arrived, the
level, and the reason of the source that did not contribute."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Set
from typing import Any

import anyio
import pytest
from attrs import define, field
from test_ratings import death_note_entry, death_note_records

from anime_mcp.core.degradation import (
    NO_CREDENTIALS,
    NOT_ON_PLATFORM,
    Level,
    OutcomeStatus,
)
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
    UnknownAnime,
)
from anime_mcp.core.merging import CATALOGUE
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.services.enrichment import catalogue_fields, enrich
from anime_mcp.core.sources import SearchCandidate, SourceRecord
from anime_mcp.entrypoints.testing import FakeCatalogue
from anime_mcp.ports.source import Source, SourceInfo, SourceRuntime

pytestmark = pytest.mark.anyio

RECORD_FIELDS = {"title", "episodes", "synopsis", "score", "genres", "status", "streaming"}
Answer = Callable[[], Awaitable[SourceRecord]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@define
class Double:
    """A Source that answers with ``answer`` and remembers what it was asked."""

    info: SourceInfo
    answer: Answer
    asked: list[tuple[PlatformId, frozenset[str]]] = field(factory=list)

    def bind(self, runtime: SourceRuntime) -> Source:
        return self

    async def fetch(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord:
        self.asked.append((pid, frozenset(fields)))
        return await self.answer()

    async def search(self, title: str, *, limit: int = 10) -> list[SearchCandidate]:
        return []

    async def ping(self) -> None:
        return None

    def parse(self, document: bytes, *, kind: str = "anime", format: str | None = None) -> Any:
        raise NotImplementedError


def info(source: str, fields: Set[str] = frozenset(RECORD_FIELDS)) -> SourceInfo:
    return SourceInfo(id=source, platform=source, kind="api", fields=fields)


def answering(record: SourceRecord) -> Answer:
    async def answer() -> SourceRecord:
        return record

    return answer


def failing(error: SourceError) -> Answer:
    async def answer() -> SourceRecord:
        raise error

    return answer


async def never() -> SourceRecord:
    await anyio.sleep(60)
    raise AssertionError("the deadline should have cancelled this")


RECORDS = death_note_records()
ENTRY = death_note_entry()
CATALOGUE_STORE = FakeCatalogue([ENTRY])


def sources(third: Answer | None = None, **more: Double) -> dict[str, Double]:
    found = {
        "kitsu": Double(info("kitsu"), answering(RECORDS["kitsu"])),
        "anidb": Double(info("anidb"), answering(RECORDS["anidb"])),
        # the catalogue entry lists no notify.moe page for Death Note
        "notify": Double(info("notify"), answering(RECORDS["notify"])),
        **more,
    }
    if third is not None:
        found["anilist"] = Double(info("anilist"), third)
    return found


async def test_every_source_answers_in_full() -> None:
    doubles = sources()
    result = await enrich("Death Note", CATALOGUE_STORE, doubles, fields={"synopsis", "score", "episodes"})
    assert result.entry.anime_id == "mal-1535" and result.level is Level.FULL
    assert {r.record.platform_id.platform.value for r in result.records} == {"kitsu", "anidb"}
    assert result.outcome("notify") is not None and result.outcome("notify").reason == NOT_ON_PLATFORM  # type: ignore[union-attr]
    assert doubles["notify"].asked == []
    # each source was asked for its page, and only for the fields wanted
    assert doubles["kitsu"].asked == [
        (PlatformId("kitsu", "1376"), frozenset({"synopsis", "score", "episodes"}))
    ]
    assert doubles["anidb"].asked[0][0] == PlatformId("anidb", "4563")
    # merged with provenance: the synopsis from a source (kitsu before anidb), the episodes from the catalogue
    synopsis = result.merged.synopsis
    assert synopsis is not None and synopsis.source == "kitsu" and "kitsu" in (synopsis.provenance.url or "")
    assert [a.source for a in synopsis.alternatives] == ["anidb"]
    episodes = result.merged.episodes
    assert episodes is not None and episodes.value == 37 and episodes.source == CATALOGUE
    assert {a.source for a in episodes.alternatives} == {"kitsu", "anidb"} and not episodes.conflict
    # every platform's own score in its native scale, normalised, the catalogue's aggregate apart
    kitsu, anidb = result.ratings.get("kitsu"), result.ratings.get("anidb")
    assert kitsu is not None and (kitsu.value, kitsu.scale.high, kitsu.normalised) == (83.29, 100.0, 8.329)
    assert anidb is not None and (anidb.value, anidb.scale.high, anidb.votes) == (8.58, 10.0, 21658)
    assert result.ratings.catalogue is not None and result.ratings.summary is not None
    assert result.ratings.summary.count == 2
    assert result.ratings.reason("notify") == NOT_ON_PLATFORM
    assert result.ratings.reason("animeplanet") == "no source for that platform installed"


FAILURES = {
    "timeout": (never, "timed out after 0.3 s", None),
    "429 with Retry-After": (
        failing(RateLimited("HTTP 429", retry_after=42)),
        "rate limited, retry in 42 s",
        42,
    ),
    "5xx": (failing(Unavailable("HTTP 502: the site could not answer")), "unavailable (HTTP 502)", None),
    "challenge page": (
        failing(Blocked("Cloudflare 'Just a moment' (HTTP 403)")),
        "blocked by a challenge page",
        None,
    ),
    "malformed body": (failing(ParseError("expected a data array")), "malformed answer", None),
    "credentials refused": (failing(AuthRequired("HTTP 401: client id refused")), NO_CREDENTIALS, None),
}


@pytest.mark.parametrize("case", list(FAILURES))
async def test_a_failing_source_degrades_the_answer_with_its_reason(case: str) -> None:
    answer, reason, retry_after = FAILURES[case]
    started = time.monotonic()
    result = await enrich(
        "anilist:1535",
        CATALOGUE_STORE,
        sources(answer),
        fields={"synopsis", "score", "episodes"},
        deadline=0.3,
    )
    assert time.monotonic() - started < 2  # the deadline, not the slow source, ends the request
    assert result.level is Level.PARTIAL
    failed = result.outcome("anilist")
    assert failed is not None and (failed.reason, failed.retry_after) == (reason, retry_after)
    assert failed.status is (OutcomeStatus.SKIPPED if case == "credentials refused" else OutcomeStatus.FAILED)
    # still an answer: the sources that answered, merged with the catalogue
    assert {o.source for o in result.outcomes if o.contributed} == {"kitsu", "anidb"}
    assert result.merged.value("synopsis") and result.merged.value("episodes") == 37
    assert result.ratings.reason("anilist") == reason and result.ratings.get("kitsu") is not None


async def test_the_deadline_keeps_what_arrived_and_everyone_failing_is_offline() -> None:
    slow = {name: Double(info(name), never) for name in ("kitsu", "anidb")}
    result = await enrich("mal:1535", CATALOGUE_STORE, slow, fields={"synopsis"}, deadline=0.1)
    assert result.level is Level.OFFLINE and result.records == ()
    assert [o.reason for o in result.outcomes] == ["timed out after 0.1 s"] * 2
    assert result.merged.value("title") == "Death Note"  # the catalogue's answer remains


async def test_sources_without_credentials_are_not_asked() -> None:
    doubles = sources()
    result = await enrich(
        "mal:1535", CATALOGUE_STORE, doubles, fields={"score"}, ready=lambda s: s.info.id != "anidb"
    )
    assert doubles["anidb"].asked == [] and result.outcome("anidb").reason == NO_CREDENTIALS  # type: ignore[union-attr]
    assert result.outcome("anidb").status is OutcomeStatus.SKIPPED  # type: ignore[union-attr]
    assert result.level is Level.PARTIAL and result.ratings.reason("anidb") == NO_CREDENTIALS


async def test_sources_are_chosen_by_what_the_catalogue_lacks_and_what_they_declare() -> None:
    no_synopsis = Double(info("anilist", {"title", "episodes"}), answering(RECORDS["kitsu"]))
    doubles = sources(anilist=no_synopsis)
    result = await enrich("mal:1535", CATALOGUE_STORE, doubles, fields={"synopsis"})
    assert no_synopsis.asked == [] and result.outcome("anilist").reason == "does not provide synopsis"  # type: ignore[union-attr]
    assert result.level is Level.FULL
    # the catalogue has the episodes: nobody is asked, and the answer is full
    assert "episodes" in catalogue_fields(ENTRY)
    doubles = sources()
    only_episodes = await enrich("mal:1535", CATALOGUE_STORE, doubles, fields={"episodes"})
    assert all(d.asked == [] for d in doubles.values()) and only_episodes.level is Level.FULL
    assert only_episodes.merged.episodes is not None and only_episodes.merged.episodes.source == CATALOGUE
    # ... unless a source is named: it is asked for what it provides of the fields wanted
    named = await enrich("mal:1535", CATALOGUE_STORE, doubles, fields={"episodes"}, only={"anidb"})
    assert doubles["anidb"].asked and [o.source for o in named.outcomes] == ["anidb"]
    assert named.merged.episodes is not None and {a.source for a in named.merged.episodes.alternatives} == {
        "anidb"
    }


async def test_no_fields_asks_for_each_sources_default_set_and_enhance_false_asks_nobody() -> None:
    doubles = sources()
    everything = await enrich("mal:1535", CATALOGUE_STORE, doubles)
    assert doubles["kitsu"].asked[0][1] == frozenset() and everything.merged.value("genres")
    doubles = sources()
    offline = await enrich("mal:1535", CATALOGUE_STORE, doubles, enhance=False)
    assert all(d.asked == [] for d in doubles.values()) and offline.outcomes == ()
    assert offline.level is Level.FULL and offline.merged.value("title") == "Death Note"


async def test_the_catalogue_lookup_runs_through_run_sync_and_unknown_anime_fails() -> None:
    calls: list[str] = []

    async def run_sync(function: Callable[..., Any], *args: Any) -> Any:
        calls.append(function.__name__)
        return function(*args)

    await enrich("mal:1535", CATALOGUE_STORE, sources(), fields={"score"}, run_sync=run_sync)
    assert calls == ["lookup"]
    with pytest.raises(UnknownAnime):
        await enrich("mal:999999", CATALOGUE_STORE, sources())
    with pytest.raises(ValueError, match="deadline"):
        await enrich("mal:1535", CATALOGUE_STORE, sources(), deadline=0)


async def test_a_source_breaking_its_promise_of_typed_errors_loses_only_itself() -> None:
    async def crash() -> SourceRecord:
        raise KeyError("attributes")

    result = await enrich("mal:1535", CATALOGUE_STORE, sources(crash), fields={"synopsis"})
    assert result.outcome("anilist").reason == "failed (KeyError)"  # type: ignore[union-attr]
    assert result.level is Level.PARTIAL and len(result.records) == 2
