"""query_anime: a question planned, then answered by the tools its intent needs, on a small catalogue of real
entries over the in-memory fakes (tests/query_support.py); over REST (/api/query, its event stream, 422s),
the CLI (``anime-mcp ask``) and MCP with the same plan; named platforms with Kitsu's real Death Note answer
replayed, and without any source installed; planner plugins registered through the plugin host."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import anyio
import pytest
from attrs import evolve
from click.testing import CliRunner
from jsonschema import Draft202012Validator
from query_support import NOW, fake_app, ids, small_catalogue
from shared_data import FIXTURES, require_shared
from starlette.testclient import TestClient

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.planning import QueryPlan
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import PluginSettings, ServeSettings
from anime_mcp.entrypoints.tools import Tool, ToolCatalogue, ToolInputError, build_tools
from anime_mcp.entrypoints.tools.query_tools import query_tool
from anime_mcp.entrypoints.tools.schemas import object_schema
from anime_mcp.ports.hookspecs import hookimpl

SOURCES = "kitsu,anidb"  # no credentials needed to be asked (AniDB's client name is; it says so)
KITSU = FIXTURES / "kitsu" / "anime" / "anime_1376_death-note.json"


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> list[CatalogueEntry]:
    return small_catalogue(tmp_path_factory.mktemp("catalogue"))


@pytest.fixture(scope="module")
def app(entries: list[CatalogueEntry], tmp_path_factory: pytest.TempPathFactory) -> App:
    return fake_app(tmp_path_factory.mktemp("home"), entries)


@pytest.fixture(scope="module")
def runtime(app: App) -> Runtime:
    return Runtime(app)


def ask(runtime: Runtime, text: str, tools: ToolCatalogue | None = None, **arguments: Any) -> dict[str, Any]:
    catalogue = tools or build_tools(runtime)
    result = anyio.run(
        lambda: catalogue.call(runtime, "query_anime", {"text": text, "now": NOW, **arguments}, face="test")
    )
    Draft202012Validator(catalogue.get("query_anime").output_schema).validate(result.output)
    return dict(result.output)


def by_id(entries: list[CatalogueEntry]) -> dict[str, CatalogueEntry]:
    return {e.anime_id: e for e in entries}


# --- the four questions ---------------------------------------------------------------------------
def test_similar_to_death_note_leaves_death_note_out(runtime: Runtime) -> None:
    answer = ask(runtime, "Show me anime similar to Death Note.")
    assert answer["intent"] == "similar" and answer["metadata"]["plan"]["titles"][0]["anime_id"] == "mal-1535"
    assert answer["metadata"]["tools"] == ["find_similar_anime"] and answer["metadata"]["similar_to"] == [
        "mal-1535"
    ]
    assert len(answer["results"]) == 10 and "mal-1535" not in ids(answer)
    assert all({"ids", "relevance"} <= set(item) for item in answer["results"])


def test_top_5_shonen_are_the_best_scored_with_the_tag(
    runtime: Runtime, entries: list[CatalogueEntry]
) -> None:
    answer = ask(runtime, "What are the top 5 shonen anime?")
    plan = answer["metadata"]["plan"]
    assert (plan["intent"], plan["sort"], plan["limit"]) == ("search", "score", 5)
    assert plan["filters"]["include_tags"] == ["shounen"]
    shounen = sorted(
        (e for e in entries if "shounen" in e.tags and e.score is not None),
        key=lambda e: -e.score.arithmetic_mean,  # type: ignore[union-attr]
    )
    assert len(shounen) < 100  # the search's pool holds every one of them: the true top 5
    assert ids(answer) == [e.anime_id for e in shounen[:5]]
    scores = [item["score"] for item in answer["results"]]
    assert scores == sorted(scores, reverse=True)


def test_anime_released_in_2021(runtime: Runtime, entries: list[CatalogueEntry]) -> None:
    answer = ask(runtime, "List anime released in 2021.")
    assert answer["intent"] == "search" and answer["metadata"]["plan"]["filters"]["year_min"] == 2021
    assert len(answer["results"]) == 10 and {item["year"] for item in answer["results"]} == {2021}
    assert "no words to match: the matching anime ranked by score" in answer["metadata"]["notes"]


def test_a_story_described_searches_the_synopses(runtime: Runtime) -> None:
    """The narrative intent asks search_anime for ``story`` mode (weighted to the content vector); a mode
    the caller chose is kept."""
    answer = ask(runtime, "there was this anime where a boy finds a notebook that kills people")
    assert answer["intent"] == "narrative" and answer["metadata"]["mode"] == "story"
    assert answer["metadata"]["tools"] == ["search_anime"]
    chosen = ask(
        runtime, "there was this anime where a boy finds a notebook that kills people", mode="sparse"
    )
    assert chosen["metadata"]["mode"] == "sparse"
    plain = ask(runtime, "psychological thriller anime")
    assert plain["intent"] == "search" and plain["metadata"]["mode"] == "hybrid"


def test_airing_this_season_is_the_current_season(runtime: Runtime, entries: list[CatalogueEntry]) -> None:
    answer = ask(runtime, "Which anime are airing this season?")
    assert answer["intent"] == "seasonal" and answer["metadata"]["tools"] == ["seasonal_anime"]
    assert answer["results"] and all((r["season"], r["year"]) == ("FALL", 2026) for r in answer["results"])
    assert answer["schedule"]["season"] == "FALL" and answer["schedule"]["year"] == 2026
    # without the seasonal tool: a search with the season's filters, and the missing capability named
    tools = without(runtime, "seasonal_anime")
    fallback = ask(runtime, "Which anime are airing this season?", tools)
    assert fallback["metadata"]["tools"] == ["search_anime"] and fallback["schedule"] is None
    assert all((r["season"], r["year"]) == ("FALL", 2026) for r in fallback["results"])
    assert fallback["metadata"]["missing_capabilities"][0]["capability"] == "seasonal_anime"
    assert any(w.startswith("seasonal_anime: not installed") for w in fallback["warnings"])


def without(runtime: Runtime, *names: str, extra: tuple[Tool, ...] = ()) -> ToolCatalogue:
    """The runtime's tools less ``names``, plus ``extra``, with a query_anime over exactly those."""
    kept = [
        t for t in build_tools(runtime) if t.name not in {*names, "query_anime", *(t.name for t in extra)}
    ]
    catalogue = ToolCatalogue([*kept, *extra, query_tool(lambda: catalogue)])
    return catalogue


