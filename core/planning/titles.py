"""Which catalogue titles a question names: ids and URLs, quoted titles, and titles spotted in free text.

The vocabulary finds every run of words that is some title or synonym; this module keeps the sensible ones.
Longer runs win; a run of two or more words needs a word that is not one of the planner's own (or capitals);
a single word needs capitals (not only the sentence's first word), a strong cue before it ("like", "vs"), or
quotes. A year right after a title picks the entry of that year ("Fullmetal Alchemist 2003").
"""

from __future__ import annotations

import itertools
import re

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.planning.lexicon import COMMON_WORDS
from anime_mcp.core.planning.model import PlanTitle
from anime_mcp.core.planning.reading import Reading
from anime_mcp.core.planning.scan import joined, previous_keys, sentence_start
from anime_mcp.core.planning.text import Token, tokenize
from anime_mcp.core.planning.vocabulary import PlannerVocabulary, TitleCandidate, TitleHit
from anime_mcp.core.planning.words import planner_phrase, planner_words_only
from anime_mcp.core.platforms import Platforms
from anime_mcp.core.references import IdReference, parse_reference

REFERENCE = re.compile(
    r"https?://[^\s<>\"'`]+|\b(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/[^\s<>\"'`]+|"
    r"(?<![\w/])[a-z][a-z0-9.-]{1,31}:[^\s,;?!)\]<>\"'`]+|\b[a-z][a-z0-9]{1,31}-\d+\b",
    re.IGNORECASE,
)
QUOTED = re.compile(r"\"([^\"]{1,200})\"|“([^”]{1,200})”|「([^」]{1,200})」|(?<![\w])'([^']{2,200})'(?![\w])")
NEGATIONS = frozenset(
    {"no", "not", "without", "except", "excluding", "exclude", "minus", "avoid", "but", "non"}
)
_STRONG_CUES = frozenset({"like", "watch", "watched", "vs", "versus", "than", "compare", "and", "or"})


def read_references(reading: Reading, vocabulary: PlannerVocabulary, platforms: Platforms) -> None:
    for match in REFERENCE.finditer(reading.text):
        raw = match.group().rstrip(".,!?;:)")
        try:
            reference = parse_reference(raw, platforms)
        except (NotAnAnimeReference, ValueError):
            continue
        if not isinstance(reference, IdReference):
            continue
        reading.claim(match.start(), match.start() + len(raw))
        reading.draft.references += 1
        found = vocabulary.title_for(reference.platform_id)
        anime_id = found.anime_id if found else None
        reading.draft.titles.append(PlanTitle(raw, anime_id, found.title if found else None))


