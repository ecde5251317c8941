"""What ``anime-mcp`` pays for at start: the command module imports no image, scraping or model library (a
fresh interpreter, as a spawned ``anime-mcp mcp`` is), and ``anime-mcp mcp`` builds the season index only
after its first answer, so the first search does not share the interpreter with a whole-catalogue read."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

from anime_mcp.entrypoints import memory
from anime_mcp.entrypoints.mcp.warm_up import WarmUp
from anime_mcp.entrypoints.memory import trim_heap

HEAVY = ("PIL", "lxml", "onnxruntime", "numpy", "qdrant_edge", "tokenizers", "cloudscraper", "mcp")


def test_importing_the_command_loads_no_heavy_library() -> None:
    probe = (
        "import json, sys; import anime_mcp.entrypoints.cli; "
        f"print(json.dumps(sorted(m for m in {list(HEAVY)!r} if m in sys.modules)))"
    )
    found = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert json.loads(found.stdout) == []


class FakeRuntime:
    """What ``WarmUp`` drives: the warm-up and the season index, recorded in order."""

    def __init__(self, *, warm_up: bool = True) -> None:
        self.settings = SimpleNamespace(warm_up=warm_up)
        self.done: list[str] = []
        self.seasons_built = threading.Event()

    def warm_up(self, *, seasons: bool = True, trim: bool = True) -> None:
        self.done.append(f"warm_up(seasons={seasons})")

    def index_seasons(self) -> None:
        self.done.append("index_seasons")
        self.seasons_built.set()


def test_the_season_index_waits_for_the_first_answer() -> None:
    runtime = FakeRuntime()
    warm_up = WarmUp(runtime, started=True)  # type: ignore[arg-type]
    warm_up.start()  # already started by ``anime-mcp mcp``: nothing more
    assert runtime.done == []
    warm_up.answered()
    assert runtime.seasons_built.wait(5)
    warm_up.answered()
    warm_up.start_seasons()
    assert runtime.done == ["index_seasons"]  # once


def test_a_late_warm_up_leaves_the_season_index_for_later() -> None:
    runtime = FakeRuntime()
    warm_up = WarmUp(runtime)  # type: ignore[arg-type]
    warm_up.start()
    warm_up.start()
    for thread in threading.enumerate():
        if thread.name == "anime-mcp-warm-up":
            thread.join(5)
    assert runtime.done == ["warm_up(seasons=False)"]


def test_no_warm_up_means_no_season_index_either() -> None:
    runtime = FakeRuntime(warm_up=False)
    warm_up = WarmUp(runtime)  # type: ignore[arg-type]
    warm_up.start()
    warm_up.answered()
    warm_up.start_seasons()
    assert runtime.done == []


def test_trimming_the_heap_is_safe_to_call() -> None:
    garbage = [str(i) * 10 for i in range(200_000)]
    del garbage
    assert trim_heap() in (True, False)
    gc.unfreeze()  # this test process goes on collecting as before


SETTLED = """
import gc, weakref
from anime_mcp.entrypoints.memory import release_frozen, trim_heap

class Node:
    pass

kept = [Node() for _ in range(1000)]  # start-up's long-lived objects
cycle = Node(); cycle.me = cycle      # garbage only the collector can free
dead = weakref.ref(cycle)
del cycle
trim_heap()
frozen = gc.get_freeze_count()
release_frozen()  # a replaced snapshot: the collector sees them all again
print(dead() is None, frozen >= 1000, gc.get_freeze_count() == 0)
"""


def test_after_trimming_the_garbage_is_collected_and_the_survivors_frozen() -> None:
    done = subprocess.run([sys.executable, "-c", SETTLED], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "True", "True"]


def test_a_warm_up_turns_the_collector_back_on_when_it_is_done() -> None:
    """``anime-mcp`` starts with the collector off (``entrypoints/launch.py``); ``mcp`` leaves it off until
    its warm-up has run, then freezes the start's objects and turns it on."""
    gc.disable()
    try:
        warm_up = WarmUp(FakeRuntime())  # type: ignore[arg-type]
        assert not gc.isenabled()
        warm_up.start()
        for thread in threading.enumerate():
            if thread.name == "anime-mcp-warm-up":
                thread.join(5)
        assert gc.isenabled()
        gc.disable()
        WarmUp(FakeRuntime(warm_up=False))  # type: ignore[arg-type]
        assert gc.isenabled(), "no warm-up to wait for: on at once"
        gc.disable()
        WarmUp(FakeRuntime(), started=True)  # type: ignore[arg-type]
        assert gc.isenabled(), "started elsewhere: on at once"
        trim_heap()  # the first trim after collects what the start's freeze kept
        assert not memory._Start.frozen
    finally:
        gc.enable()
        gc.unfreeze()


def test_every_other_command_turns_the_collector_on_before_its_work(tmp_path: Path) -> None:
    probe = (
        "import atexit, gc, sys; atexit.register(lambda: print('collector on:', gc.isenabled())); "
        "sys.argv = ['anime-mcp', 'tools', '--json']; "
        "from anime_mcp.entrypoints.launch import main; main()"
    )
    env = {**os.environ, "ANIME_MCP_HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", probe], check=False, capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.rsplit("collector on:", 1)[0])  # the command ran
    assert done.stdout.strip().endswith("collector on: True")
