"""The search processes of ``anime-mcp mcp`` (adapters/remote_search.py, entrypoints/search_process.py):
the real MiniLM model and a real indexed catalogue slice, in real child processes.

- Everything read through them equals what the same components answer in-process.
- A process that is killed is replaced by in-process loading at the next call, with the same answers.
- The processes the launch starts from the kept recipe are adopted when the recipe is the server's, and
  replaced when it is not.
- ``anime-mcp mcp`` end to end: the first start keeps the recipe, the next adopts both processes, none is
  left behind, and ``ANIME_MCP_SEARCH_PROCESS=0`` searches in the server's own process.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from attrs import evolve
from search_support import MINILM
from serve_support import HELLO, environment, ingested_home, mcp_process

from anime_mcp.adapters.remote_search import RemoteIndex
from anime_mcp.adapters.search_link import RECIPE_FILE, SearchProcesses, read_recipe, start_early
from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.models import AnimeType
from anime_mcp.core.search_errors import EmbedderError, SearchError
from anime_mcp.core.services.search import SearchService
from anime_mcp.entrypoints.bench.workloads.serve_processes import receive, send
from anime_mcp.entrypoints.bootstrap import load_plugins, search_processes
from anime_mcp.entrypoints.search_process import NICENESS, keepable, rebuilt
from anime_mcp.entrypoints.search_setup import SearchComponents, search_components
from anime_mcp.entrypoints.settings import Settings
from anime_mcp.ports.vector_index import CONTENT_VECTOR, DENSE_VECTOR, IndexQuery, VectorIndex

QUESTIONS = ["death note", "space cowboy jazz bounty hunters", "basketball high school team", "トトロ"]


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ingested_home(tmp_path_factory)


@pytest.fixture(scope="module")
def settings(home: Path) -> Settings:
    loaded = Settings.load(environment(home))
    return evolve(loaded, search=evolve(loaded.search, embed_threads=1))


@pytest.fixture(scope="module")
def local(settings: Settings) -> SearchComponents:
    return search_components(settings.search, load_plugins(settings), settings.plugins)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[SearchProcesses]:
    started = SearchProcesses(None, tmp_path / RECIPE_FILE)
    yield started
    started.close()


def remote_parts(settings: Settings, processes: SearchProcesses) -> SearchComponents:
    return search_components(settings.search, load_plugins(settings), settings.plugins, processes)


def queries(parts: SearchComponents, text: str) -> list[IndexQuery]:
    vector = parts.embedder().embed_query(text)
    sparse = parts.encoder.encode_query(text)
    tv = SearchFilters(types=frozenset({AnimeType.TV}))
    return [
        IndexQuery(dense=vector, limit=10),
        IndexQuery(sparse=sparse, limit=10),
        IndexQuery(dense=vector, sparse=sparse, limit=10, fusion="dbsf"),
        IndexQuery(dense=vector, filters=tv, limit=5),
        IndexQuery(dense=vector, using=CONTENT_VECTOR, limit=5),
    ]


def answers(index: VectorIndex, parts: SearchComponents) -> list[Any]:
    found: list[Any] = []
    for text in QUESTIONS:
        for query in queries(parts, text):
            found.append(index.search(query))
    hits = [hit.anime_id for hit in found[0]]
    found.append(index.dense_vector(hits[0]))
    found.append(index.dense_vector("mal-does-not-exist"))
    found.append(index.scores(parts.embedder().embed_query("death note"), hits, DENSE_VECTOR))
    found.append(index.facts(hits))
    found.append(index.count())
    return found


def test_the_processes_answer_what_the_same_components_answer_in_process(
    settings: Settings, local: SearchComponents, processes: SearchProcesses
) -> None:
    remote = remote_parts(settings, processes)
    assert type(remote.backend).__name__ == "RemoteBackend"
    assert remote.model == local.model
    assert remote.embedder().name == local.embedder().name
    assert remote.embedder().dimension == local.embedder().dimension
    for text in QUESTIONS:
        assert remote.embedder().embed_query(text) == local.embedder().embed_query(text)
    assert remote.embedder().embed_documents(QUESTIONS) == local.embedder().embed_documents(QUESTIONS)

    assert remote.backend.manifest() == local.backend.manifest()
    here, there = local.backend.open(), remote.backend.open()
    assert here is not None and there is not None
    assert there.manifest == here.manifest
    assert answers(there, remote) == answers(here, local)

    def service(parts: SearchComponents, index: VectorIndex) -> SearchService:
        return SearchService(local_store(settings), index, parts.encoder, parts.embedder, parts.model)

    for text in QUESTIONS:
        near = service(local, here).search(text, limit=5)
        far = service(remote, there).search(text, limit=5)
        assert [(r.entry.anime_id, r.relevance) for r in far] == [
            (r.entry.anime_id, r.relevance) for r in near
        ]

    there.close()
    with pytest.raises(SearchError, match="closed"):
        there.count()  # its handle is gone in the process: a typed error, and the process goes on
    assert remote.backend.open() is not None


def local_store(settings: Settings) -> Any:
    from anime_mcp.entrypoints.bootstrap import bootstrap

    return bootstrap(settings).catalogue


def test_a_killed_process_is_replaced_by_loading_in_this_one_with_the_same_answers(
    settings: Settings, local: SearchComponents, processes: SearchProcesses
) -> None:
    remote = remote_parts(settings, processes)
    index = remote.backend.open()
    here = local.backend.open()
    assert index is not None and here is not None
    before = answers(index, remote)
    for link in processes.links:
        link.process.kill()
        link.process.wait(10)
    after = answers(index, remote)  # both fall back: the model and the index load here
    assert after == before == answers(here, local)
    assert all(link.lost is not None for link in processes.links)
    assert remote.backend.manifest() == local.backend.manifest()
    reopened = remote.backend.open()
    assert reopened is not None and reopened.count() == here.count()


def test_the_launch_processes_are_adopted_when_their_recipe_is_the_servers_and_replaced_when_not(
    settings: Settings, tmp_path: Path
) -> None:
    recipe_file = tmp_path / RECIPE_FILE
    first = SearchProcesses(None, recipe_file)
    remote_parts(settings, first)
    recipe = read_recipe(recipe_file)
    assert recipe is not None and recipe["embedder"]["threads"] == 1
    first.close()

    early = start_early(recipe_file)
    assert set(early) == {"embedder", "index"}
    adopting = SearchProcesses(early, recipe_file)
    parts = remote_parts(settings, adopting)
    assert {link.process.pid for link in adopting.links} == {link.process.pid for link in early.values()}
    assert parts.embedder().embed_query("death note")
    assert parts.backend.manifest() is not None  # both have answered: both have set their priority
    assert all(os.getpriority(os.PRIO_PROCESS, link.process.pid) == NICENESS for link in early.values())
    adopting.close()
    assert all(link.process.poll() is not None for link in early.values())

    early = start_early(recipe_file)
    other = evolve(settings, search=evolve(settings.search, embed_threads=2))
    replacing = SearchProcesses(early, recipe_file)
    parts = remote_parts(other, replacing)
    assert early["embedder"].process.wait(10) is not None, "the early model process had another recipe"
    assert early["index"].process.poll() is None, "the index process's recipe was the same: adopted"
    kept = read_recipe(recipe_file)
    assert kept is not None and kept["embedder"]["threads"] == 2
    assert len(parts.embedder().embed_query("death note")) == 384
    replacing.close()


# --- anime-mcp mcp, end to end ---------------------------------------------------------------------
def first_search(home: Path, **env: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Spawn ``anime-mcp -vv mcp``, ask one search after the handshake, end it; the answer and the JSON
    log lines."""
    process = mcp_process(home, ANIME_MCP_LOG_FORMAT="json", **env)
    assert process.stdin is not None and process.stdout is not None
    try:
        send(process.stdin, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO})
        receive(process.stdout, 1)
        send(process.stdin, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        call = {"name": "search_anime", "arguments": {"query": "death note"}}
        send(process.stdin, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
        answer = receive(process.stdout, 2)
    finally:
        _, err = process.communicate(timeout=60)
    lines = []
    for line in err.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return answer, lines


def started(lines: list[dict[str, Any]]) -> dict[str, Any]:
    found = [line for line in lines if line.get("event") == "search.processes"]
    assert len(found) == 1, lines
    return found[0]


def gone(pid: int) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.1)
    return False


def death_note_first(answer: dict[str, Any]) -> bool:
    results = answer["result"]["structuredContent"]["results"]
    return bool(results[0]["ids"]["mal"] == "1535")


def test_mcp_keeps_the_recipe_then_adopts_its_processes_and_leaves_none_behind(
    home: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    (copy / RECIPE_FILE).unlink(missing_ok=True)

    answer, lines = first_search(copy)
    assert death_note_first(answer)
    first = started(lines)
    assert first["adopted"] == []  # nothing kept yet: the server started both itself
    assert read_recipe(copy / RECIPE_FILE) is not None
    assert gone(first["embedder"]) and gone(first["index"])

    answer, lines = first_search(copy)
    assert death_note_first(answer)
    second = started(lines)
    assert second["adopted"] == ["embedder", "index"]  # started by the launch, before any import
    assert gone(second["embedder"]) and gone(second["index"])

    kept = json.loads((copy / RECIPE_FILE).read_text())
    kept["index"]["location"] = str(tmp_path / "elsewhere")  # a stale recipe: another home's index
    (copy / RECIPE_FILE).write_text(json.dumps(kept))
    answer, lines = first_search(copy)
    assert death_note_first(answer)
    assert started(lines)["adopted"] == ["embedder"]
    assert read_recipe(copy / RECIPE_FILE)["index"]["location"] == str(copy / "index")  # type: ignore[index]


def test_mcp_searches_in_its_own_process_when_told_to(home: Path, tmp_path: Path) -> None:
    copy = tmp_path / "home"
    shutil.copytree(home, copy)
    answer, lines = first_search(copy, ANIME_MCP_SEARCH_PROCESS="0")
    assert death_note_first(answer)
    assert not [line for line in lines if line.get("event") == "search.processes"]


# --- what the review asked for ----------------------------------------------------------------------
def test_the_recipe_never_reaches_a_command_line_and_one_with_a_secret_is_not_kept(
    settings: Settings, processes: SearchProcesses
) -> None:
    parts = remote_parts(settings, processes)
    for link in processes.links:
        command_line = Path(f"/proc/{link.process.pid}/cmdline").read_bytes()
        assert str(parts.model_dir).encode() not in command_line and b"version" not in command_line
    recipe = read_recipe(processes._recipe_file)
    assert recipe is not None and keepable(recipe)
    secret = json.loads(json.dumps(recipe))
    secret["index"]["options"]["api_key"] = "s3cret"
    assert not keepable(secret)
    assert not keepable(
        {**recipe, "index": {**recipe["index"], "location": "https://me:pw@qdrant.example:6333"}}
    )
    assert keepable({**recipe, "index": {**recipe["index"], "location": "https://qdrant.example:6333/x@y"}})


def test_a_module_in_the_working_directory_cannot_shadow_ours_in_a_search_process(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "attrs.py").write_text("raise SystemExit(7)\n")  # what a client's workspace might hold
    monkeypatch.chdir(tmp_path)
    started = SearchProcesses(None, tmp_path / RECIPE_FILE)
    try:
        parts = remote_parts(settings, started)
        assert len(parts.embedder().embed_query("death note")) == 384
        assert all(link.lost is None for link in started.links)
    finally:
        started.close()


def test_a_recipe_names_only_classes_of_this_package_or_its_plugins() -> None:
    with pytest.raises(SearchError, match="not a module of anime_mcp"):
        rebuilt("json.decoder:JSONDecoder", "json")
    with pytest.raises(SearchError, match="not a class"):
        rebuilt("anime_mcp.entrypoints.search_process:main", "main")
    with pytest.raises(SearchError, match="not a class of anime_mcp"):
        rebuilt("anime_mcp.adapters.search_link:subprocess.Popen", "Popen")  # a module of ours imports it
    with pytest.raises(SearchError, match="not 'qdrant-edge'"):
        rebuilt("anime_mcp.plugins.onnx_text:OnnxTextEmbedderProvider", "qdrant-edge")
    assert rebuilt("anime_mcp.plugins.onnx_text:OnnxTextEmbedderProvider", "onnx-text").name == "onnx-text"


def test_an_index_the_server_drops_is_closed_in_the_process(
    settings: Settings, processes: SearchProcesses
) -> None:
    remote = remote_parts(settings, processes)
    dropped = remote.backend.open()
    assert isinstance(dropped, RemoteIndex)
    handle, manifest = dropped._handle, dropped.manifest
    del dropped
    gc.collect()
    kept = remote.backend.open()  # the next call sends the close first
    assert kept is not None and kept.count() > 50
    ghost = RemoteIndex(processes.links[1], handle, manifest, lambda: None)
    with pytest.raises(SearchError, match=f"index handle {handle} is closed"):
        ghost.count()


def test_processes_nobody_will_use_are_ended_at_once(settings: Settings, tmp_path: Path) -> None:
    recipe_file = tmp_path / RECIPE_FILE
    first = SearchProcesses(None, recipe_file)
    remote_parts(settings, first)
    first.close()
    early = start_early(recipe_file)  # still loading: they would read their end of input only when done
    other = evolve(settings, search=evolve(settings.search, embed_threads=2, home=tmp_path / "x"))
    replacing = SearchProcesses(early, recipe_file)
    try:
        started = time.monotonic()
        remote_parts(other, replacing)
        assert time.monotonic() - started < 0.9, "killed, not given a second each to end"
        assert all(link.process.poll() is not None for link in early.values())
    finally:
        replacing.close()
    early = start_early(recipe_file)
    off = evolve(settings, serve=evolve(settings.serve, search_process=False), home=tmp_path)
    assert search_processes(off, early) is None
    assert all(link.process.poll() is not None for link in early.values())
    assert not recipe_file.exists(), "searches turned off: no head start at the next launch"


def test_a_model_that_failed_to_load_is_tried_again(tmp_path: Path) -> None:
    from anime_mcp.adapters.remote_search import ServedSearch
    from anime_mcp.plugins.onnx_text import OnnxTextEmbedderProvider

    folder = tmp_path / "model"
    served = ServedSearch(load_embedder=lambda: OnnxTextEmbedderProvider().load(folder, threads=1))
    served.load()  # nothing there yet: kept quiet, raised to the calls that need the model
    with pytest.raises(EmbedderError):
        served.handle("embedder", ())
    shutil.copytree(MINILM, folder)  # `anime-mcp models install` finished meanwhile
    _, dimension = served.handle("embedder", ())
    assert dimension == 384 and served.handle("embed_query", ("death note",))


def test_a_closed_link_ends_calls_instead_of_loading_in_the_server(
    settings: Settings, processes: SearchProcesses
) -> None:
    remote = remote_parts(settings, processes)
    embedder = remote.embedder()
    index = remote.backend.open()
    assert index is not None
    processes.close()  # the server is ending
    with pytest.raises(SearchError, match="shutting down"):
        embedder.embed_query("death note")
    with pytest.raises(SearchError, match="shutting down"):
        index.count()
    with pytest.raises(SearchError, match="shutting down"):
        remote.backend.manifest()
    with pytest.raises(SearchError, match="shutting down"):
        remote_parts(settings, processes)  # a snapshot built after the end starts nothing


def test_the_same_recipe_gets_the_same_processes_and_a_secret_one_is_not_kept(
    settings: Settings, processes: SearchProcesses
) -> None:
    remote_parts(settings, processes)
    first = [link.process.pid for link in processes.links]
    remote_parts(settings, processes)  # two threads building the search parts, say
    assert [link.process.pid for link in processes.links] == first
    recipe = read_recipe(processes._recipe_file)
    assert recipe is not None
    recipe["embedder"]["threads"] = 2  # another recipe, one that holds an API key, say
    processes.links_for(recipe, keep=False)
    assert not processes._recipe_file.exists()


def test_launch_processes_nothing_adopts_are_ended_and_forgotten(settings: Settings, tmp_path: Path) -> None:
    recipe_file = tmp_path / RECIPE_FILE
    first = SearchProcesses(None, recipe_file)
    remote_parts(settings, first)
    first.close()
    early = start_early(recipe_file)
    broken = evolve(settings, search=evolve(settings.search, model=str(tmp_path / "no-model")))
    with pytest.raises(EmbedderError):
        remote_parts(broken, SearchProcesses(early, recipe_file))
    assert all(link.process.poll() is not None for link in early.values())
    assert not recipe_file.exists()


def test_a_model_asked_for_from_another_folder_loads_in_this_process(
    settings: Settings, processes: SearchProcesses, tmp_path: Path
) -> None:
    remote = remote_parts(settings, processes)
    assert type(remote.embedder()).__name__ == "RemoteEmbedder"
    copy = tmp_path / "model"
    shutil.copytree(MINILM, copy)
    here = remote.embedder_provider.load(copy, threads=1)
    assert type(here).__name__ == "OnnxTextEmbedder"
    assert here.embed_query("death note") == remote.embedder().embed_query("death note")
