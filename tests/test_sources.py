"""The built-in sources beyond the kit: request building, credentials, backends, batching, pagination,
caching, and Hypothesis on every parser entry point (only typed errors may come out)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared_data import require_shared

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.errors import AuthRequired, NotFound, SourceError, Unavailable
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.plugins.sources.anidb.source import AnidbSource
from anime_mcp.plugins.sources.anilist.source import AnilistSource
from anime_mcp.plugins.sources.animeschedule.source import AnimeScheduleSource
from anime_mcp.plugins.sources.ann.source import AnnSource
from anime_mcp.plugins.sources.kitsu.source import KitsuSource
from anime_mcp.plugins.sources.mal.source import MalSource
from anime_mcp.plugins.sources.notify.source import NotifySource
from anime_mcp.plugins.sources.simkl.source import SimklSource
from anime_mcp.ports.source import Source

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"
MAL_V2 = Path(__file__).resolve().parent / "data" / "mal_api_v2"
ALL_SOURCES: list[Source] = [
    MalSource(),
    AnilistSource(),
    KitsuSource(),
    AnidbSource(),
    AnnSource(),
    AnimeScheduleSource(),
    SimklSource(),
    NotifySource(),
]
needs_fixtures = pytest.mark.usefixtures("shared_fixtures")  # fails, never skips, without ../shared


class Recorder:
    """Answers every request with one document and remembers the requests."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body, self.status = body, status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, content=self.body)


def bind(
    source: Source, handler: object, env: dict[str, str] | None = None, cache: MemoryCache | None = None
) -> Source:
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)),  # type: ignore[arg-type]
        clock=VirtualClock(),
        env=env or {},
        cache=cache,
    )
    return source.bind(runtime)


def test_every_built_in_source_implements_the_port() -> None:
    for source in ALL_SOURCES:
        assert isinstance(source, Source), source
        assert source.info.rate_limits and source.info.formats


async def test_unbound_sources_say_so_in_a_typed_error() -> None:
    with pytest.raises(Unavailable, match="not bound"):
        await KitsuSource().fetch(PlatformId(Platform.KITSU, "1"))


async def test_a_pid_of_another_platform_is_not_found() -> None:
    source = bind(KitsuSource(), Recorder(b"{}"))
    with pytest.raises(NotFound):
        await source.fetch(PlatformId(Platform.MAL, "1"))


# --- MyAnimeList: two backends ---------------------------------------------------------------------
async def test_mal_needs_a_client_id_or_a_jikan_url() -> None:
    recorder = Recorder(b"{}")
    with pytest.raises(AuthRequired, match="ANIME_MCP_MAL_CLIENT_ID"):
        await bind(MalSource(), recorder).fetch(PlatformId(Platform.MAL, "1"))
    assert recorder.requests == []


async def test_mal_v2_sends_the_client_id_header_and_the_fields() -> None:
    recorder = Recorder((MAL_V2 / "anime_30230.json").read_bytes())
    source = bind(MalSource(), recorder, {"ANIME_MCP_MAL_CLIENT_ID": "abc"})
    record = await source.fetch(PlatformId(Platform.MAL, "30230"))
    request = recorder.requests[0]
    assert request.headers["X-MAL-CLIENT-ID"] == "abc"
    assert request.url.path == "/v2/anime/30230" and "studios" in request.url.params["fields"]
    assert record.title == "Diamond no Ace: Second Season" and record.score is not None
    assert record.fetched_at == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # provenance time from the clock


@needs_fixtures
async def test_mal_uses_the_jikan_base_url_without_a_client_id() -> None:
    recorder = Recorder((FIXTURES / "jikan/anime/anime-full_1_cowboy-bebop_2025.json").read_bytes())
    source = bind(MalSource(), recorder, {"ANIME_MCP_JIKAN_URL": "http://jikan.local:8080/v4/"})
    record = await source.fetch(PlatformId(Platform.MAL, "1"))
    assert str(recorder.requests[0].url) == "http://jikan.local:8080/v4/anime/1/full"
    assert record.title == "Cowboy Bebop"


