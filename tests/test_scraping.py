"""The scraping toolkit (anime_mcp.adapters.scraping): robots.txt rules, challenge pages on real and
synthetic bodies, safe page parsing and JSON-LD, the policy fields, and which transport a runtime uses.
Network-facing behaviour (robots.txt over HTTP, the cloudscraper transport) is in test_scraping_live.py."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import attrs
import httpx
import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpPolicy, HttpRuntime, challenge_reason, make_async_client
from anime_mcp.adapters.http.cloudflare import CloudscraperTransport
from anime_mcp.adapters.http.replay import RecordingTransport
from anime_mcp.adapters.http.runtime import reaches_network
from anime_mcp.adapters.scraping import (
    SCRAPE_POLICY,
    SCRAPE_RATE_LIMITS,
    RobotsRules,
    ScrapedSource,
    json_ld,
    meta_content,
    parse_page,
    text_of,
)
from anime_mcp.adapters.source_toolkit import RecordBuilder
from anime_mcp.core.errors import Blocked, ParseError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.entrypoints.settings import ConfigError
from anime_mcp.entrypoints.source_settings import parse_source_overrides
from anime_mcp.ports.source import SourceInfo
from tests.shared_data import FIXTURES, require_shared

UA = HttpPolicy().user_agent


# --- robots.txt -------------------------------------------------------------------------------------------
ROBOTS = b"""\xef\xbb\xbfUser-agent: *
Disallow: /search
Disallow: /users/
Crawl-delay: 2

User-agent: anime-mcp
Disallow: /anime/secret
Allow: /
"""


def test_robots_rules_follow_the_group_of_our_user_agent() -> None:
    rules = RobotsRules.parse(ROBOTS)
    assert rules.allows("https://site.example/anime/death-note", UA)
    assert not rules.allows("https://site.example/anime/secret", UA)
    assert rules.allows("https://site.example/search?q=x", UA)  # our group, not '*', governs us
    other = "SomeBot/1.0"
    assert not rules.allows("https://site.example/search?q=x", other)
    assert not rules.allows("https://site.example/users/1", other)
    assert rules.crawl_delay(other) == 2.0
    assert rules.crawl_delay(UA) is None


def test_robots_rules_for_everyone_apply_to_us_and_an_empty_file_allows_all() -> None:
    rules = RobotsRules.parse("User-agent: *\nDisallow: /anime/\n")
    assert not rules.allows("https://site.example/anime/1", UA)
    assert rules.allows("https://site.example/", UA)
    assert RobotsRules.allow_all().allows("https://site.example/anything", UA)
    assert not RobotsRules.parse("User-agent: *\nDisallow: /\n").allows("https://site.example/a", UA)


def test_robots_rules_survive_junk() -> None:
    for junk in (b"\x00\xff\xfe garbage", b"<html><body>not robots</body></html>", b"Disallow /x\n" * 3):
        assert RobotsRules.parse(junk).allows("https://site.example/anime/1", UA)


# --- challenge pages ---------------------------------------------------------------------------------------
CHALLENGES = [
    b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>",
    b"<html><head><title>Attention Required! | Cloudflare</title></head><body>blocked</body></html>",
    b"<html><head><title>Please Wait... | Cloudflare</title></head><body></body></html>",
    b"<html><head><title>DDoS-Guard</title></head><body></body></html>",
    b"<html><head><title>Checking your browser before accessing site</title></head></html>",
    b'<html><body><div id="cf-chl-widget-x"></div></body></html>',
    b'<html><body><form action="/?__cf_chl_tk=abc" method="POST"></form></body></html>',
    b"<html><script src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1'></script></html>",
    b'<html><body><script src="https://check.ddos-guard.net/check.js"></script></body></html>',
]


@pytest.mark.parametrize("body", CHALLENGES)
def test_challenge_and_interstitial_pages_are_blocked_never_parsed(body: bytes) -> None:
    assert challenge_reason(body) is not None
    with pytest.raises(Blocked):
        parse_page(body, source="test")


def _real_pages() -> list[Path]:
    folders = ("animeplanet/anime", "livechart/anime", "simkl/anime", "anidb/anime", "animenewsnetwork/anime")
    return sorted(p for folder in folders for p in (FIXTURES / folder).glob("*.htm*"))


def test_real_pages_with_cloudflares_beacon_are_not_challenges() -> None:
    """Cloudflare injects a beacon (u:'/cdn-cgi/challenge-platform/h/g', .../scripts/invisible.js) into
    ordinary pages: every recorded Anime-Planet page carries it, and four are short enough for it to fall in
    the scanned head."""
    require_shared(FIXTURES / "animeplanet")
    pages = _real_pages()
    assert len(pages) > 30
    beacon = [p for p in pages if b"/cdn-cgi/challenge-platform/h/g'" in p.read_bytes()[:65536]]
    assert beacon  # the case this test is about is really in the recordings
    wrongly = [p.name for p in pages if challenge_reason(p.read_bytes()) is not None]
    assert wrongly == []


# --- pages ------------------------------------------------------------------------------------------------
PAGE = b"""<!DOCTYPE html><html><head><title>X</title>
<meta property="og:image" content=" https://img.example/x.jpg ">
<script type="application/ld+json">{"@context": "http://schema.org", "@graph": [
  {"@type": "TVSeries", "name": "Death Note"}, {"@type": ["Thing", "Movie"], "name": "Film"}]}</script>
