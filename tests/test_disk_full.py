"""A full disk while writing the search index, and while ``update`` writes the catalogue: a clear error that
says to free space, no traceback, the previous catalogue and index keep serving, the next run succeeds.

No root here, so no small tmpfs: RLIMIT_FSIZE in the child stands in for the full disk. A write (or a file
grown with ftruncate/fallocate) past the limit fails with EFBIG, SIGXFSZ ignored so that the write fails
instead of killing the process: the same error path as ENOSPC in the store and the index adapter.
"""

from __future__ import annotations

import resource
import shutil
import signal
from pathlib import Path

import pytest
from search_support import catalogue_lines, pick_lines, write_slice
from serve_support import TITLES
from test_crash_safety import partials, run, state, titles_found


def limited(size: int):  # type: ignore[no-untyped-def]
    def small_files() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return small_files


@pytest.fixture(scope="module")
def slices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    metadata, lines = catalogue_lines()
    root = tmp_path_factory.mktemp("slices")
    small = write_slice(root / "small.jsonl", metadata, pick_lines(lines, every=400, titles=TITLES))
    large = write_slice(root / "large.jsonl", metadata, pick_lines(lines, every=100, titles=TITLES))
    return small, large


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, slices: tuple[Path, Path]) -> Path:
    home = tmp_path_factory.mktemp("base") / "home"
    done = run(home, "ingest", "--source", str(slices[0]))
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def home(tmp_path: Path, base: Path) -> Path:
    return Path(shutil.copytree(base, tmp_path / "home"))


@pytest.mark.parametrize(
    ("args", "which"),
    [(["--reindex"], 0), ([], 1)],
    ids=["full build", "incremental update"],
)
def test_a_full_disk_while_writing_the_index(
    home: Path, slices: tuple[Path, Path], args: list[str], which: int
) -> None:
    """The catalogue (well under 8 MiB) is written; the index's files (tens of MiB) are not."""
    current = state(home)[1]
    source = ["--source", str(slices[which])]
    failed = run(home, "ingest", *source, *args, preexec_fn=limited(8 * 1024 * 1024))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr, failed.stderr
    assert "could not write the search index" in failed.stderr, failed.stderr
    assert "Free some space and run the command again" in failed.stderr
    assert "the previous index keeps serving" in failed.stderr

    assert state(home)[1] == current  # CURRENT names the old, complete generation
    assert "Death Note" in titles_found(home, "death note")  # and it answers

    again = run(home, "ingest", *source, *args)  # space freed: the next run succeeds
    assert again.returncode == 0, again.stderr
    assert state(home)[1] != current
    assert "Death Note" in titles_found(home, "death note")


def test_a_full_disk_while_update_writes_the_catalogue(home: Path, slices: tuple[Path, Path]) -> None:
    old = state(home)
    failed = run(home, "update", "--source", str(slices[1]), preexec_fn=limited(256 * 1024))
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr, failed.stderr
    assert "could not write the catalogue store" in failed.stderr, failed.stderr
    assert "the previous catalogue is kept" in failed.stderr
    assert state(home) == old and not partials(home)
    assert "Death Note" in titles_found(home, "death note")

    again = run(home, "update", "--source", str(slices[1]))
    assert again.returncode == 0, again.stderr
    assert state(home) != old
