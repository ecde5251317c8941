"""``anime-mcp update`` against real catalogue slices, the real MiniLM model, SQLite and Qdrant Edge, each run
in its own process: a release that lost half its entries is refused and the old catalogue serves on; a good
release is diffed, swapped in, indexed incrementally (only what changed is embedded) and the enrichment of
removed anime is dropped; ``kill -9`` during the swap or the indexing leaves the previous state serving and
the next run finishes the update.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import shutil
import sys
from pathlib import Path

import anyio
import pytest
from search_support import catalogue_lines, pick_lines, write_slice
from serve_support import TITLES
from test_crash_safety import kill_when, new_generation, partials, run, state, titles_found

from anime_mcp.adapters.enrichment_sqlite import SqliteEnrichmentStore
from anime_mcp.core.enriched import StoredValue
from anime_mcp.entrypoints.rest.jobs import Job, JobRunner
from anime_mcp.entrypoints.rest.update_schedule import run_update_schedule

REFUSED = 3
ADDED, REMOVED, RENAMED = 5, 3, 2


def _title(line: str) -> str:
    return str(json.loads(line)["title"])


def _renamed(line: str) -> str:
    entry = json.loads(line)
    entry["title"] = f"{entry['title']} Zeta Edition"
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The release in service (~90 entries), a good next one (5 added, 3 removed, 2 renamed), one that lost
    half its entries, a grown one (~360: seconds to embed, for killing the indexing) and a big one (~7,000
    entries: seconds to store, for killing the swap)."""
    metadata, lines = catalogue_lines()
    root = tmp_path_factory.mktemp("releases")
    base = pick_lines(lines, every=400, titles=TITLES)
    plain = [line for line in base if _title(line) not in TITLES]
    removed, renamed = plain[:REMOVED], plain[REMOVED : REMOVED + RENAMED]
    added = [line for i, line in enumerate(lines) if i % 400 == 200][:ADDED]
    good = [_renamed(line) if line in renamed else line for line in base if line not in removed] + added
    return {
        "base": write_slice(root / "base.jsonl", metadata, base),
        "good": write_slice(root / "good.jsonl", metadata, good),
        "half": write_slice(root / "half.jsonl", metadata, base[::2]),
        "grown": write_slice(root / "grown.jsonl", metadata, pick_lines(lines, every=100, titles=TITLES)),
        "big": write_slice(root / "big.jsonl", metadata, pick_lines(lines, every=5, titles=TITLES)),
        "removed": write_slice(root / "removed.jsonl", metadata, removed),
        "renamed": write_slice(root / "renamed.jsonl", metadata, renamed),
        "added": write_slice(root / "added.jsonl", metadata, added),
    }


def _ids(path: Path) -> list[str]:
    """The internal ids (``mal-123``) of a slice's entries, by their MAL page."""
    ids = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        sources = json.loads(line)["sources"]
        mal = next(s for s in sources if "myanimelist.net/anime/" in s)
        ids.append("mal-" + mal.rstrip("/").rsplit("/", 1)[1])
    return ids


def _remember(home: Path, anime_ids: list[str]) -> None:
    """What on-demand answers would have left in the enrichment store (a broadcast slot each)."""
    store = SqliteEnrichmentStore(home)
    when = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    try:
        store.put((a, [StoredValue("broadcast", "jikan", {"day": "Sunday"}, when)]) for a in anime_ids)
    finally:
        store.close()


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, releases: dict[str, Path]) -> Path:
    home = tmp_path_factory.mktemp("base") / "home"
    done = run(home, "ingest", "--source", str(releases["base"]), "--json")
    assert done.returncode == 0, done.stderr
    _remember(home, _ids(releases["removed"]) + _ids(releases["renamed"]))
    return home


@pytest.fixture
def home(tmp_path: Path, base: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "home"))


def update(home: Path, release: Path, *extra: str) -> tuple[int, dict[str, object]]:
    done = run(home, "update", "--source", str(release), "--json", *extra)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, dict(json.loads(done.stdout))


def test_a_release_that_lost_half_its_entries_is_refused(home: Path, releases: dict[str, Path]) -> None:
    old = state(home)
    code, report = update(home, releases["half"])
    assert code == REFUSED
    assert report["status"] == "refused" and report["swapped"] is False
    problems = " ".join(report["problems"])  # type: ignore[arg-type]
    assert "fewer than the" in problems and "at most 10% may go" in problems
    assert "anime that must stay are missing" in problems or "mal:1535" not in problems
    assert report["diff"]["removed"] > 40  # type: ignore[index]

    assert state(home) == old  # the store and the index generation, untouched
    assert "Death Note" in titles_found(home, "death note")  # another process is served the old one

    readable = run(home, "update", "--source", str(releases["half"]))
    assert readable.returncode == REFUSED
    assert "refused:" in readable.stderr and "the catalogue in service is kept" in readable.stderr