async def test_mal_episodes_need_jikan_even_with_a_client_id() -> None:
    source = bind(MalSource(), Recorder(b"{}"), {"ANIME_MCP_MAL_CLIENT_ID": "abc"})
    with pytest.raises(Unavailable, match="ANIME_MCP_JIKAN_URL"):
        await source.episodes(PlatformId(Platform.MAL, "1"))  # type: ignore[attr-defined]


# --- AniDB: registered client, caching ------------------------------------------------------------
@needs_fixtures
async def test_anidb_sends_the_registered_client_and_caches_for_a_day() -> None:
    recorder = Recorder((FIXTURES / "anidb/anime/anime_4563_death-note.xml").read_bytes())
    clock = VirtualClock()
    runtime = HttpRuntime(
        client=make_async_client(httpx.MockTransport(recorder)),
        clock=clock,
        env={"ANIME_MCP_ANIDB_CLIENT": "myclient", "ANIME_MCP_ANIDB_CLIENTVER": "3"},
        cache=MemoryCache(clock),
    )
    source = AnidbSource().bind(runtime)
    pid = PlatformId(Platform.ANIDB, "4563")
    record = await source.fetch(pid)
    episodes = await source.episodes(pid)  # type: ignore[attr-defined]
    assert record.title == "Death Note" and len(episodes) > 30
    assert len(recorder.requests) == 1  # the episode list came from the cached answer
    params = recorder.requests[0].url.params
    assert (params["request"], params["client"], params["clientver"], params["protover"], params["aid"]) == (
        "anime",
        "myclient",
        "3",
        "1",
        "4563",
    )
    clock.advance(24 * 3600)
    await source.fetch(pid)
    assert len(recorder.requests) == 2  # expired after a day


async def test_anidb_never_retries() -> None:
    recorder = Recorder(b"", status=503)
    source = bind(AnidbSource(), recorder, {"ANIME_MCP_ANIDB_CLIENT": "c", "ANIME_MCP_ANIDB_CLIENTVER": "1"})
    with pytest.raises(Unavailable):
        await source.fetch(PlatformId(Platform.ANIDB, "1"))
    assert len(recorder.requests) == 1


@needs_fixtures
async def test_anidb_ban_notice_opens_the_breaker() -> None:
    recorder = Recorder(b'<error code="500">banned</error>')
    source = bind(AnidbSource(), recorder, {"ANIME_MCP_ANIDB_CLIENT": "c", "ANIME_MCP_ANIDB_CLIENTVER": "1"})
    for aid in ("1", "2"):
        with pytest.raises(SourceError):
            await source.fetch(PlatformId(Platform.ANIDB, aid))
    with pytest.raises(Unavailable, match="circuit open"):
        await source.fetch(PlatformId(Platform.ANIDB, "3"))
    assert len(recorder.requests) == 2


# --- ANN: several ids per request ------------------------------------------------------------------
@needs_fixtures
async def test_ann_batches_up_to_50_ids_per_request() -> None:
    recorder = Recorder((FIXTURES / "animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml").read_bytes())
    source = bind(AnnSource(), recorder)
    pids = [PlatformId(Platform.ANN, str(n)) for n in (1, 5, 100, 4658, *range(1000, 1060))]
    found = await source.fetch_many(pids)  # type: ignore[attr-defined]
    assert sorted(int(p.id) for p in found) == [1, 5, 100, 4658]
    assert [len(r.url.params["anime"].split("/")) for r in recorder.requests] == [50, 14]


# --- AniList: GraphQL POSTs that behave like reads ---------------------------------------------------
@needs_fixtures
async def test_anilist_queries_are_coalesced_and_carry_variables() -> None:
    recorder = Recorder((FIXTURES / "anilist/season/page_season_fall-2017_releasing.json").read_bytes())
    source = bind(AnilistSource(), recorder)
    candidates = await source.season(2017, Season.FALL, limit=10)  # type: ignore[attr-defined]
    assert len(candidates) == 10
    body = json.loads(recorder.requests[0].content)
    assert body["variables"] == {"season": "FALL", "seasonYear": 2017, "page": 1, "perPage": 50}
    assert recorder.requests[0].method == "POST" and len(recorder.requests) == 1  # hasNextPage false