# --- follow-ups -------------------------------------------------------------------------------------------
def test_the_second_one_is_the_second_result_of_the_previous_answer(runtime: Runtime) -> None:
    first = ask(runtime, "What are the top 5 shonen anime?")
    for results in (first["results"], ids(first)):  # the result objects themselves, or their ids
        context = {"results": results, "plan": first["metadata"]["plan"]}
        second = ask(runtime, "What about the second one?", context=context)
        assert second["intent"] == "lookup" and ids(second) == [ids(first)[1]]
        assert second["metadata"]["plan"]["titles"][0]["anime_id"] == ids(first)[1]
    alone = ask(runtime, "What about the second one?")
    assert alone["intent"] == "clarify" and alone["results"] == [] and alone["clarification"]


def test_follow_up_after_similar_is_similar_to_that_one(runtime: Runtime) -> None:
    first = ask(runtime, "Show me anime similar to Death Note.")
    context = {"results": ids(first)[:3], "plan": first["metadata"]["plan"]}
    second = ask(runtime, "and the third one?", context=context)
    assert second["intent"] == "similar" and second["metadata"]["similar_to"] == [ids(first)[2]]
    assert ids(first)[2] not in ids(second)


# --- what the search cannot apply, and tools not installed -------------------------------------------------
def test_filters_the_search_cannot_apply_are_applied_after_it_or_named(runtime: Runtime) -> None:
    answer = ask(runtime, "shonen anime but not Naruto")
    assert answer["metadata"]["plan"]["filters"]["exclude_titles"] == ["Naruto"]
    assert answer["results"] and not any("naruto" in r["title"].lower() for r in answer["results"])
    novels = ask(runtime, "anime adapted from light novels")
    assert novels["metadata"]["unapplied_filters"] == ["source_material"]
    assert "filters not applied: source_material" in novels["warnings"]


