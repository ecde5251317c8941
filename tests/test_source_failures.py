"""Every installed source, made to fail in each way a platform fails, still yields an answer.

For each source registered through the ``anime_mcp`` entry points (MyAnimeList twice: API v2 and Jikan),
the enrichment use case asks it about Death Note through the real HTTP path (``HttpRuntime``, the source's
own policy with retries off, its parser) while an ``httpx.MockTransport`` plays the platform: it hangs past
the request's deadline, stalls past the source's own timeout, answers 429 with ``Retry-After: 30``, answers
503, sends its real answer cut in half, or sends a Cloudflare challenge page. A second source (Kitsu, or
AniDB when Kitsu is the one failing) answers with its real recording. Every time the answer comes: the
catalogue's fields, the partner's, level ``partial`` (``offline`` when the failing source is asked alone),
and the failing source's reason worded exactly as ``core.degradation`` words it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping

import anyio
import attrs
import httpx
import pytest
from attrs import frozen
from shared_data import FIXTURES, require_shared
from test_ratings import death_note_entry

from anime_mcp.adapters.clock import SystemClock, VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.http.replay import replay_env
from anime_mcp.core.degradation import BLOCKED, MALFORMED, Level, OutcomeStatus, timed_out
from anime_mcp.core.merging import CATALOGUE
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.services.enrichment import DEFAULT_DEADLINE, Enrichment, enrich
from anime_mcp.entrypoints.testing import FakeCatalogue
from anime_mcp.ports.clock import Clock
from anime_mcp.ports.plugin_host import PluginHost, PluginSelection
from anime_mcp.ports.source import Source

pytestmark = pytest.mark.anyio

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]
SHORT_DEADLINE = 0.2  # seconds: the per-source hang cases wait this long, no more
ROOMY_DEADLINE = 10.0  # seconds: the other cases end as soon as both sources answered
NO_RETRIES = {"max_retries": 0}  # each failure is seen once, at once
WANTED = frozenset({"synopsis", "score", "episodes"})


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def installed_sources() -> dict[str, Source]:
    host = PluginHost()
    host.load_entry_points(PluginSelection())
    return {source.info.id: source for source in host.sources()}


SOURCES = installed_sources()


@frozen
class Variant:
    """One way to run a source: its id and the credentials it is given (placeholders: nothing leaves)."""

    source: str
    env: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def name(self) -> str:
        return self.source + ("-jikan" if "ANIME_MCP_JIKAN_URL" in self.env else "")


def variants() -> list[Variant]:
    found = []
    for source_id in sorted(SOURCES):
        if source_id == "mal":  # two ways to reach MyAnimeList, two parsers: both must degrade alike
            found.append(Variant("mal", {"ANIME_MCP_MAL_CLIENT_ID": "placeholder"}))
            found.append(Variant("mal", {"ANIME_MCP_JIKAN_URL": "https://api.jikan.moe/v4"}))
        else:
            found.append(Variant(source_id))
    return found


VARIANTS = variants()
IDS = [v.name for v in VARIANTS]
# Death Note as the catalogue lists it, plus the pages it does not list (notify.moe, AnimeSchedule), so
# that every installed source has a page to be asked about.
EXTRA_PAGES = {"notify": "0-A-5Fimg", "animeschedule": "death-note"}


def entry_on_every_platform() -> CatalogueEntry:
    entry = death_note_entry()
    listed = set(entry.ids())
    extra = [
        PlatformId(SOURCES[s].info.platform, page)
        for s, page in EXTRA_PAGES.items()
        if s in SOURCES and SOURCES[s].info.platform not in listed
    ]
    return attrs.evolve(entry, sources=(*entry.sources, *extra))


ENTRY = entry_on_every_platform()
CATALOGUE_STORE = FakeCatalogue([ENTRY])

# A Cloudflare managed challenge as it arrives (status 403, cf-mitigated header), trimmed of its
# obfuscated script: the title, the _cf_chl_opt settings object and the challenge-platform script tag.
CHALLENGE_PAGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    b'<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    b'<meta name="robots" content="noindex,nofollow"></head><body><div class="main-wrapper" role="main">'
    b'<div class="main-content"><h1 class="zone-name-title h1">example.org</h1>'
    b'<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>'
    b"<noscript>Enable JavaScript and cookies to continue</noscript></div></div>"
    b"<script>(function(){window._cf_chl_opt={cvId: '3',cZone: 'example.org',cType: 'managed'};"
    b"var cpo = document.createElement('script');"
    b"cpo.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=8f0e';"
    b"document.getElementsByTagName('head')[0].appendChild(cpo);}());</script></body></html>"
)
# A real answer of each platform, cut in half for the malformed case (any anime will do).
RECORDINGS = {
    "anidb": "anidb/anime/anime_4563_death-note.xml",
    "anilist": "anilist/anime/media_1_cowboy-bebop.json",
    "animeschedule": "animeschedule/anime/anime_cowboy-bebop.json",
    "kitsu": "kitsu/anime/anime_1376_death-note.json",
    "notify": "notify/anime/anime_0-A-5Fimg_death-note.json",
}


def recording(source_id: str) -> bytes | None:
    """A real answer of ``source_id``'s platform (the first under fixtures/<dir>/anime when not named)."""
    named = RECORDINGS.get(source_id)
    if named is not None:
        return require_shared(FIXTURES / named).read_bytes()
    folder = {"mal": "jikan", "ann": "animenewsnetwork"}.get(source_id, source_id)
    found = sorted((FIXTURES / folder / "anime").glob("*")) if (FIXTURES / folder).is_dir() else []
    documents = [p for p in found if p.suffix in (".json", ".xml")]
    return documents[0].read_bytes() if documents else None


