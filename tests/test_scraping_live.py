"""Scraping against a real HTTP server on 127.0.0.1 (no other network): robots.txt fetched once, cached and
obeyed through the source's HTTP client, and the cloudscraper transport (worker threads, one scraper per
thread) in the same pipeline. Integration: it starts a server (tests/conftest.py INTEGRATION)."""

from __future__ import annotations

import gzip
import random
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import anyio
import attrs
import httpx
import pytest

from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.http import HttpRuntime
from anime_mcp.adapters.http.cloudflare import CloudscraperTransport
from anime_mcp.adapters.scraping import SCRAPE_POLICY, SCRAPE_RATE_LIMITS, ScrapedSource, parse_page, text_of
from anime_mcp.adapters.source_toolkit import RecordBuilder
from anime_mcp.core.errors import Blocked, NotFound
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports.source import RateLimit, SourceInfo

pytestmark = pytest.mark.anyio

ROBOTS = b"User-agent: *\nDisallow: /anime/hidden\n\nUser-agent: anime-mcp\nDisallow: /anime/not-for-us\n"
CHALLENGE = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>"


class Site(BaseHTTPRequestHandler):
    robots: ClassVar[bytes | None] = ROBOTS  # None: no robots.txt (404)
    seen: ClassVar[list[tuple[str, str, str]]] = []  # (path, user agent, thread)

    def do_GET(self) -> None:
        Site.seen.append((self.path, self.headers.get("user-agent", ""), threading.current_thread().name))
        if self.path == "/robots.txt":
            return self._answer(404, b"no") if Site.robots is None else self._answer(200, Site.robots)
        if self.path == "/anime/challenge":
            return self._answer(503, CHALLENGE)
        if self.path == "/anime/gone":
            return self._answer(404, b"<html><body>Not here</body></html>")
        name = self.path.rsplit("/", 1)[-1]
        page = f"<html><head><title>{name}</title></head><body><h1>{name}</h1></body></html>".encode()
        if "gzip" in self.headers.get("accept-encoding", ""):
            return self._answer(200, gzip.compress(page), gzip=True)
        return self._answer(200, page)

    def _answer(self, status: int, body: bytes, *, gzip: bool = False) -> None:
        self.send_response(status)
        self.send_header("content-type", "text/html; charset=utf-8")
        if gzip:
            self.send_header("content-encoding", "gzip")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    Site.seen = []
    Site.robots = ROBOTS
    server = ThreadingHTTPServer(("127.0.0.1", 0), Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class LocalSite(ScrapedSource):
    info = SourceInfo(
        id="localsite",
        platform=Platform.ANIMEPLANET,
        kind="scrape",
        fields={"title"},
        rate_limits=SCRAPE_RATE_LIMITS,
    )
    base = ""

    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        response = await self.page(f"{self.base}/anime/{pid.id}")
        record = RecordBuilder(pid)
        record.set("title", text_of(parse_page(response.content, source=self.info.id).find(".//h1")))
        return record.build(fetched_at=self.now())


FAST = {"rate_limits": (RateLimit(50, 1),), "max_retries": 0}


def bound(base: str, *, transport: httpx.AsyncBaseTransport | None = None, **overrides: object) -> LocalSite:
    source = LocalSite()
    source.base = base
    runtime = HttpRuntime(
        client=httpx.AsyncClient(transport=transport or httpx.AsyncHTTPTransport()),
        clock=SystemClock(),
        env={},
        overrides={"localsite": {**FAST, **overrides}},
        rng=random.Random(3),
    )
    return source.bind(runtime)


def _pid(name: str) -> PlatformId:
    return PlatformId(Platform.ANIMEPLANET, name)


async def test_robots_txt_is_fetched_once_and_obeyed_for_our_user_agent(site: str) -> None:
    source = bound(site)
    assert (await source.fetch(_pid("death-note"))).title == "death-note"
    assert (await source.fetch(_pid("monster"))).title == "monster"
    with pytest.raises(Blocked, match=r"robots\.txt disallows /anime/not-for-us"):
        await source.fetch(_pid("not-for-us"))
    # the '*' group does not govern us: our own group does
    assert (await source.fetch(_pid("hidden"))).title == "hidden"
    paths = [path for path, _, _ in Site.seen]
    assert paths.count("/robots.txt") == 1
    assert "/anime/not-for-us" not in paths  # refused without a request
    assert all(agent.startswith("anime-mcp/") for _, agent, _ in Site.seen)


async def test_robots_can_be_turned_off_per_site_and_a_missing_file_allows_all(site: str) -> None:
    source = bound(site, obey_robots=False)
    assert (await source.fetch(_pid("not-for-us"))).title == "not-for-us"
    assert "/robots.txt" not in [path for path, _, _ in Site.seen]
    Site.robots = None
    assert (await bound(site).fetch(_pid("not-for-us"))).title == "not-for-us"


async def test_pages_keep_the_one_request_per_second_default(site: str) -> None:
    source = bound(site, rate_limits=SCRAPE_RATE_LIMITS)
    started = anyio.current_time()
    await source.fetch(_pid("a"))  # robots.txt, then the page: the second waits a second
    assert anyio.current_time() - started >= 0.9


async def test_cloudscraper_transport_runs_in_worker_threads_through_the_whole_pipeline(site: str) -> None:
    transport = CloudscraperTransport(max_workers=2)
    source = bound(site, transport=transport)
    async with anyio.create_task_group() as tg:
        for name in ("one", "two", "three", "four"):
            tg.start_soon(source.fetch, _pid(name))
    titles = {(await source.fetch(_pid(n))).title for n in ("one", "two", "three", "four")}
    assert titles == {"one", "two", "three", "four"}
    assert 1 <= len(transport._scrapers) <= 2  # one scraper per worker thread, never more than the workers
    with pytest.raises(NotFound):
        await source.fetch(_pid("gone"))
    with pytest.raises(Blocked):  # a challenge is a challenge, whichever transport fetched it
        await source.fetch(_pid("challenge"))
    assert [path for path, _, _ in Site.seen].count("/robots.txt") == 1
    await source.runtime.aclose()


async def test_cloudscraper_transport_decodes_and_types_transport_failures(site: str) -> None:
    transport = CloudscraperTransport()
    async with httpx.AsyncClient(transport=transport) as client:
        answer = await client.get(f"{site}/anime/zipped", headers={"accept-encoding": "gzip"})
        assert answer.status_code == 200
        assert b"<h1>zipped</h1>" in answer.content
        with pytest.raises(httpx.ConnectError):
            await client.get("http://127.0.0.1:9/anime/closed-port")


async def test_the_runtime_picks_cloudscraper_for_a_cloudflare_policy(site: str) -> None:
    source = bound(site, cloudflare=True)
    assert (await source.fetch(_pid("via-cloudscraper"))).title == "via-cloudscraper"
    http = source.runtime.existing("localsite")
    assert http is not None
    assert isinstance(http._client._transport, CloudscraperTransport)
    assert attrs.evolve(SCRAPE_POLICY, cloudflare=True).cloudflare
    await source.runtime.aclose()
