"""kill -9 during ingest and reindex: the previous catalogue and index keep serving, nothing partial becomes
visible, the next run recovers. And a full disk (RLIMIT_FSIZE in the child: writes past the limit fail with
EFBIG) while writing: a clear error, the old state intact.

A home is ingested from a small slice of the real catalogue; then ``anime-mcp ingest`` of a larger slice
(or ``--reindex``) runs in a subprocess and is killed with SIGKILL at a random moment after it started
writing: the catalogue's temporary file, or a new index generation, exists. Another process then searches
the home and gets the old state's answers; the store and ``CURRENT`` are the old ones, byte for byte; the
next run finishes and leaves no temporary file behind.
"""

from __future__ import annotations

import hashlib
import json
import random
import resource
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from search_support import catalogue_lines, pick_lines, write_slice
from serve_support import ANIME_MCP, TITLES, environment

STORE = "catalogue.sqlite3"
SEED = random.randrange(1 << 32)
RNG = random.Random(SEED)


def run(home: Path, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ANIME_MCP, *args],
        capture_output=True,
        text=True,
        env=environment(home),
        timeout=300,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def ingest(home: Path, source: Path, *extra: str) -> dict[str, object]:
    done = run(home, "ingest", "--source", str(source), "--json", *extra)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def state(home: Path) -> tuple[str, str]:
    """What readers see: the store's bytes (hashed) and the index generation ``CURRENT`` names."""
    store = hashlib.sha256((home / STORE).read_bytes()).hexdigest()
    return store, (home / "index" / "CURRENT").read_text(encoding="utf-8").strip()


def titles_found(home: Path, query: str) -> list[str]:
    found = run(home, "search", query, "--json", "--limit", "5")
    assert found.returncode == 0, found.stderr
    return [hit["title"] for hit in json.loads(found.stdout)]


def kill_when(
    home: Path, args: list[str], started: Callable[[], bool], *, longest: float = 0.3, within: float = 120.0
) -> float:
    """Start ``anime-mcp ARGS``, SIGKILL it at a random moment up to ``longest`` seconds after ``started()``
    turns true, while it is still writing (``started()`` still true); returns the delay."""
    process = subprocess.Popen(
        [ANIME_MCP, *args], env=environment(home), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + within
        while not started():
            assert process.poll() is None, f"it finished before writing (seed {SEED})"
            assert time.monotonic() < deadline, "it never started writing"
            time.sleep(0.005)
        delay = RNG.uniform(0.0, longest)
        time.sleep(delay)
        assert process.poll() is None, f"it finished {delay:.2f} s after starting to write (seed {SEED})"
        assert started(), f"it was done writing {delay:.2f} s after it started (seed {SEED})"
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=30) == -signal.SIGKILL
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    return delay


@pytest.fixture(scope="module")
def slices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """~90 entries (the home), ~360 (a run that embeds for a few seconds), ~7,000 (a catalogue that takes
    seconds to write, stored with --no-index)."""
    metadata, lines = catalogue_lines()
    root = tmp_path_factory.mktemp("slices")
    small = write_slice(root / "small.jsonl", metadata, pick_lines(lines, every=400, titles=TITLES))
    large = write_slice(root / "large.jsonl", metadata, pick_lines(lines, every=100, titles=TITLES))
    huge = write_slice(root / "huge.jsonl", metadata, pick_lines(lines, every=5, titles=TITLES))
    return small, large, huge


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, slices: tuple[Path, Path, Path]) -> Path:
    home = tmp_path_factory.mktemp("base") / "home"
    ingest(home, slices[0])
    return home


@pytest.fixture
def home(tmp_path: Path, base: Path) -> Path:
    """A copy of the ingested home: each test kills writers in its own."""
    return Path(shutil.copytree(base, tmp_path / "home"))


def partials(home: Path) -> list[Path]:
    return sorted(home.glob(f".{STORE}.*.partial"))


def new_generation(home: Path) -> Callable[[], bool]:
    """True while a new generation is being built: its folder exists, ``CURRENT`` still names the old one."""
    before = {p.name for p in (home / "index").iterdir()}
    current = state(home)[1]

    def building() -> bool:
        fresh = any(p.name not in before and p.is_dir() for p in (home / "index").iterdir())
        return fresh and (home / "index" / "CURRENT").read_text(encoding="utf-8").strip() == current

    return building


def test_killed_while_writing_the_catalogue(home: Path, slices: tuple[Path, Path, Path]) -> None:
    old = state(home)
    assert "Death Note" in titles_found(home, "death note")
    huge = ["ingest", "--no-index", "--source", str(slices[2])]
    kill_when(home, huge, lambda: bool(partials(home)), longest=1.0)
    assert partials(home)  # the killed writer's temporary file: never read, swept by the next run

    assert state(home) == old  # the old store and the old index, untouched
    assert "Death Note" in titles_found(home, "death note")  # another process answers from them

    report = ingest(home, slices[1])  # the next run recovers: a whole new catalogue, no leftovers
    assert state(home) != old and not partials(home)
    assert report["index"]["points"] > 300  # type: ignore[index]
    assert "Death Note" in titles_found(home, "death note")


@pytest.mark.parametrize("args", [["--reindex"], []], ids=["reindex", "ingest"])
def test_killed_while_building_the_index(
    home: Path, slices: tuple[Path, Path, Path], args: list[str]
) -> None:
    source = slices[0] if args else slices[1]
    current = state(home)[1]
    kill_when(home, ["ingest", "--source", str(source), *args], new_generation(home))

    assert state(home)[1] == current  # CURRENT still names the old, complete generation
    assert "Death Note" in titles_found(home, "death note")
    assert not partials(home)

    ingest(home, source, *args)  # the next run finishes (resuming the unfinished generation where it can)
    assert state(home)[1] != current
    assert "Death Note" in titles_found(home, "death note")


def test_a_full_disk_while_writing_the_catalogue(home: Path, slices: tuple[Path, Path, Path]) -> None:
    """RLIMIT_FSIZE stands in for a full disk: the child may not write a file past 256 KiB (EFBIG; SIGXFSZ
    is ignored so the write fails instead of killing it)."""
    old = state(home)

    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))

    failed = run(home, "ingest", "--source", str(slices[1]), preexec_fn=small_files)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stderr, failed.stderr
    assert "could not write the catalogue store" in failed.stderr, failed.stderr
    assert "the previous catalogue is kept" in failed.stderr
    assert state(home) == old and not partials(home)
    assert "Death Note" in titles_found(home, "death note")