def test_a_good_release_is_diffed_swapped_and_indexed_incrementally(
    home: Path, releases: dict[str, Path]
) -> None:
    old = state(home)
    removed, renamed = _ids(releases["removed"]), _ids(releases["renamed"])
    code, dry = update(home, releases["good"], "--dry-run")
    assert code == 0 and dry["status"] == "dry-run" and dry["swapped"] is False
    diff = dry["diff"]
    assert (diff["added"], diff["removed"], diff["changed"]) == (ADDED, REMOVED, RENAMED)  # type: ignore[index]
    examples = diff["examples"]  # type: ignore[index]
    assert {e["anime_id"] for e in examples["removed"]} == set(removed)
    assert {e["anime_id"] for e in examples["changed"]} == set(renamed)
    assert all(e["fields"] == ["title"] for e in examples["changed"])
    assert len(examples["added"]) == ADDED
    assert state(home) == old  # a dry run swaps nothing

    gone_title = _title(releases["removed"].read_text(encoding="utf-8").splitlines()[1])
    assert gone_title in titles_found(home, gone_title)

    code, report = update(home, releases["good"])
    assert code == 0 and report["status"] == "updated" and report["swapped"] is True
    index = report["index"]
    assert index["mode"] == "incremental"  # type: ignore[index]
    # only the added and renamed entries were embedded again; the rest kept their vectors
    assert index["documents_embedded"] == ADDED + RENAMED  # type: ignore[index]
    assert (index["added"], index["changed"], index["removed"]) == (ADDED, RENAMED, REMOVED)  # type: ignore[index]
    assert index["points"] == diff["after"]  # type: ignore[index]
    assert report["enrichment_dropped"] == REMOVED

    assert gone_title not in titles_found(home, gone_title)  # removed anime are gone from search
    assert any("Zeta Edition" in t for t in titles_found(home, "zeta edition"))
    store = SqliteEnrichmentStore(home)
    try:
        assert all(store.get(a) is None for a in removed)  # and from the enrichment store
        assert all(store.get(a) is not None for a in renamed)  # the rest is kept
    finally:
        store.close()

    code, again = update(home, releases["good"])  # the same release again: nothing to do
    assert code == 0 and again["swapped"] is False
    assert again["diff"]["unchanged"] == diff["after"]  # type: ignore[index]
    assert again["index"]["embedded"] == 0  # type: ignore[index]


@pytest.mark.parametrize("moment", ["swap", "index"])
def test_killed_during_update_the_previous_state_serves_and_the_next_run_recovers(
    home: Path, releases: dict[str, Path], moment: str
) -> None:
    """``swap``: killed while the big release is being stored (its temporary file exists); ``index``: killed
    while the new index generation is being written (the catalogue already swapped, ``CURRENT`` the old).
    The next run applies the grown release (after ``swap``: the big one would take minutes to embed)."""
    old = state(home)
    grown = releases["grown"]
    if moment == "swap":
        big = ["update", "--source", str(releases["big"])]
        kill_when(home, big, lambda: bool(partials(home)), longest=1.0)
        assert state(home) == old  # the old store and index, byte for byte
        assert partials(home)  # the killed writer's temporary file: never read, swept by the next run
    else:
        kill_when(home, ["update", "--source", str(grown)], new_generation(home))
        assert state(home)[1] == old[1]  # CURRENT still names the old, complete generation
    assert "Death Note" in titles_found(home, "death note")

    code, report = update(home, grown)  # the next run finishes the update
    assert code == 0, report
    assert report["status"] == "updated"
    assert report["index"]["points"] == report["diff"]["after"]  # type: ignore[index]
    assert state(home)[1] != old[1] and not partials(home)
    assert "Death Note" in titles_found(home, "death note")
    if moment == "index":  # the catalogue was swapped by the killed run: this one indexes what it left
        assert report["swapped"] is False and report["diff"]["added"] == 0  # type: ignore[index]
        assert report["index"]["added"] > 200  # type: ignore[index]


def test_serve_schedules_update_jobs_and_refreshes_after_one_succeeds() -> None:
    """The schedule starts ``update --json`` as an admin job every period (a real process: here a stand-in
    program that prints a report), and the server refreshes its snapshot when the job succeeded."""
    waits: list[float] = []
    refreshed = []
    stand_in = [sys.executable, "-c", "import json, sys; print(json.dumps({'arguments': sys.argv[1:]}))"]

    async def quick(seconds: float) -> None:
        waits.append(seconds)
        await anyio.sleep(0.01)

    async def main() -> list[Job]:
        async with anyio.create_task_group() as group:
            jobs = JobRunner(group, on_success=lambda: refreshed.append(True), program=stand_in)
            group.start_soon(functools.partial(run_update_schedule, jobs, 168, sleep=quick))
            with anyio.fail_after(30):
                while not refreshed:
                    await anyio.sleep(0.01)
            group.cancel_scope.cancel()
        return jobs.recent()

    jobs = anyio.run(main)
    assert waits[0] == 168 * 3600  # a week, in seconds
    succeeded = [job for job in jobs if job.status == "succeeded"]
    assert succeeded and succeeded[-1].kind == "update"
    assert succeeded[-1].report == {"arguments": ["update", "--json"]}
