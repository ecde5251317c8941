"""A search process beside ``anime-mcp mcp``, and the pipe between the two.

Why a second process: the first answer of a freshly spawned MCP server waits for about 0.5 s of imports
(the server) and about 0.6 s of model and index loading (numpy, onnxruntime, the Qdrant Edge shard), all of
it holding one interpreter lock. In two processes the halves run on two cores at once. The search process is
started by the console script before anything else is imported (``entrypoints/launch.py``), from the recipe
the previous start wrote (``RECIPE_FILE`` in the home); the server then checks that recipe against its own
settings and adopts the process, or starts one with the right recipe (``SearchProcesses.link_for``).

This module is standard library only: the launch imports it before anything else.

The wire: each message is a 4-byte big-endian length and a pickle, both ways over the child's stdin and
stdout; the two ends are this package in two processes started together, never a stranger (a pipe, not a
socket). A request is ``(operation, arguments)``; a reply ``("ok", value)``, ``("error", exception)`` or
``("failed", text)`` for an exception that does not pickle.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CHILD_MODULE = "anime_mcp.entrypoints.search_process"
RECIPE_FILE = "search-process.json"  # in the home: the recipe of the last start, for the next launch
RECIPE_VERSION = 1
PARTS = ("embedder", "index")  # each loads in its own process
REPLY_SECONDS = 120.0  # a reply this late means a hung process (the first waits for the model and index)
_FRAME = struct.Struct("!I")
_MAX_FRAME = 1 << 30


class LinkLost(Exception):
    """The search process ended, hung or broke the wire; the caller goes on without it."""


class RemoteFailure(Exception):
    """The search process raised an exception that does not pickle; its type and text."""


def supported() -> bool:
    """Waiting for a reply with a deadline needs ``select`` on a pipe (POSIX)."""
    return os.name == "posix"


# --- the wire ---------------------------------------------------------------------------------------
def write_message(fd: int, message: object) -> None:
    write_frame(fd, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))


def write_frame(fd: int, data: bytes) -> None:
    view = memoryview(_FRAME.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def read_message(fd: int, deadline: float | None = None) -> Any:
    """The next message, or EOFError at the end of the pipe; TimeoutError past ``deadline`` (monotonic)."""
    (size,) = _FRAME.unpack(_read_exactly(fd, _FRAME.size, deadline))
    if size > _MAX_FRAME:
        raise ValueError(f"a message of {size} bytes on the search pipe")
    return pickle.loads(_read_exactly(fd, size, deadline))


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no reply from the search process in time")
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the search process closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(handle: Callable[[str, tuple[Any, ...]], Any], requests: int, replies: int) -> None:
    """The child's loop: answer each request with ``handle`` until the parent closes the pipe."""
    while True:
        try:
            operation, arguments = read_message(requests)
        except EOFError:
            return
        try:
            reply: tuple[str, object] = ("ok", handle(operation, arguments))
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, typed when it pickles
            reply = ("error", exc) if _pickles(exc) else ("failed", f"{type(exc).__name__}: {exc}")
        try:
            write_message(replies, reply)  # pickled whole before a byte is written
        except OSError:  # the parent is gone
            return
        except Exception as exc:  # noqa: BLE001 - a value that does not pickle
            write_message(
                replies, ("failed", f"{operation} answered with a value that does not pickle: {exc}")
            )


def _pickles(exc: BaseException) -> bool:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # noqa: BLE001 - anything an unpickling can raise
        return False
    return True