def test_news_and_a_named_platform_without_sources_say_why(runtime: Runtime) -> None:
    news = ask(runtime, "any news about One Piece?")
    assert news["intent"] == "news" and ids(news) == ["mal-21"]
    assert {"capability": "news", "reason": "no news source yet"} in news["metadata"]["missing_capabilities"]
    said = ask(runtime, "what does AniSearch say about Monster?")
    assert said["intent"] == "source_detail" and ids(said) == ["mal-19"] and said["details"] is None
    (outcome,) = said["degradation"]["outcomes"]
    assert (outcome["source"], outcome["status"]) == ("anisearch", "skipped")
    assert outcome["reason"] == "no source for that platform installed"
    assert said["degradation"]["level"] == "offline"


def test_a_registered_tool_is_routed_to_with_what_the_plan_says(runtime: Runtime) -> None:
    heard: list[dict[str, Any]] = []

    async def handler(_: Runtime, arguments: dict[str, Any]) -> dict[str, Any]:
        heard.append(arguments)
        return {"episodes": [{"anime_id": "mal-21", "at": "2026-11-22T09:30:00+09:00"}]}

    schedule = Tool(
        name="airing_schedule",
        title="Schedule",
        description="What airs when.",
        input_schema=object_schema(
            {"date": {"type": "string"}, "timezone": {"type": "string"}, "region": {"type": "string"}},
            ["date"],
        ),
        output_schema=object_schema({"episodes": {"type": "array"}}),
        handler=handler,
        render=str,
    )
    tools = without(runtime, extra=(schedule,))
    answer = ask(runtime, "what's on tomorrow in JST?", tools)
    assert heard == [{"date": "2026-11-22", "timezone": "Asia/Tokyo"}]
    assert answer["schedule"] == {"episodes": [{"anime_id": "mal-21", "at": "2026-11-22T09:30:00+09:00"}]}
    assert ids(answer) == ["mal-21"] and answer["results"][0]["title"] == "One Piece"
    # a question that does not give what the tool requires: the catalogue answers, and metadata says why
    regional = evolve(schedule, input_schema=object_schema({"region": {"type": "string"}}, ["region"]))
    answer = ask(runtime, "what's on tomorrow?", without(runtime, extra=(regional,)))
    assert answer["intent"] == "schedule" and answer["metadata"]["tools"] == ["search_anime"]
    assert answer["metadata"]["missing_capabilities"] == [
        {"capability": "airing_schedule", "reason": "the question does not say its region"}
    ]
    assert all(r["status"] == "ONGOING" for r in answer["results"])


# --- bad arguments ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"now": "yesterday-ish"}, "now"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"context": {"results": ["mal-999999999"]}}, "context.results.0"),
        ({"context": {"plan": {"intent": "gossip"}}}, "context.plan.intent"),
        ({"context": {"results": [], "extra": 1}}, "context.extra"),
        ({"limit": 0}, "limit"),
    ],
)
def test_bad_arguments_are_input_errors_naming_the_field(
    runtime: Runtime, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ToolInputError) as refused:
        ask(runtime, "what about the second one?", **arguments)
    assert refused.value.field == field


# --- planner plugins ----------------------------------------------------------------------------------------
class Refiner:
    name = "refiner"

    async def plan(self, text: str, context: Any, now: Any, tz: str, draft: QueryPlan) -> QueryPlan:
        return evolve(draft, limit=3)


class Raiser:
    name = "raiser"

    async def plan(self, text: str, context: Any, now: Any, tz: str, draft: QueryPlan) -> QueryPlan:
        raise RuntimeError("the model is down")


class Hanger:
    name = "hanger"

    async def plan(self, text: str, context: Any, now: Any, tz: str, draft: QueryPlan) -> QueryPlan:
        await anyio.sleep(60)
        return draft


def planner_plugin(planner: object) -> SimpleNamespace:
    @hookimpl
    def register_planners(register: Callable[[object], None]) -> None:
        register(planner)

    return SimpleNamespace(register_planners=register_planners)


@pytest.fixture(scope="module")
def planned_app(entries: list[CatalogueEntry], tmp_path_factory: pytest.TempPathFactory) -> App:
    app = fake_app(tmp_path_factory.mktemp("planners"), entries)
    for planner in (Refiner(), Raiser(), Hanger()):
        app.plugins.register_module(f"test_{planner.name}", planner_plugin(planner))
    return app