def truncated(document: bytes | None) -> bytes:
    if document is None:
        return b'{"data": {"id": "1535", "attributes": {"canonicalTitle": "Death N'
    return document[: len(document) // 2]


# --- the failing platform ---------------------------------------------------------------------------------


async def hang(request: httpx.Request) -> httpx.Response:
    await anyio.sleep(3600)
    raise AssertionError("the deadline should have cancelled this")


async def rate_limited(request: httpx.Request) -> httpx.Response:
    return httpx.Response(429, headers={"Retry-After": "30"}, text="Too Many Requests")


async def unavailable(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text="Service Unavailable")


async def challenge(request: httpx.Request) -> httpx.Response:
    headers = {
        "content-type": "text/html; charset=UTF-8",
        "cf-mitigated": "challenge",
        "server": "cloudflare",
    }
    return httpx.Response(403, headers=headers, content=CHALLENGE_PAGE)


def malformed(source_id: str) -> Handler:
    body = truncated(recording(source_id))

    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    return answer


def serving(document: bytes) -> Handler:
    async def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=document)

    return answer


# --- running one enrichment -------------------------------------------------------------------------------


def runtime(handler: Handler, env: Mapping[str, str], clock: Clock, **policy: object) -> HttpRuntime:
    return HttpRuntime(
        client=make_async_client(httpx.MockTransport(handler)),
        clock=clock,
        env={**replay_env({}, SOURCES.values()), **env},
        overrides={source_id: {**NO_RETRIES, **policy} for source_id in SOURCES},
    )


def partner_of(variant: Variant) -> str:
    return "anidb" if variant.source == "kitsu" else "kitsu"


async def enrich_failing(
    variant: Variant,
    handler: Handler,
    *,
    deadline: float = ROOMY_DEADLINE,
    clock: Clock | None = None,
    alone: bool = False,
    **policy: object,
) -> Enrichment:
    """Death Note enriched by ``variant`` (answered by ``handler``) and, unless ``alone``, by a partner
    source answering its real recording."""
    failing = runtime(handler, variant.env, clock or SystemClock(), **policy)
    partner_id = partner_of(variant)
    partner = runtime(
        serving(require_shared(FIXTURES / RECORDINGS[partner_id]).read_bytes()), {}, SystemClock()
    )
    sources = {variant.source: SOURCES[variant.source].bind(failing)}
    if not alone:
        sources[partner_id] = SOURCES[partner_id].bind(partner)
    try:
        return await enrich(
            "mal:1535", CATALOGUE_STORE, sources, fields=WANTED, only=list(sources), deadline=deadline
        )
    finally:
        await failing.aclose()
        await partner.aclose()


