"""Questions that point back at the last answer: "the second one", "#3", "that one"."""

from __future__ import annotations

import re

from anime_mcp.core.planning.model import PlanContext, PlanTitle
from anime_mcp.core.planning.reading import Reading

_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
    "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
    "tenth": 10, "10th": 10, "last": -1,
}  # fmt: skip
POINTER = re.compile(
    r"\b(?:the\s+)?("
    + "|".join(_ORDINALS)
    + r"|\d{1,2}th)\s+(?:one|result|anime|entry|pick|option|title|show|"
    r"item|suggestion|recommendation)s?\b|(?:\bnumber|\bno\.|#)\s*(\d{1,2})\b"
)
THAT_ONE = re.compile(r"\b(that one|this one|that anime|this anime|that show|the same one|it)\b")


def read_pointers(reading: Reading, context: PlanContext | None) -> bool:
    """Resolve pointers into the previous results; True when the question points at one we cannot see."""
    draft = reading.draft
    results = context.results if context else ()
    unresolved = False
    for match in reading.take(POINTER):
        word = match.group(1)
        position = _ORDINALS.get(word) if word else None
        if position is None:
            digits = (word or match.group(2) or "").rstrip("th")
            position = int(digits) if digits.isdigit() else 0
        if results and (position == -1 or 1 <= position <= len(results)):
            chosen = results[position - 1] if position > 0 else results[-1]
            draft.titles.append(PlanTitle(match.group().strip(), chosen.anime_id, chosen.title))
        else:
            unresolved = True
    if not draft.titles and context is not None:
        pointer = next(reading.matches(THAT_ONE), None)
        if pointer is not None:
            earlier = context.previous.titles if context.previous else ()
            if earlier:
                draft.titles.append(PlanTitle(pointer.group(), earlier[0].anime_id, earlier[0].title))
                reading.claim(pointer.start(), pointer.end())
            elif len(results) == 1:
                draft.titles.append(PlanTitle(pointer.group(), results[0].anime_id, results[0].title))
                reading.claim(pointer.start(), pointer.end())
    return unresolved
