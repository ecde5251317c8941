"""The issue's "done when" lines, driven through the installed `anime-mcp` console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CATALOGUE = SHARED_DATA / "anime-offline-database.jsonl.zst"
ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANIME_MCP_")}
    env["ANIME_MCP_HOME"] = str(home)
    return subprocess.run(
        [ANIME_MCP, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("home")
    result = run(home, "ingest", "--source", str(CATALOGUE), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["entries"] == 36233
    assert summary["skipped"] == 0
    assert summary["per_platform"]["mal"] == 28259
    assert summary["last_update"] == "2026-07-02"
    return home


def slice_lines(count: int) -> list[bytes]:
    with CATALOGUE.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        return [stream.readline() for _ in range(count)]


def test_get_by_mal_id_prints_death_note_with_its_platform_pages(home: Path) -> None:
    result = run(home, "get", "mal:1535", "--json")
    assert result.returncode == 0, result.stderr
    anime = json.loads(result.stdout)
    assert anime["title"] == "Death Note"
    assert (anime["type"], anime["episodes"], anime["status"]) == ("TV", 37, "FINISHED")
    assert (anime["season"], anime["year"]) == ("FALL", 2006)
    assert "デスノート" in anime["synonyms"]
    assert "psychological" in anime["tags"]
    for url in (
        "https://anilist.co/anime/1535",
        "https://kitsu.app/anime/1376",
        "https://anidb.net/anime/4563",
        "https://anime-planet.com/anime/death-note",
    ):
        assert url in anime["sources"]
    assert anime["ids"] == {
        "mal": "1535",
        "anilist": "1535",
        "kitsu": "1376",
        "anidb": "4563",
        "animeplanet": "death-note",
        "ann": "6592",
        "anisearch": "3633",
        "livechart": "3437",
        "simkl": "40190",
        "animecountdown": "40190",
    }


@pytest.mark.parametrize(
    "reference",
    [
        "https://kitsu.io/anime/1376",
        "https://www.anime-planet.com/anime/death-note",
        "anidb.net/a4563",
        "mal-1535",
        "death note",
        "DEATH-NOTE",
        "デスノート",
    ],
)
def test_every_reference_form_resolves_to_the_same_entry(home: Path, reference: str) -> None:
    result = run(home, "get", reference, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["anime_id"] == "mal-1535"


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("mal:99999999", "no catalogue entry has mal:99999999"),
        ("mal:abc", "not an anime reference"),
        ("https://example.com/anime/1", "not an anime reference"),
        ("\t\x07\x1b ", "not an anime reference"),
        ("!?!?!", "no catalogue entry is titled"),
        ("no such anime title at all", "no catalogue entry is titled"),
    ],
)
def test_unknown_or_junk_reference_is_one_line_and_exit_code_1(
    home: Path, reference: str, message: str
) -> None:
    result = run(home, "get", reference)
    assert result.returncode == 1
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_get_human_output_is_readable(home: Path) -> None:
    result = run(home, "get", "steins gate")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Steins;Gate  (mal-9253)")
    assert "https://myanimelist.net/anime/9253" in result.stdout


def test_truncated_catalogue_fails_clearly_and_keeps_the_previous_store(home: Path, tmp_path: Path) -> None:
    truncated = tmp_path / "cut.jsonl.zst"
    truncated.write_bytes(CATALOGUE.read_bytes()[:1_000_000])
    before = (home / "catalogue.sqlite3").stat().st_mtime_ns
    result = run(home, "ingest", "--source", str(truncated))
    assert result.returncode == 1
    assert "truncated" in result.stderr
    assert "Traceback" not in result.stderr
    assert (home / "catalogue.sqlite3").stat().st_mtime_ns == before
    assert not [p for p in home.iterdir() if "partial" in p.name]
    assert json.loads(run(home, "get", "mal:1535", "--json").stdout)["title"] == "Death Note"


def test_malformed_lines_are_skipped_counted_and_reported(tmp_path: Path) -> None:
    lines = slice_lines(51)
    lines[10] = b'{"sources": ["https://myanimelist.net/anime/1"], "title": 12}\n'
    lines[20] = b"{not json\n"
    source = tmp_path / "small.jsonl"
    source.write_bytes(b"".join(lines))
    result = run(tmp_path / "home", "ingest", "--source", str(source), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["entries"] == 48
    assert summary["skipped"] == 2
    assert [s["line"] for s in summary["skipped_lines"]] == [11, 21]
    assert "title" in summary["skipped_lines"][0]["reason"]

    strict = run(tmp_path / "home2", "ingest", "--source", str(source), "--strict")
    assert strict.returncode == 1
    assert f"{source}:11:" in strict.stderr
    assert not (tmp_path / "home2" / "catalogue.sqlite3").exists()


def test_a_file_that_is_not_a_catalogue_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello\nworld\n")
    result = run(tmp_path / "home", "ingest", "--source", str(bogus))
    assert result.returncode == 1
    assert "not a catalogue format" in result.stderr


def test_get_before_ingest_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "empty", "get", "mal:1535")
    assert result.returncode == 1
    assert "run `anime-mcp ingest` first" in result.stderr


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("ingest", "get", "plugins"):
        assert command in result.stdout


@pytest.mark.slow
def test_every_title_synonym_and_page_of_the_real_catalogue_resolves_back(home: Path) -> None:
    from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
    from anime_mcp.core.references import canonical_url
    from anime_mcp.core.services.catalogue import lookup

    store = SqliteCatalogueStore(home)
    unresolved = []
    for entry in store.entries():
        for reference in (entry.title, *entry.synonyms[:2], *(canonical_url(s) for s in entry.sources)):
            found = lookup(store, reference)
            if entry.anime_id not in {found.entry.anime_id, *(a.anime_id for a in found.alternatives)}:
                unresolved.append((entry.anime_id, reference))
    store.close()
    assert unresolved == []


def test_titles_and_errors_with_square_brackets_print_as_they_are(home: Path) -> None:
    """rich would read "[zom]" as a style tag and print "NEWBIE!!"; data is never markup."""
    shown = run(home, "get", "NEW[zom]BIE!!")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines()[0].startswith("NEW[zom]BIE!!  (")
    missing = run(home, "get", "[nothing] like [this]")
    assert missing.returncode == 1
    assert "[nothing] like [this]" in missing.stderr
