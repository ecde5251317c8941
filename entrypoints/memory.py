"""Handing freed heap memory back to the system after start-up's large temporary allocations.

Reading the whole catalogue (the season index, the planner's vocabulary) allocates and frees hundreds of MB
of small objects; glibc keeps the freed pages in its arenas, so the resident size stays at the high-water
mark. ``malloc_trim(0)`` returns what it can. Elsewhere (musl, macOS) this is a no-op.
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from functools import cache


class _Start:
    frozen = False  # collect_after_start froze without collecting: trim_heap unfreezes first


def trim_heap() -> bool:
    """Return freed heap pages to the system (glibc only); True if some were returned.

    A collection first: it empties the interpreter's free lists, whose few kept objects would otherwise pin
    whole blocks of what the scan freed (measured: 25 MB more given back after the planner's vocabulary).
    Then what survived is frozen (``gc.freeze``): the start-up's millions of long-lived objects (vocabulary,
    season index, model and catalogue structures) leave the collector's generations, so a full collection
    under load no longer walks them all (pauses of hundreds of milliseconds in the latency tail), and a
    later trim (after the season index, in a background thread) collects only what came since, not the whole
    heap while requests wait. Frozen objects are still freed by reference counting; cycles among them wait
    for ``release_frozen``, which a replaced snapshot calls. The first trim after ``collect_after_start``
    collects what that freeze kept uncollected too."""
    if _Start.frozen:
        _Start.frozen = False
        gc.unfreeze()
    gc.collect()
    gc.freeze()
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False


def collect_after_start() -> None:
    """Turn the cyclic collector back on after a start that ran without it (``launch``); nothing when it is
    on. The start's objects are frozen out of its generations first: none was ever collected, so all sit in
    the youngest, and the next collection would walk them all. Frozen without a collection (which would
    hold the interpreter lock while a first answer waits); the next ``trim_heap`` collects them."""
    if not gc.isenabled():
        gc.freeze()
        _Start.frozen = True
        gc.enable()


def release_frozen() -> None:
    """Give the frozen objects back to the collector (a snapshot was replaced: its cycles may be garbage
    now); the next ``trim_heap`` collects them and freezes what survives."""
    gc.unfreeze()


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (musl names it otherwise and has no malloc_trim)
        return None
    found: Callable[[int], int] | None = getattr(libc, "malloc_trim", None)
    return found