# --- the parent's side ------------------------------------------------------------------------------
class SearchLink:
    """One search process and its pipe. Calls are serialised (the process answers one at a time); a call
    that finds the process gone, hung or speaking garbage kills it and raises ``LinkLost``, as do all later
    calls."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        recipe: dict[str, Any],
        *,
        reply_seconds: float = REPLY_SECONDS,
    ) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self.recipe = recipe
        self._requests = process.stdin.fileno()
        self._replies = process.stdout.fileno()
        self._reply_seconds = reply_seconds
        self._lock = threading.Lock()
        self._lost: str | None = None
        self.closed = False  # ended by the server: calls raise, nothing falls back any more
        self.reported = False  # whether the loss has been logged (by the first caller that noticed it)
        self._closing: list[tuple[str, tuple[Any, ...]]] = []  # requests to send before the next call

    @property
    def lost(self) -> str | None:
        """Why the process is gone (None while it serves)."""
        return self._lost

    def call(self, operation: str, *arguments: Any) -> Any:
        with self._lock:
            if self._lost is not None:
                raise LinkLost(self._lost)
            while self._closing:  # what finalizers asked for (they must not take this lock themselves)
                self._exchange(*self._closing.pop())
            status, value = self._exchange(operation, arguments)
        if status == "ok":
            return value
        if status == "error":
            raise value
        raise RemoteFailure(value)

    def later(self, operation: str, *arguments: Any) -> None:
        """Send ``operation`` before the next call (from a finalizer: no lock taken, no I/O)."""
        self._closing.append((operation, arguments))

    def _exchange(self, operation: str, arguments: tuple[Any, ...]) -> tuple[str, Any]:
        data = pickle.dumps((operation, arguments), protocol=pickle.HIGHEST_PROTOCOL)  # before a byte goes
        try:
            write_frame(self._requests, data)
            reply: tuple[str, Any] = read_message(self._replies, time.monotonic() + self._reply_seconds)
        except (OSError, EOFError, TimeoutError, ValueError, pickle.UnpicklingError) as exc:
            self._lose(f"{type(exc).__name__}: {exc}")
            raise LinkLost(self._lost) from exc
        except BaseException:  # an interrupt between request and reply: the wire is out of step now
            self._lose("interrupted between a request and its reply")
            raise
        return reply

    def _lose(self, why: str) -> None:
        self._kill()
        code = self.process.poll()
        self._lost = f"the search process (pid {self.process.pid}) stopped answering: {why}" + (
            f" (exit code {code})" if code is not None else ""
        )

    def close(self) -> None:
        """End the process: closing its stdin ends its loop; one that does not go in a second is killed. A
        call still in flight gets a second to finish; then the process is killed under it (its read ends)."""
        self.closed = True
        if not self._lock.acquire(timeout=1.0):
            self.process.kill()
            self._lock.acquire()
        try:
            if self._lost is None:
                self._lost = "the search process was closed"
            self._kill(grace=1.0)
        finally:
            self._lock.release()

    def discard(self) -> None:
        """End a process nobody has used (another recipe, or searches turned off) at once: one still loading
        would read its end of input only when done."""
        self.closed = True
        with self._lock:
            if self._lost is None:
                self._lost = "the search process was discarded"
            self.process.kill()
            self._kill(grace=5.0)  # reaped; killed already

    def _kill(self, grace: float = 0.0) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if stream is not None:
                    stream.close()
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(5)


def spawn(recipe: dict[str, Any], *, python: str | None = None) -> SearchLink:
    """Start a search process that loads ``recipe``'s model and index at once, then serves requests. Its
    stderr is ours (its rare lines join the server's log); its stdout is the reply pipe."""
    # -P: nothing from the working directory (an MCP client's workspace) shadows a module of ours. The
    # recipe goes over the pipe, not the command line, where any local user could read it.
    process = subprocess.Popen(
        [python or sys.executable, "-P", "-m", CHILD_MODULE],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        close_fds=True,
    )
    link = SearchLink(process, recipe)
    try:
        write_message(link._requests, recipe)
    except OSError:
        link.discard()
        raise
    return link


def read_recipe(path: Path) -> dict[str, Any] | None:
    """The recipe the last start wrote, or None when there is none or it cannot be used."""
    try:
        recipe = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recipe, dict) or recipe.get("version") != RECIPE_VERSION:
        return None
    return recipe