def check_answer(result: Enrichment, variant: Variant, reason: str, *, alone: bool = False) -> None:
    """The answer came: the catalogue's fields, the partner's, and the failing source's reason."""
    assert result.entry.anime_id == "mal-1535"
    episodes = result.merged.get("episodes")
    assert episodes is not None and episodes.value == 37 and episodes.provenance.source == CATALOGUE
    outcome = result.outcome(variant.source)
    assert outcome is not None and outcome.status is OutcomeStatus.FAILED, result.outcomes
    assert outcome.reason == reason, outcome
    if alone:
        assert result.level is Level.OFFLINE and not result.records
        return
    partner = result.outcome(partner_of(variant))
    assert partner is not None and partner.contributed, result.outcomes
    assert result.level is Level.PARTIAL
    synopsis = result.merged.get("synopsis")
    assert synopsis is not None and synopsis.provenance.source == partner_of(variant)


def test_every_installed_source_is_covered() -> None:
    assert {"anidb", "anilist", "ann", "kitsu", "mal", "notify", "simkl", "animeschedule"} <= set(SOURCES)
    assert all(ENTRY.ids().get(s.info.platform) for s in SOURCES.values())


# --- the cases --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_a_hang_past_the_deadline_is_timed_out(variant: Variant) -> None:
    """Asked alone, so that a slow partner on a busy machine cannot be cut by the short deadline."""
    result = await enrich_failing(variant, hang, deadline=SHORT_DEADLINE, alone=True)
    check_answer(result, variant, f"timed out after {SHORT_DEADLINE:g} s", alone=True)


async def test_every_source_hanging_at_once_costs_one_default_deadline() -> None:
    """All sources hang together under the default deadline: one 3 s wait, "timed out after 3 s" each."""
    clients = [runtime(hang, v.env, SystemClock()) for v in VARIANTS]
    sources = {v.name: SOURCES[v.source].bind(rt) for v, rt in zip(VARIANTS, clients, strict=True)}
    started = time.perf_counter()
    try:
        result = await enrich("mal:1535", CATALOGUE_STORE, sources, fields=WANTED, deadline=DEFAULT_DEADLINE)
    finally:
        for client in clients:
            await client.aclose()
    elapsed = time.perf_counter() - started
    assert DEFAULT_DEADLINE <= elapsed < DEFAULT_DEADLINE + 1.5
    assert result.level is Level.OFFLINE and result.merged.get("episodes") is not None
    reasons = {o.source: o.reason for o in result.outcomes}
    assert reasons == dict.fromkeys(IDS, "timed out after 3 s")


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_the_sources_own_timeout_is_timed_out(variant: Variant) -> None:
    """The platform stalls past the source's own per-request timeout (30 s on a virtual clock, so no wait):
    the HTTP path gives up before the request's deadline."""
    result = await enrich_failing(variant, hang, clock=VirtualClock())
    check_answer(result, variant, "timed out")


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_429_with_retry_after_is_rate_limited_with_the_wait(variant: Variant) -> None:
    result = await enrich_failing(variant, rate_limited)
    check_answer(result, variant, "rate limited, retry in 30 s")
    outcome = result.outcome(variant.source)
    assert outcome is not None and outcome.retry_after == 30.0


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_503_is_unavailable(variant: Variant) -> None:
    check_answer(await enrich_failing(variant, unavailable), variant, "unavailable (HTTP 503)")


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_a_truncated_answer_is_malformed(variant: Variant) -> None:
    check_answer(await enrich_failing(variant, malformed(variant.source)), variant, MALFORMED)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_a_challenge_page_is_blocked(variant: Variant) -> None:
    check_answer(await enrich_failing(variant, challenge), variant, BLOCKED)


@pytest.mark.parametrize("variant", VARIANTS, ids=IDS)
async def test_a_challenge_page_with_status_200_is_blocked_too(variant: Variant) -> None:
    """Some challenges come back 200 (or a JSON API's CDN serves one): the body decides, not the status."""

    async def ok_challenge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/html"}, content=CHALLENGE_PAGE)

    check_answer(await enrich_failing(variant, ok_challenge, alone=True), variant, BLOCKED, alone=True)


@pytest.mark.parametrize(
    ("handler", "reason"),
    [(unavailable, "unavailable (HTTP 503)"), (rate_limited, "rate limited, retry in 30 s")],
    ids=["503", "429"],
)
async def test_asked_alone_the_answer_is_the_catalogues(handler: Handler, reason: str) -> None:
    for variant in VARIANTS:
        check_answer(await enrich_failing(variant, handler, alone=True), variant, reason, alone=True)


def test_the_timeout_wording_matches_the_domain() -> None:
    assert timed_out("x", DEFAULT_DEADLINE).reason == "timed out after 3 s"
