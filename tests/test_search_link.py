"""The pipe between ``anime-mcp mcp`` and its search processes (adapters/search_link.py): the framing, the
child's loop, the parent's link to a real child process (answers, typed errors, a child that dies or hangs),
the recipe file, and how the launch recognises ``anime-mcp mcp``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anime_mcp.adapters import search_link
from anime_mcp.adapters.search_link import (
    LinkLost,
    RemoteFailure,
    SearchLink,
    read_message,
    read_recipe,
    serve,
    write_message,
    write_recipe,
)
from anime_mcp.core.search_errors import IndexNotBuilt, SearchError
from anime_mcp.entrypoints.launch import early_search, runs_mcp


def test_messages_cross_a_pipe_whole_whatever_their_size() -> None:
    read_end, write_end = os.pipe()
    big = {"vectors": [[float(i)] * 384 for i in range(2000)], "text": "デスノート"}  # ~6 MB: many reads
    writer = threading.Thread(target=lambda: [write_message(write_end, m) for m in (big, ("ok", None))])
    writer.start()
    try:
        assert read_message(read_end) == big
        assert read_message(read_end) == ("ok", None)
    finally:
        writer.join()
        os.close(write_end)
    with pytest.raises(EOFError):
        read_message(read_end)
    os.close(read_end)


def test_a_reply_that_does_not_come_in_time_is_a_timeout() -> None:
    read_end, write_end = os.pipe()
    try:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            read_message(read_end, time.monotonic() + 0.2)
        assert 0.15 < time.monotonic() - started < 5
        os.write(write_end, b"\x00\x00")  # half a length: still waiting for the rest
        with pytest.raises(TimeoutError):
            read_message(read_end, time.monotonic() + 0.2)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_frame_claiming_an_absurd_size_is_refused() -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, b"\xff\xff\xff\xff")
    with pytest.raises(ValueError, match="bytes on the search pipe"):
        read_message(read_end, time.monotonic() + 5)
    os.close(read_end)
    os.close(write_end)


class Unpicklable(Exception):
    def __init__(self, a: str, b: str) -> None:  # pickling rebuilds it with one argument: fails
        super().__init__(f"{a} {b}")


def handler(operation: str, arguments: tuple[Any, ...]) -> Any:
    if operation == "echo":
        return arguments
    if operation == "missing":
        raise IndexNotBuilt("no search index yet: run anime-mcp ingest")
    if operation == "odd error":
        raise Unpicklable("strange", "failure")
    if operation == "odd value":
        return lambda: None
    raise SearchError(f"unknown {operation}")


@pytest.fixture
def served_loop() -> Iterator[tuple[int, int]]:
    """(requests, replies): the write end to the loop and the read end from it, the loop in a thread."""
    requests_read, requests_write = os.pipe()
    replies_read, replies_write = os.pipe()
    loop = threading.Thread(target=serve, args=(handler, requests_read, replies_write))
    loop.start()
    yield requests_write, replies_read
    os.close(requests_write)
    loop.join(5)
    assert not loop.is_alive(), "the loop ends when its requests pipe closes"
    for fd in (requests_read, replies_read, replies_write):
        os.close(fd)


def ask(channel: tuple[int, int], operation: str, *arguments: Any) -> tuple[str, Any]:
    requests, replies = channel
    write_message(requests, (operation, arguments))
    reply: tuple[str, Any] = read_message(replies, time.monotonic() + 5)
    return reply


def test_the_loop_answers_values_and_typed_errors_and_survives_what_does_not_pickle(
    served_loop: tuple[int, int],
) -> None:
    assert ask(served_loop, "echo", 1, "two") == ("ok", (1, "two"))
    status, error = ask(served_loop, "missing")
    assert status == "error" and type(error) is IndexNotBuilt and "ingest" in str(error)
    assert ask(served_loop, "odd error") == ("failed", "Unpicklable: strange failure")
    status, text = ask(served_loop, "odd value")
    assert status == "failed" and "odd value answered with a value that does not pickle" in text
    assert ask(served_loop, "echo", "still") == ("ok", ("still",))  # and it keeps serving


CHILD = """
import sys, time
from anime_mcp.adapters.search_link import serve
from anime_mcp.core.search_errors import IndexNotBuilt

class Odd(Exception):
    def __init__(self, a, b):
        super().__init__(f"{a} {b}")

def handle(operation, arguments):
    if operation == "odd":
        raise Odd("strange", "failure")
    if operation == "sleep":
        time.sleep(arguments[0])
    if operation == "missing":
        raise IndexNotBuilt("no search index yet")
    if operation == "exit":
        sys.exit(3)
    return [operation, *arguments]