def configured(app: App, *names: str, timeout: float = 0.2) -> Runtime:
    app = evolve(
        app, settings=evolve(app.settings, plugins=PluginSettings(planner=names, planner_timeout=timeout))
    )
    return Runtime(app)


def test_the_registered_planners_are_listed_and_checked_against_the_port(planned_app: App) -> None:
    assert [p.name for p in planned_app.plugins.planners()] == ["refiner", "raiser", "hanger"]
    listed = {p["name"]: p for p in planned_app.plugins.list_plugins()}
    assert listed["test_refiner"]["registered"] == {"planners": ["refiner"]}


def test_a_configured_planner_refines_the_plan(planned_app: App) -> None:
    answer = ask(configured(planned_app, "refiner"), "List anime released in 2021.")
    assert answer["metadata"]["planner"] == {"name": "refiner", "fallback": None}
    assert answer["metadata"]["plan"]["limit"] == 3 and len(answer["results"]) == 3
    plain = ask(Runtime(planned_app), "List anime released in 2021.")  # nothing configured: deterministic
    assert plain["metadata"]["planner"] == {"name": "deterministic", "fallback": None}


def test_a_failing_or_hanging_planner_falls_back_to_the_deterministic_plan(planned_app: App) -> None:
    answer = ask(configured(planned_app, "raiser", "hanger", "nobody"), "List anime released in 2021.")
    planner = answer["metadata"]["planner"]
    assert planner["name"] == "deterministic" and answer["metadata"]["plan"]["limit"] == 10
    assert "raiser: failed (RuntimeError: the model is down)" in planner["fallback"]
    assert "hanger: timed out after 0.2 s" in planner["fallback"]
    assert "nobody: no planner plugin of that name is installed" in planner["fallback"]
    assert any(w.startswith("the deterministic plan answered: raiser") for w in answer["warnings"])
    # the first configured planner that answers wins
    first = ask(configured(planned_app, "raiser", "refiner"), "List anime released in 2021.")
    assert first["metadata"]["planner"]["name"] == "refiner" and len(first["results"]) == 3


# --- REST, CLI and MCP: one tool, one plan ------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, build_tools(runtime), mcp=False), raise_server_exceptions=False) as c:
        yield c


def test_api_query_answers_a_question_through_query_anime(client: TestClient) -> None:
    response = client.post("/api/query", json={"query": "Show me anime similar to Death Note.", "now": NOW})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["metadata"]["tool"] == "query_anime" and body["metadata"]["intent"] == "similar"
    assert body["metadata"]["plan"]["titles"][0]["anime_id"] == "mal-1535" and "mal-1535" not in ids(body)
    assert body["metadata"]["planner"]["name"] == "deterministic" and "planner_note" not in body["metadata"]
    assert [s["name"] for s in body["sources"]] == ["catalogue", "search_index"]
    asked = client.post(
        "/api/query", json={"query": "what does AniSearch say about Monster?", "now": NOW}
    ).json()
    assert asked["degradation"]["outcomes"][0]["reason"] == "no source for that platform installed"
    back = client.post("/api/query", json={"query": "what about the second one?"}).json()
    assert back["clarification"] and back["results"] == []
    # the structured forms are answered as before
    structured = client.post("/api/query", json={"query": {"text": "death note"}, "limit": 2}).json()
    assert structured["metadata"]["tool"] == "search_anime" and len(structured["results"]) == 2
    one = client.post("/api/query", json={"query": {"anime_id": "mal:1535"}}).json()
    assert ids(one) == ["mal-1535"] and one["metadata"]["tool"] == "get_anime_by_id"