<script type="application/ld+json">{"@type": "TVSeries", "name": NaN}</script>
<script type="application/ld+json">{not json</script>
<script type="application/ld+json; charset=utf-8">[{"@type": "Organization", "name": "Madhouse"}]</script>
</head><body><h1>  Death
  Note </h1></body></html>"""


def test_parse_page_reads_json_ld_meta_and_text() -> None:
    root = parse_page(PAGE, source="test")
    assert [o["name"] for o in json_ld(root)] == ["Death Note", "Film", "Madhouse"]
    assert [o["name"] for o in json_ld(root, types=frozenset({"Movie"}))] == ["Film"]
    assert meta_content(root, "og:image") == "https://img.example/x.jpg"
    assert text_of(root.find(".//h1")) == "Death Note"
    assert text_of(None) is None
    assert text_of("  ") is None


@pytest.mark.parametrize("body", [b"", b"   \n", b"x" * 10, "\u0000".encode()])
def test_parse_page_gives_typed_errors_only(body: bytes) -> None:
    with contextlib.suppress(ParseError):
        parse_page(body, source="test")


def test_parse_page_refuses_oversized_pages() -> None:
    with pytest.raises(ParseError, match="limit"):
        parse_page(b"<html>" + b" " * 2000 + b"</html>", source="test", max_bytes=1000)


# --- policy and settings ----------------------------------------------------------------------------------
def test_the_scraping_policy_fields_are_validated_and_configurable() -> None:
    assert HttpPolicy().obey_robots is True
    assert HttpPolicy().cloudflare is False
    with pytest.raises(TypeError):
        HttpPolicy(obey_robots="no")  # type: ignore[arg-type]
    overrides = parse_source_overrides(
        {"animeplanet": {"obey_robots": False, "cloudflare": True, "user_agent": "me/1.0 (me@example.org)"}}
    )
    policy = SCRAPE_POLICY.with_overrides(overrides["animeplanet"])
    assert (policy.obey_robots, policy.cloudflare, policy.user_agent) == (
        False,
        True,
        "me/1.0 (me@example.org)",
    )
    with pytest.raises(ConfigError, match="obey_robots must be true or false"):
        parse_source_overrides({"animeplanet": {"obey_robots": "yes"}})


# --- which transport a runtime uses -----------------------------------------------------------------------
def test_only_the_real_network_counts_as_reaching_the_site(tmp_path: Path) -> None:
    network = httpx.AsyncHTTPTransport()
    assert reaches_network(network)
    assert reaches_network(CloudscraperTransport())
    assert reaches_network(RecordingTransport(network, tmp_path))
    assert not reaches_network(httpx.MockTransport(lambda r: httpx.Response(200)))
    assert not reaches_network(
        RecordingTransport(httpx.MockTransport(lambda r: httpx.Response(200)), tmp_path)
    )


def _runtime(transport: httpx.AsyncBaseTransport | None) -> HttpRuntime:
    client = httpx.AsyncClient(transport=transport) if transport else make_async_client()
    return HttpRuntime(client=client, clock=VirtualClock(), env={}, rng=random.Random(1))


async def test_cloudflare_sources_get_cloudscraper_only_in_place_of_the_network() -> None:
    live = _runtime(httpx.AsyncHTTPTransport())
    cloudflare = attrs.evolve(SCRAPE_POLICY, cloudflare=True)
    scraped = live.http("behind-cloudflare", cloudflare)
    plain = live.http("plain", SCRAPE_POLICY)
    assert isinstance(scraped._client._transport, CloudscraperTransport)
    assert plain._client is live.client
    mocked = _runtime(httpx.MockTransport(lambda r: httpx.Response(200)))
    assert mocked.http("behind-cloudflare", cloudflare)._client is mocked.client  # replay/mocks stay
    await live.aclose()
    await mocked.aclose()


async def test_a_mocked_runtime_never_asks_for_robots_txt() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(200, content=b"<html><body><h1>Tiny</h1></body></html>")

    source = TinySite().bind(_runtime(httpx.MockTransport(handler)))
    record = await source.fetch(PlatformId(Platform.ANIMEPLANET, "tiny"))
    assert record.title == "Tiny"
    assert seen == ["/anime/tiny"]


def test_a_scraped_source_declares_kind_scrape() -> None:
    with pytest.raises(TypeError, match="kind='scrape'"):

        class Wrong(ScrapedSource):
            info = SourceInfo(id="wrong", platform=Platform.ANIMEPLANET, kind="api", fields={"title"})


class TinySite(ScrapedSource):
    info = SourceInfo(
        id="tiny",
        platform=Platform.ANIMEPLANET,
        kind="scrape",
        fields={"title"},
        name="Tiny",
        homepage="https://tiny.example",
        rate_limits=SCRAPE_RATE_LIMITS,
    )

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.page(f"https://tiny.example/anime/{pid.id}")
        root = parse_page(response.content, source=self.info.id)
        record = RecordBuilder(pid)
        record.set("title", text_of(root.find(".//h1")))
        return record.build(fetched_at=self.now())


pytestmark = pytest.mark.anyio
