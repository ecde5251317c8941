"""get_anime_details and compare_ratings over REST, in process, with Kitsu's Death Note recording replayed
(tests/test_rest_api.py's client: every other platform is offline, no credentials are set)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from serve_support import ingested_home
from starlette.testclient import TestClient
from test_rest_api import home, make_client

# ``home`` is the ingested, indexed home of test_rest_api (MiniLM): ``ingested_home`` here marks the module
# integration (tests/conftest.py).
__all__ = ["home", "ingested_home"]


@pytest.fixture(scope="module")
def client(home: Path) -> Iterator[TestClient]:
    with make_client(home, deadline=2.5) as test_client:  # [serve] deadline / ANIME_MCP_DEADLINE
        yield test_client


def tool(client: TestClient, name: str) -> dict[str, Any]:
    return next(t for t in client.get("/api/tools").json()["tools"] if t["name"] == name)


def call(client: TestClient, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    response = client.post(f"/api/tools/{name}", json=arguments)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    Draft202012Validator(tool(client, name)["output_schema"]).validate(answer)
    return answer


def test_compare_ratings_shows_kitsu_in_its_scale_with_provenance(client: TestClient) -> None:
    answer = call(client, "compare_ratings", {"anime_id": "Death Note"})
    assert answer["anime_id"] == "mal-1535"
    (kitsu,) = [r for r in answer["ratings"] if r["source"] == "kitsu"]
    assert kitsu["value"] == 83.29 and kitsu["scale"] == {"low": 0.0, "high": 100.0}
    assert kitsu["normalised"] == 8.329 and kitsu["votes"] > 0
    assert kitsu["provenance"]["source"] == "kitsu" and "kitsu.app" in kitsu["provenance"]["url"]
    assert answer["catalogue"]["source"] == "catalogue" and answer["summary"]["count"] == len(
        answer["ratings"]
    )
    missing = {m["platform"]: m["reason"] for m in answer["missing"]}
    assert missing["anidb"] == "no credentials" and missing["simkl"] == "no credentials"
    assert missing["animecountdown"] == "no source for that platform installed"
    assert missing["animeplanet"].startswith("unavailable")  # installed, but this folder has no recording
    outcomes = {o["source"]: o for o in answer["degradation"]["outcomes"]}
    assert outcomes["kitsu"]["status"] == "contributed" and outcomes["anidb"]["reason"] == "no credentials"
    # Kitsu live: partial (AniDB lacks credentials); Kitsu from the response cache (an earlier test asked
    # the same): cache_only, since no source answered live.
    cached = outcomes["kitsu"]["from_cache"]
    assert answer["degradation"]["level"] == ("cache_only" if cached else "partial")
    assert answer["degradation"]["deadline_seconds"] == 2.5  # the configured deadline, not the default
    text = client.post("/api/tools/compare_ratings?format=text", json={"anime_id": "mal:1535"}).text
    assert text.startswith("Death Note (mal-1535) — ratings") and "83.29 / 100" in text and "8.33" in text
    # The repeat is served from the response cache (replayed sources are cached like live ones).
    assert "anidb (no credentials)" in text and "answer: cache_only" in text


def test_get_anime_details_merges_catalogue_and_kitsu_with_provenance(client: TestClient) -> None:
    answer = call(
        client, "get_anime_details", {"anime_id": "mal:1535", "fields": ["synopsis", "score", "episodes"]}
    )
    fields = answer["fields"]
    assert set(fields) == {"synopsis", "episodes"} and answer["missing"] == []
    assert (
        fields["synopsis"]["provenance"]["source"] == "kitsu" and "shinigami" in fields["synopsis"]["value"]
    )
    assert fields["episodes"] == {
        "value": 37,
        "provenance": {
            "source": "catalogue",
            "url": None,
            "fetched_at": None,
            "from_cache": False,
            "age_seconds": None,
            "stale": False,
        },
        "alternatives": [fields["episodes"]["alternatives"][0]],
    }
    assert fields["episodes"]["alternatives"][0]["provenance"]["source"] == "kitsu"
    assert [r["source"] for r in answer["ratings"]["ratings"]] == ["kitsu"]
    outcomes = {o["source"]: o for o in answer["degradation"]["outcomes"]}
    assert outcomes["anidb"]["reason"] == "no credentials" and outcomes["kitsu"]["status"] == "contributed"
    text = client.post(
        "/api/tools/get_anime_details?format=text",
        json={"anime_id": "mal:1535", "fields": ["synopsis", "episodes"], "sources": ["kitsu"]},
    ).text
    assert text.startswith("Death Note (mal-1535)") and "episodes: 37 [catalogue]" in text
    # Kitsu's answer is in the response cache by now: the only source asked answered from it.
    assert "[kitsu]" in text and "answer: cache_only" in text and "kitsu (served from cache, " in text


def test_enhance_false_answers_from_the_catalogue_alone(client: TestClient) -> None:
    answer = call(
        client, "get_anime_details", {"anime_id": "mal:1535", "enhance": False, "fields": ["episodes"]}
    )
    assert answer["fields"]["episodes"]["value"] == 37 and answer["degradation"]["outcomes"] == []
    refused = client.post("/api/tools/compare_ratings", json={"anime_id": "mal:1535", "sources": ["nope"]})
    assert refused.status_code == 422 and refused.json()["error"]["field"].startswith("sources")
