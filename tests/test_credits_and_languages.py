"""Titles and synopses per language, characters and staff: the language table (core/languages.py), and
get_anime_details over REST answered by the replayed Kitsu and AniDB recordings of Death Note
(tests/test_replay.py's ``recorded`` home and folder). Expected values are read from the recordings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from jsonschema import Draft202012Validator
from parser_support import FETCHED_AT
from starlette.testclient import TestClient
from test_replay import ANIDB, env, recorded, runner

from anime_mcp.core.languages import distinct_texts, language_tag, localized_text, romanised
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import ToolCatalogue, build_tools
from anime_mcp.plugins.sources.anidb import parse as anidb

__all__ = ["recorded", "runner"]


@pytest.mark.parametrize(
    ("code", "tag"),
    [
        ("x-jat", "ja-Latn"),  # AniDB: romaji
        ("x-zht", "zh-Latn"),
        ("x-kot", "ko-Latn"),
        ("x-unk", "und"),
        ("en_jp", "ja-Latn"),  # Kitsu's titles keys
        ("ja_jp", "ja"),
        ("en_us", "en"),
        ("zh_cn", "zh-Hans"),
        ("EN", "en"),  # ANN
        ("pt-BR", "pt-BR"),  # AniDB writes BCP 47 already; case is normalised
        ("zh-hant", "zh-Hant"),
        ("es-419", "es-419"),
        ("Japanese", "ja"),  # Jikan's title types, AniDB's dub language
        ("", "und"),
        ("not a language!", "und"),
        (None, "und"),
        (7, "und"),
    ],
)
def test_language_codes_become_bcp47_tags(code: object, tag: str) -> None:
    assert language_tag(code) == tag
    assert language_tag(tag) == tag  # a tag maps to itself


def test_romanised_texts_get_the_latin_script() -> None:
    assert romanised("ja", "Shingeki no Kyojin") == "ja-Latn"
    assert romanised("ja", "進撃の巨人") == "ja"
    assert romanised("ja", "DEATH NOTE デスノート") == "ja"  # mixed: not a romanisation
    assert romanised("en", "Attack on Titan") == "en"  # English is written in Latin letters anyway
    assert romanised("ja-Latn", "x") == "ja-Latn"


def test_localized_texts_are_stripped_and_distinct() -> None:
    assert localized_text("x-jat", "  Death Note ", "main") is not None
    assert localized_text("en", "   ") is None and localized_text("en", None) is None
    texts = distinct_texts(
        [localized_text("en", "Death Note", "main"), None, localized_text("en_us", "Death Note", "official")]
    )
    assert [(t.language, t.text, t.kind) for t in texts] == [("en", "Death Note", "main")]


# --- get_anime_details: characters, staff, titles and synopses per language, replayed -----------------------
@pytest.fixture
def client(recorded: tuple[Path, Path]) -> Iterator[TestClient]:
    home, folder = recorded
    environ = {k: v for k, v in env(home, ANIME_MCP_REPLAY=str(folder)).items() if v is not None}
    runtime = Runtime(bootstrap(evolve(Settings.load(environ), serve=ServeSettings(warm_up=False))))
    with TestClient(create_app(runtime, ToolCatalogue(build_tools(runtime)))) as test_client:
        yield test_client


def details(client: TestClient, arguments: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/api/tools/get_anime_details", json=arguments)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    schema = next(t for t in client.get("/api/tools").json()["tools"] if t["name"] == "get_anime_details")
    Draft202012Validator(schema["output_schema"]).validate(answer)
    return answer


def test_characters_and_staff_come_from_anidb_when_asked_for(client: TestClient) -> None:
    document = ANIDB.read_bytes()
    characters, staff = anidb.parse_characters(document), anidb.parse_staff(document)
    answer = details(client, {"anime_id": "mal:1535", "fields": ["characters", "staff", "synopsis"]})
    fields = answer["fields"]
    assert set(fields) == {"characters", "staff", "synopsis"} and answer["missing"] == []
    cast = fields["characters"]
    assert (cast["provenance"]["source"], cast["provenance"]["url"]) == (
        "anidb",
        "https://anidb.net/anime/4563",
    )
    assert cast["count"] == len(characters) > len(cast["value"]) == 25  # capped, with the full count
    first = cast["value"][0]
    assert (
        (first["name"], first["role"])
        == (characters[0].name, characters[0].role)
        == ("L Lawliet", "main character")
    )
    assert first["voice_actors"] == [{"name": "Yamaguchi Kappei", "language": "Japanese"}]
    assert cast["alternatives"] == []  # Kitsu gives no characters
    crew = fields["staff"]
    assert crew["count"] == len(staff) and [p["name"] for p in crew["value"]] == [p.name for p in staff]
    assert fields["synopsis"]["provenance"]["source"] == "kitsu"  # SYNOPSIS_PRIORITY, AniDB's an alternative
    assert answer["titles"] is None and answer["synopses"] is None  # not asked for
    text = client.post(
        "/api/tools/get_anime_details?format=text",
        json={"anime_id": "mal:1535", "fields": ["characters"], "sources": ["anidb"]},
    ).text
    assert f"characters: L Lawliet (main character), {characters[1].name} ({characters[1].role})" in text
    assert f"(+{len(characters) - 12} more) [anidb]" in text


def test_titles_and_synopses_per_language(client: TestClient) -> None:
    record = anidb.parse_anime(ANIDB.read_bytes(), fetched_at=FETCHED_AT)
    answer = details(client, {"anime_id": "mal:1535", "fields": ["titles", "synopses"]})
    titles = answer["titles"]
    romaji = titles["ja-Latn"]["texts"][0]
    # AniDB's main title (xml:lang="x-jat" type="main"), Kitsu's en_jp title, the same text
    main = next(t for t in record.localized_titles if t.kind == "main")
    assert (main.language, main.text) == ("ja-Latn", "Death Note") and romaji["text"] == main.text
    assert set(romaji["sources"]) == {"anidb", "kitsu"} and "main" in romaji["kinds"]
    assert {"kitsu", "anidb"} == set(titles["ja"]["texts"][0]["sources"])  # デスノート from both
    polish = {t.text for t in record.localized_titles if t.language == "pl"}
    assert {t["text"] for t in titles["pl"]["texts"]} == polish and titles["pl"]["count"] == len(polish)
    assert list(titles)[-1] == "und" or "und" not in titles
    (english,) = answer["synopses"].values()
    assert answer["synopses"].keys() == {"en"} and english["count"] == 2
    assert [t["sources"] for t in english["texts"]] == [["kitsu"], ["anidb"]]
    assert english["texts"][1]["text"] == record.synopsis
    text = client.post(
        "/api/tools/get_anime_details?format=text",
        json={"anime_id": "mal:1535", "fields": ["titles"], "sources": ["anidb"]},
    ).text
    assert "titles [ja-Latn]: Death Note [anidb]" in text and "more language(s)" in text
