"""Genres, tags and studios in a question, and what it wants left out.

"no harem", "not too violent" and "without fan service" exclude a tag; "action or adventure" asks for at least
one of them; every other tag is required. Single-word studio names that are also plain words ("Bones",
"Trigger", "Seven") count only capitalised or after "by"/"studio".
"""

from __future__ import annotations

import itertools
import re

from anime_mcp.core.planning import lexicon
from anime_mcp.core.planning.reading import Reading, add
from anime_mcp.core.planning.scan import previous_keys, scan, sentence_start
from anime_mcp.core.planning.text import Token
from anime_mcp.core.planning.titles import NEGATIONS
from anime_mcp.core.planning.vocabulary import PlannerVocabulary

_NEGATION_WINDOW = 3
_STUDIO_CUES = frozenset({"by", "studio", "from", "studios"})
# Nicknames distinctive enough to count written in lower case.
_PLAIN_STUDIOS = frozenset(
    {
        "kyoani",
        "kyo ani",
        "ghibli",
        "mappa",
        "studio mappa",
        "ufotable",
        "madhouse",
        "toei",
        "pierrot",
        "gainax",
        "cloverworks",
        "jc staff",
        "jcstaff",
        "pa works",
        "a1 pictures",
        "production ig",
        "prod ig",
        "science saru",
        "david production",
        "doga kobo",
        "kinema citrus",
        "comix wave",
        "brains base",
        "silver link",
        "white fox",
        "studio trigger",
        "khara",
        "lerche",
    }
)
EXCLUDED = re.compile(
    r"\b(?:no|not|without|except|excluding|exclude|avoid|minus|nothing|but not|none of)\s+"
    r"(?:too\s+|about\s+|any\s+|much\s+|including\s+|with\s+|involving\s+|featuring\s+|a\s+|an\s+|the\s+)*"
    r"([^\W\d_][\w'’-]{2,})"
)


def tag_for(key: str, vocabulary: PlannerVocabulary) -> str | None:
    if key in lexicon.TAG_SYNONYMS:
        return lexicon.TAG_SYNONYMS[key]
    found = vocabulary.tag(key)
    if found is not None and found not in lexicon.TAG_BLOCKLIST:
        return found
    if key.endswith("s") and len(key) > 4:
        return tag_for(key[:-1], vocabulary) if not key.endswith("ss") else None
    return None


def _negated(reading: Reading, index: int) -> bool:
    before = previous_keys(reading, index, _NEGATION_WINDOW)
    if not before:
        return False
    # "no harem", "not too violent", "without any ecchi"; "not only romance" stays a wish
    return bool(set(before) & NEGATIONS) and "only" not in before and before[-1] not in ("and", "or")


def read_tags(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    draft = reading.draft

    def lookup(span: list[Token], key: str, index: int) -> str | None:
        return tag_for(key, vocabulary)

    found = scan(reading, lookup)
    either: set[int] = set()
    for (i, span, _), (j, _, _) in itertools.pairwise(found):
        between = [t.key for t in reading.tokens[i + len(span) : j]]
        if between in (["or"], ["and", "or"], ["or", "maybe"]):
            either.update((i, j))
    for i, _, tag in found:
        if _negated(reading, i):
            add(draft.exclude_tags, tag)
        elif i in either:
            add(draft.any_tags, tag)
        else:
            add(draft.include_tags, tag)


def read_exclusions(reading: Reading) -> None:
    """ "not about volleyball": a wish to leave out something the catalogue may have no tag for."""
    for match in reading.matches(EXCLUDED):
        word = match.group(1)
        start = match.start(1)
        if not reading.free(start, start + len(word)):
            continue
        key = word.lower().replace("'", "").replace("’", "")
        if key in lexicon.COMMON_WORDS or key in ("sure", "really", "sure"):
            continue
        reading.claim(start, start + len(word))
        add(reading.draft.exclude_tags, key)


def read_studios(reading: Reading, vocabulary: PlannerVocabulary) -> None:
    def lookup(span: list[Token], key: str, index: int) -> str | None:
        named = lexicon.STUDIO_NICKNAMES.get(key) or vocabulary.studio(key)
        if named is None:
            return None
        if len(span) > 1:
            return named
        if key in _PLAIN_STUDIOS:
            return named
        token = span[-1]
        cue = bool(set(previous_keys(reading, index, 1)) & _STUDIO_CUES)
        capitalised = token.text[:1].isupper() and not sentence_start(reading, index)
        if key in lexicon.COMMON_WORDS or key in lexicon.NUMBER_WORDS:
            return named if cue and token.text[:1].isupper() else None
        return named if cue or capitalised or (token.text.isupper() and len(token.text) > 2) else None

    for _, _, studio in scan(reading, lookup):
        add(reading.draft.studios, studio)
