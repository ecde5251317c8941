"""The stages of a progressive answer: the catalogue's answer at once (``offline``), then one stage per source
as its outcome arrives (``source``), then the merged whole (``final``).

A ``Progress`` carries the answer so far, whatever the use case's answer type is, with its place in the
sequence: ``step`` counts from 1 and ``total`` is known from the start (offline + one per source asked +
final), so a face can show "3 of 4" (MCP progress notifications) or name each event (server-sent events).
The answer is computed the first time it is read, from what had arrived when the stage was taken: merging
is not free, and a listener that only counts stages never pays for it.
Until the last source answers, the level of an answer is the level it has reached so far: a source still
awaited counts as one that did not contribute (``level_so_far``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Generic, TypeVar

from attrs import field, frozen

from anime_mcp.core.degradation import Level, OutcomeStatus, SourceOutcome, degradation_level

A = TypeVar("A")
AWAITED = "not answered yet"


class Stage(enum.StrEnum):
    OFFLINE = "offline"  # the catalogue's answer, before any source is asked
    SOURCE = "source"  # one source's outcome has arrived
    FINAL = "final"  # every source answered or the deadline passed: the merged answer


@frozen
class Progress(Generic[A]):
    """One stage of an answer: ``answer`` is the answer so far (the whole answer at ``final``)."""

    stage: Stage
    step: int  # 1 for offline, total for final
    total: int  # offline + one per source asked + final
    source: SourceOutcome | None = None  # at a source stage: what that source did
    pending: tuple[str, ...] = ()  # the sources asked that have not answered yet
    compute: Callable[[], A] = field(kw_only=True, repr=False, eq=False)  # the answer so far, when read

    @cached_property
    def answer(self) -> A:
        return self.compute()

    def __attrs_post_init__(self) -> None:
        if not 1 <= self.step <= self.total:
            raise ValueError(f"step {self.step} is outside 1..{self.total}")
        if (self.stage is Stage.SOURCE) != (self.source is not None):
            raise ValueError("a source stage, and only a source stage, names its source's outcome")


def stages_of(asked: int) -> int:
    """How many stages an answer that asks ``asked`` sources has."""
    return asked + 2


def level_so_far(outcomes: Iterable[SourceOutcome], pending: Iterable[str]) -> Level:
    """The level reached while ``pending`` sources are still awaited (they count as not contributing)."""
    awaited = [SourceOutcome(source, OutcomeStatus.FAILED, AWAITED) for source in pending]
    return degradation_level([*outcomes, *awaited])
