"""``anime-mcp enrich`` through the installed console script: a dump imported with its matched/unmatched
summary, and a batch over replayed recordings (with injected latency, so it is slow enough to kill) that is
killed with SIGKILL mid-run and restarted: finished batches are not asked again."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import zstandard
from search_support import catalogue_lines, pick_lines, write_slice
from serve_support import ANIME_MCP, environment
from shared_data import FIXTURES, require_shared
from test_enrichment_store import dump_records

TITLES = ["Death Note", "Monster", "Cowboy Bebop", "Code Geass: Hangyaku no Lelouch", "Free!", "One Piece"]
KITSU = {
    "1376": "anime_1376_death-note.json",
    "10": "anime_10_monster.json",
    "1": "anime_1_cowboy-bebop.json",
    "1415": "anime_1415_code-geass.json",
}


def run(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [ANIME_MCP, *args],
        capture_output=True,
        text=True,
        env=environment(home, **env),
        timeout=300,
        check=False,
    )
    return done


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("enrich")
    metadata, lines = catalogue_lines()
    catalogue = write_slice(root / "slice.jsonl", metadata, pick_lines(lines, every=6000, titles=TITLES))
    home = root / "home"
    done = run(home, "ingest", "--source", str(catalogue), "--no-index")
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture(scope="module")
def recordings(home: Path) -> Path:
    folder = home.parent / "recordings"
    for kitsu_id, file in KITSU.items():
        done = run(
            home,
            "sources",
            "recording",
            "add",
            "--into",
            str(folder),
            "kitsu",
            f"fetch kitsu:{kitsu_id}",
            str(require_shared(FIXTURES / "kitsu" / "anime" / file)),
        )
        assert done.returncode == 0, done.stdout + done.stderr
    return folder


def test_a_dump_is_imported_with_a_summary_of_matched_and_unmatched(home: Path, tmp_path: Path) -> None:
    lines = dump_records({1535, 19, 1, 999999 + 1} | {5114})  # Death Note, Monster, Bebop, FMA:B
    dump = tmp_path / "dump.jsonl.zst"
    dump.write_bytes(zstandard.ZstdCompressor().compress(b"".join(lines.values())))
    done = run(home, "enrich", "--dump", str(dump), "--json", "--no-index")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["mode"] == "dump" and summary["reader"] == "anime-mapper"
    assert summary["records"] == len(lines) and summary["skipped"] == 0
    assert summary["matched"] + summary["unmatched"] == len(lines) and summary["matched"] >= 3
    assert summary["fields"]["synopsis"] == summary["matched"]
    store = sqlite3.connect(home / "enrichment.sqlite3")
    rows = store.execute("SELECT anime_id FROM fields WHERE field = 'synopsis'").fetchall()
    assert ("mal-1535",) in rows
    plain = run(home, "enrich", "--dump", str(dump), "--no-index")
    assert plain.returncode == 0 and "records matched catalogue entries" in plain.stdout
    missing = run(home, "enrich", "--dump", str(tmp_path / "nope.jsonl"), "--no-index")
    assert missing.returncode == 1 and "no such file" in missing.stderr


def _finished_batches(home: Path) -> int:
    path = home / "enrichment.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM batches").fetchone()[0])
    except sqlite3.OperationalError:  # the tables are not created yet
        return 0


def _asked(log: Path) -> list[str]:
    if not log.exists():
        return []
    return [json.loads(line)["request"] for line in log.read_text().splitlines()]


def _kitsu_id(request: str) -> str:
    return request.split("filter%5Bid%5D=")[1].split("&", maxsplit=1)[0]


def test_a_batch_killed_mid_run_resumes_without_redoing_finished_batches(
    home: Path, recordings: Path
) -> None:
    log = home.parent / "upstream.jsonl"
    env = {
        "ANIME_MCP_REPLAY": str(recordings),
        "ANIME_MCP_REPLAY_LATENCY": "1.0",
        "ANIME_MCP_REPLAY_LOG": str(log),
    }
    args = ["enrich", "--source", "kitsu", "--platform", "kitsu", "--batch-size", "1", "--json", "--no-index"]
    first = subprocess.Popen(
        [ANIME_MCP, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(home, **env),
    )
    try:
        deadline = time.monotonic() + 120
        while _finished_batches(home) < 2 and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert first.poll() is None, "the run ended before it could be killed: " + str(first.communicate())
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == -signal.SIGKILL
    killed_at = _finished_batches(home)
    assert killed_at >= 2
    asked_before = _asked(log)
    second = run(home, *args, **env)
    assert second.returncode == 0, second.stderr
    summary: dict[str, Any] = json.loads(second.stdout)
    assert summary["mode"] == "batch" and summary["resumed_batches"] == killed_at
    assert summary["ran_batches"] == summary["batches"] - killed_at
    asked_after = _asked(log)[len(asked_before) :]
    # Batches of one anime run one after another: the first ``killed_at`` anime asked were checkpointed and
    # are not asked again; at most the one in flight at the kill is asked twice.
    finished = {_kitsu_id(request) for request in asked_before[:killed_at]}
    assert finished.isdisjoint(_kitsu_id(request) for request in asked_after)
    assert len(asked_before) + len(asked_after) <= summary["batches"] + 1
    assert summary["anime_filled"] >= 3  # the recorded ones: Death Note, Monster, Cowboy Bebop, Code Geass
    assert summary["filled"]["synopsis"] >= 2 and summary["failures"] == {"kitsu: unavailable": 5}
    again = run(home, *args, **env)  # the run was finished: the same command starts a fresh one
    assert again.returncode == 0 and json.loads(again.stdout)["resumed_batches"] == 0
