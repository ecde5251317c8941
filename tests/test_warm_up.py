"""The warm-up beside a first call (``anime-mcp mcp`` warms up once ``tools/list`` is answered, and a client's
first search may come at once): the model is loaded once, and the search waits for the warm-up instead of
doing the same work beside it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fake_app_support import fake_runtime

from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.testing import FakeEmbedder, FakeEmbedderProvider


class SlowProvider(FakeEmbedderProvider):
    """Loads its embedder slowly, counting the loads; ``loading`` is set while one runs."""

    def __init__(self, embedder: FakeEmbedder | None = None) -> None:
        super().__init__(embedder)
        self.loads = 0
        self.loading = threading.Event()
        self.loaded = threading.Event()

    def load(self, model_dir: Path, *, threads: int | None = None) -> FakeEmbedder:
        self.loads += 1
        self.loading.set()
        time.sleep(0.3)
        self.loaded.set()
        return self.embedder


def test_two_threads_asking_for_the_model_load_it_once(tmp_path: Path) -> None:
    runtime = fake_runtime(tmp_path)
    parts: SearchComponents = runtime.app.search_parts()
    slow = SlowProvider()
    parts.embedder_provider = slow
    got = []
    threads = [threading.Thread(target=lambda: got.append(parts.embedder())) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert slow.loads == 1
    assert got == [slow.embedder, slow.embedder]


def test_a_search_waits_for_the_warm_up_running_beside_it(tmp_path: Path) -> None:
    runtime = fake_runtime(tmp_path, warm_up=True)
    parts: SearchComponents = runtime.app.search_parts()
    slow = SlowProvider()
    parts.embedder_provider = slow
    warming = threading.Thread(target=runtime.warm_up, kwargs={"seasons": False})
    warming.start()
    assert slow.loading.wait(5)  # the warm-up is loading the model (the snapshot is built and unlocked)
    search = runtime.search()
    assert slow.loaded.is_set(), "the search did not wait for the warm-up"
    found = search.search("death note", limit=1)
    assert found and found[0].entry.title == "Death Note"
    warming.join(5)
    assert slow.loads == 1


def test_without_a_warm_up_a_search_loads_what_it_needs(tmp_path: Path) -> None:
    runtime = fake_runtime(tmp_path)
    parts: SearchComponents = runtime.app.search_parts()
    slow = SlowProvider()
    parts.embedder_provider = slow
    found = runtime.search().search("death note", limit=1)
    assert found[0].entry.title == "Death Note"
    assert slow.loads == 1
