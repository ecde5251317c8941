"""The enrichment planning's fallback rule: a scraped source of a platform (``anidb_web``) is asked only when
no API source of that platform is ready, or after the API source failed in this request. The web page's record
is the real AniDB page parsed by the real parser."""

from __future__ import annotations

import datetime as dt

import pytest
from shared_data import FIXTURES, require_shared
from test_enrichment import CATALOGUE_STORE, RECORDS, Double, answering, failing, info, never

from anime_mcp.core.errors import Unavailable
from anime_mcp.core.services.enrichment import NOT_NEEDED, enrich, hold_back_fallbacks
from anime_mcp.core.sources import SourceRecord
from anime_mcp.plugins.sources.anidb_web import parse as anidb_web
from anime_mcp.ports.source import SourceInfo

pytestmark = pytest.mark.anyio
FIELDS = {"synopsis", "score", "episodes"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def web_record() -> SourceRecord:
    page = require_shared(FIXTURES / "anidb" / "anime" / "web_anime_4563_death-note.html").read_bytes()
    return anidb_web.parse_anime(page, fetched_at=dt.datetime(2026, 6, 26, tzinfo=dt.UTC))


def web_double() -> Double:
    scrape = SourceInfo(id="anidb_web", platform="anidb", kind="scrape", fields=info("anidb").fields)
    return Double(scrape, answering(web_record()))


async def test_the_page_waits_while_the_api_source_answers() -> None:
    api, web = Double(info("anidb"), answering(RECORDS["anidb"])), web_double()
    result = await enrich("Death Note", CATALOGUE_STORE, {"anidb": api, "anidb_web": web}, fields=FIELDS)
    assert api.asked and web.asked == []
    assert result.outcome("anidb_web").reason == NOT_NEEDED  # type: ignore[union-attr]
    rating = result.ratings.get("anidb")
    assert rating is not None and rating.votes == 21658  # the API's answer


async def test_the_page_answers_when_the_api_source_fails() -> None:
    api = Double(info("anidb"), failing(Unavailable("HTTP 502: the site could not answer")))
    web = web_double()
    result = await enrich("Death Note", CATALOGUE_STORE, {"anidb": api, "anidb_web": web}, fields=FIELDS)
    assert api.asked and web.asked and web.asked[0][0].id == "4563"
    assert result.outcome("anidb").status.value == "failed"  # type: ignore[union-attr]
    assert result.outcome("anidb_web").status.value == "contributed"  # type: ignore[union-attr]
    rating = result.ratings.get("anidb")
    assert rating is not None and (rating.value, rating.votes) == (8.58, 20205)  # the page's own numbers
    assert result.ratings.reason("anidb") is None  # the platform has a rating: not missing


async def test_the_page_is_asked_at_once_when_no_api_source_is_ready() -> None:
    api, web = Double(info("anidb"), answering(RECORDS["anidb"])), web_double()
    result = await enrich(
        "Death Note",
        CATALOGUE_STORE,
        {"anidb": api, "anidb_web": web},
        fields=FIELDS,
        ready=lambda source: source.info.id != "anidb",
    )
    assert api.asked == [] and web.asked
    assert result.outcome("anidb_web").status.value == "contributed"  # type: ignore[union-attr]


async def test_an_api_source_out_of_time_leaves_no_time_for_the_page() -> None:
    api, web = Double(info("anidb"), never), web_double()
    result = await enrich(
        "Death Note", CATALOGUE_STORE, {"anidb": api, "anidb_web": web}, fields=FIELDS, deadline=0.2
    )
    assert web.asked == []
    assert result.outcome("anidb_web").reason == "timed out after 0.2 s"  # type: ignore[union-attr]


def test_only_scraped_sources_of_a_platform_with_an_asked_api_source_stand_by() -> None:
    kitsu, api, web = Double(info("kitsu"), never), Double(info("anidb"), never), web_double()
    mal_page = Double(SourceInfo(id="mal_web", platform="mal", kind="scrape", fields={"score"}), never)
    planned = {
        name: (double, None, frozenset())
        for name, double in {"kitsu": kitsu, "anidb": api, "anidb_web": web, "mal_web": mal_page}.items()
    }
    at_once, standby = hold_back_fallbacks(planned)  # type: ignore[arg-type]
    assert sorted(at_once) == ["anidb", "kitsu", "mal_web"]
    assert [name for name, _ in standby["anidb"]] == ["anidb_web"]
