"""Numbers in a question: episode counts ("less than 24 episodes" is at most 23), a minimum score, and how
many answers are wanted ("top 5", "3 cozy anime")."""

from __future__ import annotations

import re

from anime_mcp.core.planning.lexicon import NUMBER_WORDS
from anime_mcp.core.planning.reading import Reading

_WORDS = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
_N = r"(\d{1,4}|" + _WORDS + r")"
_EPS = r"\s*(?:-\s*)?(?:eps?|episodes?)\b"
LIMIT_MAX = 100

EPISODES_BELOW = re.compile(r"\b(less than|fewer than|under|below|shorter than|<)\s*" + _N + _EPS)
EPISODES_AT_MOST = re.compile(
    r"\b(at most|no more than|not more than|up to|max(?:imum)?(?: of)?|<=)\s*"
    + _N
    + _EPS
    + r"|\b"
    + _N
    + r"\s*(?:or (?:fewer|less)|max)"
    + _EPS
    + r"|\b"
    + _N
    + _EPS
    + r"\s*(?:or (?:fewer|less)|max(?:imum)?|at most|tops)\b"
)
EPISODES_ABOVE = re.compile(r"\b(more than|over|above|longer than|>)\s*" + _N + _EPS)
EPISODES_AT_LEAST = re.compile(
    r"\b(at least|minimum(?: of)?|min|no less than|no fewer than|>=)\s*"
    + _N
    + _EPS
    + r"|\b"
    + _N
    + r"\s*(?:\+|or more|plus)"
    + _EPS
    + r"|\b"
    + _N
    + r"\+?"
    + _EPS
    + r"\s*(?:or more|minimum|at least|plus)\b"
)
EPISODES_BETWEEN = re.compile(r"\b(?:between\s+)?" + _N + r"\s*(?:and|to|-|–)\s*" + _N + _EPS)
EPISODES_EXACT = re.compile(r"\b" + _N + r"[\s-]*(?:eps?|episodes?)(?:\s+long)?\b(?!\s*(?:of|in|into))")
SHORT = re.compile(r"\b(short|quick|brief|bite[- ]sized)\b")
LONG = re.compile(r"\b(long|long[- ]running|lengthy)\b(?!\s*(?:ago|time))")

_SCORE_WORD = r"(?:score[sd]?|rating|ratings|rated|mal score)"
_MORE = r"(?:at least|above|over|higher than|more than|greater than|better than|>=?|of)?"
SCORE = re.compile(
    r"\b" + _SCORE_WORD + r"\s*" + _MORE + r"\s*(\d{1,3}(?:\.\d+)?)\s*(?:\+|/\s*10\b|/\s*100\b|out of 10)?"
    r"|\b" + _MORE + r"\s*(\d{1,3}(?:\.\d+)?)\s*(?:\+|/\s*10\b|/\s*100\b|or (?:higher|more|above|better))?\s*"
    r"(?:score|rating|stars)\b"
    r"|\b(?:above|over|at least)\s+(\d(?:\.\d+)?)\s*/\s*10\b"
)

LIMIT_TOP = re.compile(
    r"\b(?:top|best|first)\s+" + _N + r"\b(?!\s*(?:episodes?|eps?|years?|seasons?|s\b|st\b|nd\b|rd\b|th\b))"
)
LIMIT_ASK = re.compile(
    r"\b(?:give me|show me|list|recommend(?: me)?|suggest(?: me)?|name|find(?: me)?|i want|i need|need|want|"
    r"get me|pick)\s+" + _N + r"\b(?!\s*(?:episodes?|eps?|years?|seasons?|s\b|st\b|nd\b|rd\b|th\b))"
)
LIMIT_NOUN = re.compile(
    r"(?:^|(?<=[\s,;:(]))"
    + _N
    + r"\s+(?!of\b)(?:(?!episodes?\b|eps?\b|years?\b|seasons?\b|days?\b)[\w'’-]+\s+){0,4}?"
    r"(?:anime|animes|shows?|series|movies|films|titles|recommendations|recs|picks|suggestions|ones|options|"
    r"comedies|romances|dramas)\b"
)


def number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word, 0)


def _first(match: re.Match[str]) -> int:
    return number(next(g for g in match.groups() if g is not None and (g.isdigit() or g in NUMBER_WORDS)))


def read_counts(reading: Reading) -> None:
    draft = reading.draft
    for match in reading.take(EPISODES_BETWEEN):
        low, high = sorted(number(g) for g in match.groups() if g is not None)
        draft.episodes_min, draft.episodes_max = low, high
    for match in reading.take(EPISODES_BELOW):
        draft.episodes_max = max(0, number(match.group(2)) - 1)
    for match in reading.take(EPISODES_AT_MOST):
        draft.episodes_max = _first(match)
    for match in reading.take(EPISODES_ABOVE):
        draft.episodes_min = number(match.group(2)) + 1
    for match in reading.take(EPISODES_AT_LEAST):
        draft.episodes_min = _first(match)
    for match in reading.take(EPISODES_EXACT):
        count = _first(match)
        if count > 0 and draft.episodes_min is None and draft.episodes_max is None:
            draft.episodes_min = draft.episodes_max = count
    unset = draft.episodes_max is None and draft.episodes_min is None
    if next(reading.take(SHORT), None) is not None:
        draft.short = unset
    elif next(reading.take(LONG), None) is not None and unset:
        draft.episodes_min = 50
    for match in reading.take(SCORE):
        raw = next((g for g in match.groups() if g is not None), None)
        if raw is None:
            continue
        value = float(raw)
        if "/100" in match.group().replace(" ", "") or 10 < value <= 100:
            value /= 10
        if 0 < value <= 10:
            draft.score_min = value
    for pattern in (LIMIT_TOP, LIMIT_ASK, LIMIT_NOUN):
        for match in reading.matches(pattern):
            word = match.group(1)
            count = number(word)
            if 0 < count <= LIMIT_MAX and draft.limit is None:
                draft.limit = count
                start = match.start(1)
                reading.claim(start, start + len(word))
