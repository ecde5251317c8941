"""With the recordings replayed (no credentials, nothing leaves the machine), compare_ratings mal:1535 shows
the values of every Death Note page the fixtures hold: aniSearch's (scraped, 0.1-5), AniDB's API answer, and
the web pages of MAL, ANN and Simkl, whose API sources find no recording and hand over to them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from shared_data import DATA, FIXTURES, require_shared
from test_replay import env, runner  # noqa: F401 - the fixture

from anime_mcp.entrypoints.cli.app import cli

PLUGINS = "mal,mal_web,anidb,anidb_web,ann,ann_web,simkl,simkl_web,anisearch,aod_catalogue"
PAGES = (
    ("anidb", "fetch anidb:4563", "anidb/anime/anime_4563_death-note.xml"),
    ("anidb_web", "fetch anidb:4563", "anidb/anime/web_anime_4563_death-note.html"),
    ("anisearch", "fetch anisearch:3633", "anisearch/anime/anime_3633_death-note.html"),
    ("mal_web", "fetch mal:1535", "myanimelist/anime/anime_1535_death-note.html"),
    ("ann_web", "fetch ann:6592", "animenewsnetwork/anime/web_anime_6592_death-note.html"),
    ("simkl_web", "fetch simkl:40190", "simkl/anime/web_anime_40190_death-note.html"),
)


def test_compare_ratings_includes_the_scraped_and_fallback_pages(runner: CliRunner, tmp_path: Path) -> None:  # noqa: F811
    home, folder = tmp_path / "home", tmp_path / "recordings"
    example = require_shared(DATA / "examples" / "death-note.aod.json")
    plugins = {"ANIME_MCP_LOAD_PLUGINS": PLUGINS}
    ingested = runner.invoke(cli, ["ingest", "--source", str(example)], env=env(home, **plugins))
    assert ingested.exit_code == 0, ingested.output
    for source, call, file in PAGES:
        added = runner.invoke(
            cli,
            [
                "sources",
                "recording",
                "add",
                "--into",
                str(folder),
                source,
                call,
                str(require_shared(FIXTURES / file)),
            ],
            env=env(home, **plugins),
        )
        assert added.exit_code == 0, added.output
    replay = env(home, ANIME_MCP_REPLAY=str(folder), **plugins)
    rated = runner.invoke(cli, ["call", "compare_ratings", "anime_id=mal:1535", "--json"], env=replay)
    assert rated.exit_code == 0, rated.output
    rows = {row["source"]: row for row in json.loads(rated.stdout)["ratings"]}
    values = {name: (row["value"], row["scale"]["high"]) for name, row in rows.items()}
    assert values["anisearch"] == (4.5, 5.0)  # aniSearch's own 0.1-5 stars
    assert values["mal"] == (8.62, 10.0)  # the MAL page (no MAL API recording)
    assert values["ann"] == (8.771, 10.0)  # the encyclopedia page's weighted mean
    assert values["simkl"] == (8.7, 10.0)  # the Simkl page
    assert values["anidb"] == (8.58, 10.0)
    assert rows["anidb"]["votes"] == 21658  # AniDB's API answered (the page counts 20205): the page stood by
    assert rows["anisearch"]["normalised"] == 9.0
    assert rows["mal"]["provenance"]["url"] == "https://myanimelist.net/anime/1535"
