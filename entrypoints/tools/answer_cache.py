"""Whole ``query_anime`` answers remembered, for questions asked again (the same question from many users).

Only answers made from the offline catalogue and index are kept: a search, similar anime, one anime by
reference (``OFFLINE_TOOLS``), with no live source asked and no planner plugin configured (an LLM planner
need not plan the same text the same way twice). The key is everything the answer depends on: the text and
the arguments, the asker's "now" as a date when none is given (the plan resolves "this year" against it),
and the snapshot: a new catalogue or index (another process ingested) empties the cache. At most
``size`` answers, least recently used first out, and at most ``size`` answers' worth of results counted at
``RESULTS_PER_ANSWER`` each: an answer of 100 full results weighs nine of 10, so askers cycling through large
answers cannot make the cache hold ten times the memory its size suggests. An answer is shared by every
asker: callers only read it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

OFFLINE_TOOLS = frozenset({"search_anime", "find_similar_anime", "get_anime_by_id"})
RESULTS_PER_ANSWER = 10  # what one answer of the budget holds
Key = tuple[Any, ...]


def weight(answer: dict[str, Any]) -> int:
    """An answer's share of the budget: one, plus one per result it lists."""
    results = answer.get("results")
    return 1 + (len(results) if isinstance(results, list) else 0)


def cacheable(output: dict[str, Any]) -> bool:
    """Whether a query_anime answer was made offline only (see the module)."""
    tools = output["metadata"]["tools"]
    return (
        bool(tools)
        and OFFLINE_TOOLS.issuperset(tools)
        and output["degradation"] is None
        and output["clarification"] is None
    )


class AnswerCache:
    """Bounded LRU of answers for one snapshot (any object; compared by identity)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.budget = size * (1 + RESULTS_PER_ANSWER)
        self._answers: OrderedDict[Key, dict[str, Any]] = OrderedDict()
        self._weights: dict[Key, int] = {}
        self.weight = 0
        self._snapshot: object = None
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, snapshot: object, key: Key) -> dict[str, Any] | None:
        with self._lock:
            if snapshot is not self._snapshot:
                self._answers.clear()
                self._weights.clear()
                self.weight = 0
                self._snapshot = snapshot
                return None
            found = self._answers.get(key)
            if found is not None:
                self._answers.move_to_end(key)
                self.hits += 1
            return found

    def put(self, snapshot: object, key: Key, answer: dict[str, Any]) -> None:
        if self.size <= 0:
            return
        with self._lock:
            if snapshot is not self._snapshot:  # the snapshot changed while this answer was made
                return
            self.weight -= self._weights.pop(key, 0)
            self._answers[key] = answer
            self._answers.move_to_end(key)
            self._weights[key] = weight(answer)
            self.weight += self._weights[key]
            while len(self._answers) > self.size or (self.weight > self.budget and len(self._answers) > 1):
                gone, _ = self._answers.popitem(last=False)
                self.weight -= self._weights.pop(gone)

    def __len__(self) -> int:
        return len(self._answers)