def read_quoted(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    for match in QUOTED.finditer(reading.text):
        group = next(i for i in range(1, 5) if match.group(i) is not None)
        start, end = match.start(group), match.end(group)
        if not reading.free(start, end) or not tokenize(match.group(group)):
            continue
        inner = match.group(group).strip()
        whole = [h for h in vocabulary.spot_titles(inner) if h.start == 0 and h.end == len(inner)]
        reading.claim(match.start(), match.end())
        best = whole[0].candidates[0] if whole else None
        _add(reading, inner, best, negated=False)


def _add(reading: Reading, text: str, best: TitleCandidate | None, *, negated: bool) -> None:
    draft = reading.draft
    if negated:
        name = best.title if best else text
        if name not in draft.exclude_titles:
            draft.exclude_titles.append(name)
        return
    if best is not None and any(t.anime_id == best.anime_id for t in draft.titles):
        return
    draft.titles.append(PlanTitle(text, best.anime_id if best else None, best.title if best else None))


def _sensible(reading: Reading, span: list[Token], index: int, vocabulary: PlannerVocabulary) -> bool:
    keys = [t.key for t in span]
    if len(span) > 1:
        lowercase = all(not t.text[:1].isupper() for t in span)
        if lowercase and planner_phrase(" ".join(keys), vocabulary):
            return False
        content = [k for k in keys if k not in _SMALL and k not in COMMON_WORDS]
        if lowercase and keys[0] in _ARTICLES and len(content) <= 1:
            return False  # "a boy who ...", "the girl": words of a story, not the titles "A Boy", "The Girl"
        if planner_words_only(keys, vocabulary):
            # "Summer Wars", "Your Lie in April": only capitalised, unlike "what time" or "this season"
            words = [(i, t) for i, t in enumerate(span, start=index) if t.key not in _SMALL]
            capitals = [t.text[:1].isupper() for _, t in words]
            return (
                all(capitals)
                and not all(sentence_start(reading, i) for i, _ in words)
                and not all(t.key in _FRAME for _, t in words)
            )
        return True
    token = span[0]
    if not token.key.isascii() and not token.key.isdigit():
        return True  # a title in its own script
    if len(token.key) < 3 or token.key.isdigit() or planner_phrase(token.key, vocabulary):
        return False
    if token.text[:1].isupper():
        if not sentence_start(reading, index):
            return True
        return len(reading.tokens) == 1  # the whole question is the title
    before = previous_keys(reading, index, 2)
    return bool(before) and (before[-1] in _STRONG_CUES or before[-2:] == ["similar", "to"])


_ARTICLES = frozenset({"a", "an", "the"})
_SMALL = frozenset({"a", "an", "the", "of", "in", "on", "to", "and", "no", "wa", "ga", "wo", "ni", "de", "x"})
# Words of the question's frame; a title made only of them ("Top", "List", "This Season") needs quotes.
_FRAME = frozenset({"top", "list", "this", "season", "anime", "best", "new", "show", "me", "what", "the"})


def _choose(candidates: tuple[TitleCandidate, ...], year: int | None) -> TitleCandidate:
    if year is not None:
        for candidate in candidates:
            if candidate.year == year:
                return candidate
    return candidates[0]


_YEAR_AFTER = re.compile(r"\s*\(?\s*((?:19|20)\d{2})\s*\)?(?![\w])")


def read_titles(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    tokens = reading.tokens
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    options: list[tuple[tuple[int, int, int], int, int, TitleHit]] = []
    for hit in vocabulary.spot_titles(reading.text):
        first, last = starts.get(hit.start), ends.get(hit.end)
        if first is None or last is None or last < first or not reading.free(hit.start, hit.end):
            continue
        span = list(tokens[first : last + 1])
        if not joined_loosely(reading, span) or not _sensible(reading, span, first, vocabulary):
            continue
        capitals = sum(t.text[:1].isupper() for t in span)
        options.append(((-len(span), -capitals, first), first, last, hit))
    options.sort(key=lambda option: option[0])
    chosen: list[tuple[int, int, TitleHit, int | None]] = []
    for _, first, last, hit in options:  # longest runs first
        if not reading.free(hit.start, hit.end):
            continue
        end, year = hit.end, None
        after = _YEAR_AFTER.match(reading.text, hit.end)
        if after and any(c.year == int(after.group(1)) for c in hit.candidates):
            year = int(after.group(1))
            end = after.end()
            reading.draft.title_years.add(year)
        reading.claim(hit.start, end)
        chosen.append((first, last, hit, year))
    for first, last, hit, year in sorted(chosen, key=lambda item: item[0]):  # then in the order written
        negated = bool(set(previous_keys(reading, first, 2)) & NEGATIONS)
        best = _choose(hit.candidates, year)
        if first == last and reading.draft.titles:
            best = _continued(reading, hit, vocabulary) or best
        _add(reading, reading.text[hit.start : hit.end], best, negated=negated)
    read_sibling_titles(reading, vocabulary)


_CONJUNCTIONS = frozenset({"and", "with", "vs", "versus", "or", "to"})


def read_sibling_titles(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    """ "compare Fullmetal Alchemist 2003 with Brotherhood": a capitalised word after a conjunction that,
    put after an earlier title, is another title."""
    for index, token in enumerate(reading.tokens):
        if not reading.draft.titles or reading.claimed(token) or not token.text[:1].isupper():
            continue
        if index == 0 or reading.tokens[index - 1].key not in _CONJUNCTIONS or sentence_start(reading, index):
            continue
        for title in reversed(reading.draft.titles):
            combined = f"{title.text} {token.text}"
            whole = [h for h in vocabulary.spot_titles(combined) if h.start == 0 and h.end == len(combined)]
            if whole:
                reading.claim(token.start, token.end)
                _add(reading, token.text, whole[0].candidates[0], negated=False)
                break


def _continued(reading: Reading, hit: TitleHit, vocabulary: PlannerVocabulary) -> TitleCandidate | None:
    """ "Fullmetal Alchemist and Brotherhood": one word after a title may name that title's sibling."""
    previous = reading.draft.titles[-1].text
    combined = f"{previous} {reading.text[hit.start : hit.end]}"
    whole = [h for h in vocabulary.spot_titles(combined) if h.start == 0 and h.end == len(combined)]
    return whole[0].candidates[0] if whole else None


def joined_loosely(reading: Reading, span: list[Token]) -> bool:
    """Titles keep their punctuation ("Steins;Gate", "Re:Zero"), but not a sentence break inside."""
    if len(span) == 1:
        return True
    if joined(reading, span):
        return True
    return not any(
        mark in reading.text[a.end : b.start] for a, b in itertools.pairwise(span) for mark in ",?!()"
    )