def write_recipe(path: Path, recipe: dict[str, Any]) -> None:
    """Keep ``recipe`` for the next launch (atomically: a crash leaves the old file or the new one). A home
    that cannot be written only costs the next start its head start."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # the user's only
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(json.dumps(recipe, sort_keys=True, indent=1))
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            temporary.unlink()


def start_early(recipe_file: Path) -> dict[str, SearchLink]:
    """At the launch, before the server knows its settings: the processes of the last start's recipe (none
    when there is none)."""
    if not supported():
        return {}
    recipe = read_recipe(recipe_file)
    if recipe is None:
        return {}
    links: dict[str, SearchLink] = {}
    for part in PARTS:
        if isinstance(recipe.get(part), dict):
            try:
                links[part] = spawn(part_recipe(recipe, part))
            except OSError:
                break
    return links


def part_recipe(recipe: dict[str, Any], part: str) -> dict[str, Any]:
    return {"version": recipe["version"], part: recipe[part]}


class SearchProcesses:
    """Where the server's search processes come from: those started at the launch when their recipes are
    the server's, else new ones (the recipe is then kept for the next launch, unless it holds a secret). The
    model and the index load in two processes: each load holds its interpreter's lock (the index's first
    queries too), and three processes on two cores finish sooner than two."""

    def __init__(self, early: dict[str, SearchLink] | None, recipe_file: Path) -> None:
        self._early = dict(early or {})
        self.early_pids = {link.process.pid for link in self._early.values()}
        self._recipe_file = recipe_file
        self._links: dict[str, SearchLink] = {}
        self._recipe: dict[str, Any] | None = None
        self._lock = threading.Lock()  # two threads may build the search parts at once
        self._closed = False

    def links_for(self, recipe: dict[str, Any], *, keep: bool = True) -> dict[str, SearchLink]:
        """``part -> link`` for each of ``PARTS``; the same links for the same recipe. ``keep`` False: the
        recipe holds a secret (an API key), so it is not written to the home, and a kept one is removed."""
        recipe = json.loads(json.dumps(recipe, sort_keys=True))  # as the file and the children hold it
        with self._lock:
            if self._closed:
                raise LinkLost("the search processes were closed: the server is shutting down")
            if recipe == self._recipe and all(link.lost is None for link in self._links.values()):
                return dict(self._links)
            return self._start(recipe, keep=keep)

    def _start(self, recipe: dict[str, Any], *, keep: bool) -> dict[str, SearchLink]:
        links: dict[str, SearchLink] = {}
        for part in PARTS:
            wanted = part_recipe(recipe, part)
            early = self._early.pop(part, None)
            if early is not None and early.recipe == wanted and early.process.poll() is None:
                links[part] = early
                continue
            if early is not None:
                early.discard()
            links[part] = spawn(wanted)
        if not keep:
            forget_recipe(self._recipe_file)
        elif read_recipe(self._recipe_file) != recipe:
            write_recipe(self._recipe_file, recipe)
        for old in self._links.values():
            old.close()
        self._links, self._recipe = links, recipe
        return dict(links)

    @property
    def links(self) -> tuple[SearchLink, ...]:
        """The links in use (adopted or started)."""
        return tuple(self._links.values())

    def drop_early(self) -> None:
        """The server will not search through processes (its providers cannot be made in one, or choosing
        them failed): end the launch's processes at once, and give the next launch no recipe to start."""
        with self._lock:
            early, self._early = self._early, {}
        for link in early.values():
            link.discard()
        if early:
            forget_recipe(self._recipe_file)

    def close(self) -> None:
        """End every process this server started (early ones too, if never adopted); later asks fail."""
        with self._lock:
            self._closed = True
            early, links = self._early, self._links
            self._early, self._links, self._recipe = {}, {}, None
        for link in early.values():
            link.discard()
        for link in links.values():
            link.close()


def forget_recipe(path: Path) -> None:
    """No head start at the next launch (searches turned off here, or a recipe with a secret)."""
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
