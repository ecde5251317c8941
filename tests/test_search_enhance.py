"""search_anime with enhance: the offline search's first hits enriched by the live sources, on fakes
(catalogue, index, embedder) and the real Kitsu and AniDB sources behind an ``httpx.MockTransport``: Kitsu
answers its real Death Note recording, AniDB answers 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
import pytest
from jsonschema import Draft202012Validator
from shared_data import DATA, FIXTURES, require_shared

from anime_mcp.adapters.aod_reader import AodJsonReader
from anime_mcp.adapters.http import make_async_client
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.degradation import timed_out
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.entrypoints.tools import ToolCatalogue, ToolInputError, build_tools
from anime_mcp.entrypoints.tools.errors import classify
from anime_mcp.entrypoints.tools.search_tools import ENHANCED_HITS
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider, FakeIndexBackend

KITSU = FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"
COPIES = 6  # Death Note and six look-alikes: more hits than ENHANCED_HITS
# Kitsu's 4 requests a second let all five hits through in time; AniDB's one per 2 s lets one through.
DEADLINE = 1.5


def look_alikes(entry: CatalogueEntry) -> list[CatalogueEntry]:
    """Death Note, then copies with their own ids on every platform (so each is a separate anime)."""
    copies = [entry]
    for n in range(1, COPIES + 1):
        sources = [
            PlatformId(p.platform, f"{p.id}{n}" if p.id.isdigit() else f"{p.id}-{n}") for p in entry.sources
        ]
        copies.append(attrs.evolve(entry, title=f"Death Note {n}", sources=sources))
    return copies


@attrs.define
class Platforms:
    """The mock platforms: Kitsu answers its real recording, AniDB is down; every request is remembered."""

    kitsu: bytes
    asked: list[httpx.URL] = attrs.field(factory=list)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.url)
        if request.url.host.endswith("kitsu.app"):
            return httpx.Response(
                200, content=self.kitsu, headers={"content-type": "application/vnd.api+json"}
            )
        return httpx.Response(503, text="Service Unavailable")


@pytest.fixture
def platforms() -> Platforms:
    return Platforms(require_shared(KITSU).read_bytes())


@pytest.fixture
def runtime(tmp_path: Path, platforms: Platforms) -> Iterator[Runtime]:
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    (entry,) = AodJsonReader().read(example, strict=True).entries
    catalogue = FakeCatalogue(look_alikes(entry))
    settings = Settings.load(
        {
            "ANIME_MCP_HOME": str(tmp_path),
            "ANIME_MCP_LOAD_PLUGINS": "kitsu,anidb",
            "ANIME_MCP_DEADLINE": str(DEADLINE),
        }
    )
    provider, backend, encoder = FakeEmbedderProvider(), FakeIndexBackend(), Bm25SparseEncoder()
    build_index(catalogue, provider.embedder, encoder, backend)

    def search() -> SearchComponents:
        return SearchComponents(
            settings.search, tmp_path, provider.describe(tmp_path), provider, backend, encoder
        )

    overrides = Overrides(
        catalogue=lambda: catalogue,
        search=search,
        http_client=lambda: make_async_client(httpx.MockTransport(platforms.handle)),
        env={"ANIME_MCP_ANIDB_CLIENT": "animemcptest", "ANIME_MCP_ANIDB_CLIENTVER": "1"},
    )
    made = Runtime(bootstrap(settings, overrides=overrides))
    yield made
    anyio.run(made.aclose)


def call(runtime: Runtime, **arguments: Any) -> dict[str, Any]:
    tools = build_tools(runtime)
    result = anyio.run(lambda: tools.call(runtime, "search_anime", arguments, face="test"))
    Draft202012Validator(tools.get("search_anime").output_schema).validate(result.output)
    return dict(result.output)


def input_error(runtime: Runtime, **arguments: Any) -> ToolInputError:
    tools: ToolCatalogue = build_tools(runtime)
    with pytest.raises(ToolInputError) as raised:
        anyio.run(lambda: tools.call(runtime, "search_anime", arguments, face="test"))
    return raised.value


def test_the_schema_offers_enhance_fields_and_the_installed_sources(runtime: Runtime) -> None:
    tool = build_tools(runtime).get("search_anime")
    properties = tool.input_schema["properties"]
    assert properties["enhance"]["default"] is False
    assert properties["source"]["items"]["enum"] == ["anidb", "kitsu"]
    assert {"synopsis", "score", "streaming"} <= set(properties["fields"]["items"]["enum"])
    assert f"first {ENHANCED_HITS}" in tool.description and tool.open_world
    results = tool.output_schema["properties"]["results"]["items"]["properties"]
    assert "provenance" in str(results["enrichment"]) and "degradation" in tool.output_schema["properties"]


def test_without_enhance_no_platform_is_asked(runtime: Runtime, platforms: Platforms) -> None:
    output = call(runtime, query="death note", limit=3)
    assert output["results"][0]["title"] == "Death Note"
    assert "degradation" not in output and all("enrichment" not in hit for hit in output["results"])
    assert platforms.asked == []


def test_enhance_enriches_the_first_hits_with_provenance_and_reasons(
    runtime: Runtime, platforms: Platforms
) -> None:
    output = call(
        runtime, query="death note", limit=COPIES + 1, enhance=True, fields=["synopsis", "episodes"]
    )
    hits = output["results"]
    assert len(hits) == COPIES + 1
    enriched = [hit for hit in hits if "enrichment" in hit]
    assert enriched == hits[:ENHANCED_HITS]  # the cap: the best hits only
    death_note = next(hit for hit in enriched if hit["anime_id"] == "mal-1535")["enrichment"]
    assert death_note["fields"]["episodes"]["provenance"]["source"] == "catalogue"
    synopsis = death_note["fields"]["synopsis"]
    assert synopsis["provenance"]["source"] == "kitsu" and "kitsu.app" in synopsis["provenance"]["url"]
    assert "Light Yagami" in synopsis["value"]
    assert death_note["degradation"]["level"] == "partial"
    reasons = [
        {o["source"]: o["reason"] for o in hit["enrichment"]["degradation"]["outcomes"]} for hit in enriched
    ]
    assert all(r["kitsu"] is None for r in reasons)  # contributed, every hit
    # AniDB's rate limit (one request per 2 s) lets one hit's request out before the deadline: it answers
    # 503; the other hits wait for their turn and time out, each saying so.
    timed = timed_out("anidb", DEADLINE).reason  # "timed out after 2 s": the domain rounds up
    assert sorted(r["anidb"] for r in reasons) == sorted(
        ["unavailable (HTTP 503)", *[timed] * (ENHANCED_HITS - 1)]
    )
    assert (
        output["degradation"]["level"] == "partial"
        and output["degradation"]["enhanced_hits"] == ENHANCED_HITS
    )
    asked_kitsu = {url.params.get("filter[id]") for url in platforms.asked if url.host.endswith("kitsu.app")}
    assert len(asked_kitsu) == ENHANCED_HITS  # one anime per enriched hit, none for the others


def test_source_names_the_platforms_asked(runtime: Runtime, platforms: Platforms) -> None:
    output = call(runtime, query="death note", limit=1, enhance=True, source=["anidb"], fields=["synopsis"])
    (hit,) = output["results"]
    outcomes = hit["enrichment"]["degradation"]["outcomes"]
    assert [(o["source"], o["reason"]) for o in outcomes] == [("anidb", "unavailable (HTTP 503)")]
    assert hit["enrichment"]["missing"] == ["synopsis"]
    assert output["degradation"]["level"] == "offline"
    assert all(not url.host.endswith("kitsu.app") for url in platforms.asked)


def test_the_text_rendering_says_what_came_live(runtime: Runtime) -> None:
    tools = build_tools(runtime)
    result = anyio.run(
        lambda: tools.call(runtime, "search_anime", {"query": "death note", "limit": 1, "enhance": True})
    )
    assert "live details for the first 1 result(s)" in result.text
    assert "mal-1535: partial, from kitsu; failed: anidb (unavailable (HTTP 503))" in result.text


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"enhance": True, "fields": ["synopsis", "colour"]}, "fields.1"),
        ({"enhance": True, "source": ["crunchyroll"]}, "source.0"),
        ({"enhance": "yes"}, "enhance"),
        ({"fields": ["synopsis"]}, "fields"),  # without enhance they would silently do nothing
        ({"source": ["kitsu"]}, "source"),
    ],
)
def test_bad_arguments_name_the_field_and_are_422(
    runtime: Runtime, arguments: dict[str, Any], field: str
) -> None:
    error = input_error(runtime, query="death note", **arguments)
    assert error.field == field
    info = classify(error)
    assert info.status == 422 and info.field == field