serve(handle, 0, 1)
"""


def child_link(reply_seconds: float = 30.0) -> SearchLink:
    process = subprocess.Popen(
        [sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
    )
    return SearchLink(process, {"version": 1}, reply_seconds=reply_seconds)


def test_a_link_calls_a_real_child_and_reraises_its_errors_typed() -> None:
    link = child_link()
    try:
        assert link.call("echo", 1, "x") == ["echo", 1, "x"]
        with pytest.raises(IndexNotBuilt, match="no search index yet"):
            link.call("missing")
        assert link.lost is None
        answers: dict[int, Any] = {}
        calls = [
            threading.Thread(target=lambda i=i: answers.__setitem__(i, link.call("echo", i)))
            for i in range(8)
        ]
        for call in calls:  # calls from many threads are serialised, each gets its own answer
            call.start()
        for call in calls:
            call.join()
        assert answers == {i: ["echo", i] for i in range(8)}
        assert link.call("echo", "after") == ["echo", "after"]
    finally:
        link.close()
    assert link.process.poll() is not None, "closing ends the process"
    with pytest.raises(LinkLost, match="closed"):
        link.call("echo")


def test_a_child_that_dies_is_reported_lost_with_its_exit_code_for_every_later_call() -> None:
    link = child_link()
    with pytest.raises(LinkLost, match=r"exit code 3"):
        link.call("exit")
    assert link.lost is not None and "stopped answering" in link.lost
    with pytest.raises(LinkLost):
        link.call("echo")


def test_a_child_that_hangs_is_killed_after_the_reply_deadline() -> None:
    link = child_link(reply_seconds=0.5)
    started = time.monotonic()
    with pytest.raises(LinkLost, match="no reply from the search process in time"):
        link.call("sleep", 30)
    assert time.monotonic() - started < 10
    assert link.process.poll() is not None, "the hung process is killed, not left behind"


def test_closing_does_not_wait_for_a_hung_call() -> None:
    link = child_link()
    failed: list[BaseException] = []

    def hung() -> None:
        try:
            link.call("sleep", 60)
        except LinkLost as exc:
            failed.append(exc)

    caller = threading.Thread(target=hung)
    caller.start()
    time.sleep(0.3)  # the call is in flight
    started = time.monotonic()
    link.close()
    caller.join(10)
    assert time.monotonic() - started < 5, "the hung call was cut, not waited for"
    assert link.process.poll() is not None and failed and not caller.is_alive()


class Interrupted(BaseException):
    pass


def test_an_interrupt_between_a_request_and_its_reply_marks_the_link_lost() -> None:
    """The reply would come to the next caller: the wire is out of step, so the link is given up."""
    link = child_link()

    def interrupt(signum: int, frame: object) -> None:
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.3)
        with pytest.raises(Interrupted):
            link.call("sleep", 2)
        assert link.lost is not None and "interrupted" in link.lost
        with pytest.raises(LinkLost):
            link.call("echo")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        link.close()


def test_an_unpicklable_failure_reaches_the_caller_as_a_remote_failure() -> None:
    link = child_link()
    try:
        with pytest.raises(RemoteFailure, match="Odd: strange failure"):
            link.call("odd")
        assert link.call("echo") == ["echo"]
    finally:
        link.close()


def test_the_recipe_file_is_read_only_when_whole_and_of_this_version(tmp_path: Path) -> None:
    path = tmp_path / search_link.RECIPE_FILE
    assert read_recipe(path) is None  # none yet
    recipe = {"version": search_link.RECIPE_VERSION, "embedder": {"model_dir": "/m"}, "index": {}}
    write_recipe(path, recipe)
    assert read_recipe(path) == recipe
    assert path.stat().st_mode & 0o777 == 0o600  # the user's only
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file left"
    for text in ("{not json", "[1, 2]", json.dumps({**recipe, "version": 99}), ""):
        path.write_text(text)
        assert read_recipe(path) is None, text
    write_recipe(tmp_path / "missing-folder" / "recipe.json", recipe)  # unwritable: quietly skipped


def test_the_launch_recognises_the_mcp_command_and_only_it() -> None:
    assert runs_mcp(["mcp"])
    assert runs_mcp(["-vv", "mcp"])
    assert runs_mcp(["--log-format", "json", "mcp"])
    assert runs_mcp(["--log-format=json", "-v", "mcp"])
    assert not runs_mcp(["--log-format", "mcp", "serve"])  # "mcp" there is the option's value
    assert not runs_mcp(["mcp", "--help"])
    assert not runs_mcp(["serve"])
    assert not runs_mcp(["mcp-config"])
    assert not runs_mcp([])


def test_the_launch_starts_nothing_when_turned_off_or_without_a_recipe(tmp_path: Path) -> None:
    assert early_search({"ANIME_MCP_HOME": str(tmp_path)}) == {}  # no recipe kept yet
    write_recipe(tmp_path / search_link.RECIPE_FILE, {"version": 1, "embedder": {}, "index": {}})
    assert early_search({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_SEARCH_PROCESS": "0"}) == {}
    assert early_search({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_SEARCH_PROCESS": "off"}) == {}
