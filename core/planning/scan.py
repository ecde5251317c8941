"""Finding phrases of a table in a question: runs of whole, not yet understood tokens, longest first."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from typing import TypeVar

from anime_mcp.core.planning.reading import Reading
from anime_mcp.core.planning.text import Token

T = TypeVar("T")
MAX_WORDS = 4
# What may stand between the words of one phrase: "Anime-Planet", "J.C. Staff", "sci-fi", "Studio 4°C".
_JOINER = re.compile(r"[\s.\-/'’&+°·]*")

Lookup = Callable[[list[Token], str, int], T | None]


def joined(reading: Reading, span: list[Token]) -> bool:
    return all(
        _JOINER.fullmatch(reading.text[a.end : b.start]) is not None for a, b in itertools.pairwise(span)
    )


def scan(
    reading: Reading, lookup: Lookup[T], *, max_words: int = MAX_WORDS, claim: bool = True
) -> list[tuple[int, list[Token], T]]:
    """Every phrase ``lookup(tokens, key, index)`` knows, longest first, each claimed as it is found."""
    tokens = reading.tokens
    free = [not reading.claimed(t) for t in tokens]
    found: list[tuple[int, list[Token], T]] = []
    for size in range(max_words, 0, -1):
        for i in range(len(tokens) - size + 1):
            if not all(free[i : i + size]):
                continue
            span = list(tokens[i : i + size])
            if size > 1 and not joined(reading, span):
                continue
            key = " ".join(t.key for t in span)
            value = lookup(span, key, i)
            if value is None and span[-1].text[-2:-1] in ("'", "’") and key.endswith("s"):
                value = lookup(span, key[:-1], i)  # the possessive: "KyoAni's works"
            if value is None:
                continue
            found.append((i, span, value))
            if claim:
                reading.claim(span[0].start, span[-1].end)
                for k in range(i, i + size):
                    free[k] = False
    found.sort(key=lambda item: item[0])
    return found


def previous_keys(reading: Reading, index: int, count: int = 3) -> list[str]:
    """The keys of up to ``count`` tokens before token ``index`` (nearest last)."""
    return [t.key for t in reading.tokens[max(0, index - count) : index]]


def sentence_start(reading: Reading, index: int) -> bool:
    if index == 0:
        return True
    before = reading.text[reading.tokens[index - 1].end : reading.tokens[index].start]
    return any(mark in before for mark in ".!?")