def test_api_query_follows_up_with_context(client: TestClient) -> None:
    first = client.post("/api/query", json={"query": "What are the top 5 shonen anime?", "now": NOW}).json()
    context = {"results": first["results"], "plan": first["metadata"]["plan"]}
    second = client.post(
        "/api/query", json={"query": "What about the second one?", "context": context}
    ).json()
    assert ids(second) == [ids(first)[1]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": "today", "now": "yesterday"}, "now"),
        ({"query": "today", "timezone": "Mars/Olympus"}, "timezone"),
        ({"query": "today", "now": 5}, "now"),
        ({"query": "the second one", "context": {"results": [5]}}, "context.results.0"),
        ({"query": "the second one", "context": []}, "context"),
        ({"query": {"text": "x"}, "context": {}}, "context"),
        ({"query": {"anime_id": "mal:1"}, "now": NOW}, "now"),
    ],
)
def test_api_query_refuses_bad_question_keys_naming_them(client: TestClient, body: Any, field: str) -> None:
    response = client.post("/api/query", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field


def test_api_batch_answers_questions_and_structured_queries(client: TestClient) -> None:
    queries = [{"query": "List anime released in 2021.", "limit": 2}, {"query": {"similar_to": "mal:1535"}}]
    body = client.post("/api/batch", json={"queries": queries}).json()
    assert [item["status"] for item in body["results"]] == [200, 200]
    first = body["results"][0]["response"]
    assert first["metadata"]["intent"] == "search" and {r["year"] for r in first["results"]} == {2021}


def test_api_query_streams_a_question(client: TestClient) -> None:
    body = {"query": "List anime released in 2021.", "now": NOW}
    response = client.post(
        "/api/query", json=body, headers={"accept": "text/event-stream", "x-correlation-id": "q1"}
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    events = [
        dict(line.split(": ", 1) for line in block.splitlines())
        for block in response.text.strip().split("\n\n")
    ]
    assert [e["event"] for e in events] == ["offline", "final"]
    final = json.loads(events[-1]["data"])
    plain = client.post("/api/query", json=body, headers={"x-correlation-id": "q1"}).json()
    for answer in (plain, final):
        answer["metadata"].pop("took_ms")
    assert plain == final


def test_cli_rest_and_mcp_give_the_same_plan(app: App, runtime: Runtime, client: TestClient) -> None:
    text = "anime like Death Note from the 90s, not too long"
    cli_answer = CliRunner().invoke(
        cli, ["ask", text, "--now", NOW, "--tz", "Europe/Berlin", "--json"], obj={"app": app}
    )
    assert cli_answer.exit_code == 0, cli_answer.output
    by_cli = json.loads(cli_answer.stdout)["metadata"]["plan"]
    by_rest = client.post("/api/query", json={"query": text, "now": NOW, "timezone": "Europe/Berlin"}).json()
    by_mcp = anyio.run(mcp_plan, runtime, {"text": text, "now": NOW, "timezone": "Europe/Berlin"})
    assert by_cli == by_rest["metadata"]["plan"] == by_mcp
    assert by_cli["intent"] == "similar" and by_cli["timezone"] == "Europe/Berlin"
    readable = CliRunner().invoke(
        cli, ["ask", "What are the top 5 shonen anime?", "--now", NOW], obj={"app": app}
    )
    assert readable.exit_code == 0 and "intent: search" in readable.output
    assert "Sousou no Frieren" in readable.output


async def mcp_plan(runtime: Runtime, arguments: dict[str, Any]) -> Any:
    from mcp.client.client import Client

    from anime_mcp.entrypoints.mcp.server import build_server

    async with Client(build_server(runtime, build_tools(runtime))) as mcp:
        result = await mcp.call_tool("query_anime", arguments)
    assert not result.is_error
    return (result.structured_content or {})["metadata"]["plan"]


def test_cli_ask_errors_name_the_option(app: App) -> None:
    result = CliRunner().invoke(cli, ["ask", "today", "--tz", "Mars/Olympus"], obj={"app": app})
    assert result.exit_code == 1 and "timezone" in result.output and "Mars/Olympus" in result.output


# --- named platforms, with Kitsu's real answer replayed ----------------------------------------------------
@pytest.fixture(scope="module")
def replayed(entries: list[CatalogueEntry], tmp_path_factory: pytest.TempPathFactory) -> Runtime:
    home, folder = tmp_path_factory.mktemp("replay-home"), tmp_path_factory.mktemp("recordings")
    environment = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": SOURCES}
    added = CliRunner().invoke(
        cli,
        [
            "sources",
            "recording",
            "add",
            "--into",
            str(folder),
            "kitsu",
            "fetch kitsu:1376",
            str(require_shared(KITSU)),
        ],
        env=environment,
    )
    assert added.exit_code == 0, added.output
    app = fake_app(home, entries, ANIME_MCP_LOAD_PLUGINS=SOURCES, ANIME_MCP_REPLAY=str(folder))
    return Runtime(evolve(app, settings=evolve(app.settings, serve=ServeSettings(warm_up=False))))


def test_what_a_named_platform_says_comes_from_its_source(replayed: Runtime) -> None:
    answer = ask(replayed, "What does Kitsu say about Death Note?")
    assert answer["intent"] == "source_detail" and ids(answer) == ["mal-1535"]
    assert answer["metadata"]["tools"] == ["get_anime_by_id", "get_anime_details"]
    (details,) = answer["details"]
    assert {o["source"] for o in details["degradation"]["outcomes"]} == {"kitsu"}
    sources = {f["provenance"]["source"] for f in details["fields"].values()}
    assert "kitsu" in sources and "shinigami" in details["fields"]["synopsis"]["value"]
    assert answer["degradation"]["outcomes"][0]["status"] == "contributed"


def test_a_named_platform_without_a_source_is_a_reason_not_a_question_to_the_others(
    replayed: Runtime,
) -> None:
    answer = ask(replayed, "what does AniSearch say about Death Note?")
    assert answer["metadata"]["tools"] == ["get_anime_by_id"] and answer["details"] is None
    assert [(o["source"], o["reason"]) for o in answer["degradation"]["outcomes"]] == [
        ("anisearch", "no source for that platform installed")
    ]
    both = ask(replayed, "what do Kitsu and AniSearch say about Death Note?")
    reasons = {o["source"]: o["reason"] for o in both["degradation"]["outcomes"]}
    assert reasons == {"kitsu": None, "anisearch": "no source for that platform installed"}
    # Kitsu answered (from the response cache after the test above): less than full, AniSearch is missing
    assert both["degradation"]["level"] in {"partial", "cache_only"}


def test_compared_ratings_come_from_compare_ratings(replayed: Runtime) -> None:
    answer = ask(replayed, "compare the ratings of Death Note on Kitsu")
    assert answer["intent"] == "compare" and answer["metadata"]["tools"][-1] == "compare_ratings"
    (ratings,) = answer["ratings"]
    assert [r["source"] for r in ratings["ratings"]] == ["kitsu"] and ratings["ratings"][0]["value"] == 83.29


def test_a_failing_routed_tool_falls_back(runtime: Runtime) -> None:
    async def broken(_: Runtime, arguments: dict[str, Any]) -> dict[str, Any]:
        raise AnimeMcpError("the schedule platform is down")

    tool = Tool(
        name="where_to_watch",
        title="Streaming",
        description="Where to watch.",
        input_schema=object_schema({"anime_id": {"type": "string"}}, ["anime_id"]),
        output_schema=object_schema({}),
        handler=broken,
        render=str,
    )
    answer = ask(runtime, "where can I watch Frieren?", without(runtime, extra=(tool,)))
    assert answer["intent"] == "streaming" and ids(answer) == ["mal-52991"] and answer["streaming"] is None
    (missing,) = answer["metadata"]["missing_capabilities"]
    assert missing["capability"] == "where_to_watch" and "the schedule platform is down" in missing["reason"]


def test_a_question_that_asks_a_platform_streams_each_source(replayed: Runtime) -> None:
    with TestClient(create_app(replayed, build_tools(replayed), mcp=False)) as client:
        body = {"query": "What does Kitsu say about Monster?", "now": NOW}
        response = client.post("/api/query", json=body, headers={"accept": "text/event-stream"})
    assert response.status_code == 200, response.text
    blocks = [
        dict(line.split(": ", 1) for line in b.splitlines()) for b in response.text.strip().split("\n\n")
    ]
    assert [b["event"] for b in blocks] == ["offline", "source", "final"]
    offline, source = json.loads(blocks[0]["data"]), json.loads(blocks[1]["data"])
    assert offline["pending"] == ["kitsu"] and offline["answer"]["metadata"]["intent"] == "source_detail"
    assert offline["answer"]["details"][0]["degradation"]["level"] == "offline"
    # Monster has no recording: Kitsu's failure is the source event, and the final answer says why
    assert source["source"]["source"] == "kitsu" and source["source"]["status"] == "failed"
    final = json.loads(blocks[2]["data"])
    assert ids(final) == ["mal-19"] and final["degradation"]["outcomes"][0]["status"] == "failed"