# --- Kitsu: slugs, episode pagination --------------------------------------------------------------
async def test_kitsu_episodes_follow_links_next() -> None:
    """JSON:API pages written by hand in Kitsu's episode shape (no recording of this endpoint exists)."""

    def page(n: int, last: bool) -> bytes:
        data = [
            {
                "id": str(100 + 2 * n + i),
                "type": "episodes",
                "attributes": {"number": 2 * n + i + 1, "canonicalTitle": f"Episode {2 * n + i + 1}"},
            }
            for i in range(2)
        ]
        nxt = None if last else f"https://kitsu.app/api/edge/anime/1/episodes?page%5Boffset%5D={2 * (n + 1)}"
        return json.dumps({"data": data, "links": {"next": nxt} if nxt else {}}).encode()

    pages = [page(0, False), page(1, False), page(2, True)]
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, content=pages[len(seen) - 1])

    episodes = await bind(KitsuSource(), handler).episodes(PlatformId(Platform.KITSU, "1"))  # type: ignore[attr-defined]
    assert [e.number for e in episodes] == [1, 2, 3, 4, 5, 6]
    assert len(seen) == 3 and "page%5Boffset%5D=4" in seen[2]


async def test_kitsu_asks_by_slug_for_slugs() -> None:
    recorder = Recorder(json.dumps({"data": []}).encode())
    with pytest.raises(NotFound):
        await bind(KitsuSource(), recorder).fetch(PlatformId(Platform.KITSU, "cowboy-bebop"))
    assert recorder.requests[0].url.params["filter[slug]"] == "cowboy-bebop"


# --- credentials in requests --------------------------------------------------------------------------
async def test_token_sources_send_their_credentials() -> None:
    recorder = Recorder(b"{}")
    with pytest.raises(SourceError):
        await bind(AnimeScheduleSource(), recorder, {"ANIME_MCP_ANIMESCHEDULE_TOKEN": "tok"}).fetch(
            PlatformId(Platform.ANIMESCHEDULE, "cowboy-bebop")
        )
    with pytest.raises(SourceError):
        await bind(SimklSource(), recorder, {"ANIME_MCP_SIMKL_CLIENT_ID": "cid"}).fetch(
            PlatformId(Platform.SIMKL, "1")
        )
    schedule, simkl = recorder.requests
    assert schedule.headers["authorization"] == "Bearer tok"
    assert simkl.headers["simkl-api-key"] == "cid" and simkl.url.params["client_id"] == "cid"


# --- Hypothesis: random and truncated documents into every source's parse() ---------------------------
def _documents() -> list[bytes]:
    require_shared(FIXTURES)
    picks = [
        "jikan/anime/anime_1_cowboy-bebop_2026.json",
        "anilist/anime/media_1_cowboy-bebop.json",
        "kitsu/anime/anime_1_cowboy-bebop.json",
        "anidb/anime/anime_1_seikai-no-monshou.xml",
        "animenewsnetwork/anime/api_anime_1-5-100-4658_batch.xml",
        "animeschedule/anime/anime_cowboy-bebop.json",
        "simkl/anime/api_anime_40398_hunter-x-hunter_summary.json",
        "notify/anime/anime_gLmp5FimR_monster.json",
    ]
    return [(FIXTURES / p).read_bytes() for p in picks]


DOCUMENTS = _documents()


@st.composite
def hostile_documents(draw: st.DrawFn) -> bytes:
    choice = draw(st.integers(0, 2))
    if choice == 0:
        return draw(st.binary(max_size=2000))
    document = draw(st.sampled_from(DOCUMENTS))
    cut = draw(st.integers(0, len(document)))
    if choice == 1:
        return document[:cut]
    junk = draw(st.binary(max_size=50))
    return document[:cut] + junk + document[cut + len(junk) :]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=hostile_documents(), index=st.integers(0, len(ALL_SOURCES) - 1), data=st.data())
def test_parse_lets_only_typed_errors_out(document: bytes, index: int, data: st.DataObject) -> None:
    source = ALL_SOURCES[index]
    kind = data.draw(st.sampled_from(source.info.kinds))
    with contextlib.suppress(SourceError):  # anything else fails the test
        source.parse(document, kind=kind)
