"""Text as the planner reads it: cleaned, bounded, lower-cased without moving offsets, and split into tokens.

Titles, tags and studios are compared by *keys*: each token NFKC-folded, case-folded, apostrophes dropped
and the multiplication sign read as ``x``, so "SPY\u00d7FAMILY", "Spy x Family" and "spy X family" share the
key ``spy x family``. The catalogue side (the vocabulary adapter) builds its keys with the same functions.
"""

from __future__ import annotations

import re
import unicodedata

from attrs import frozen

# A question is a few hundred characters at most; reading only the first MAX_CHARS keeps any input (100 kB
# of noise included) within a fixed time.
MAX_CHARS = 2000

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|×")
_APOSTROPHES = str.maketrans("", "", "'’")


@frozen
class Token:
    text: str  # as written
    key: str  # folded (see token_key)
    start: int
    end: int

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper() or any(ch.isdigit() for ch in self.text)


def clean(text: object) -> str:
    """``text`` cut to MAX_CHARS, lone surrogates and control characters turned into spaces."""
    if not isinstance(text, str):
        return ""
    cut = text[:MAX_CHARS]
    return "".join(ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else " " for ch in cut)


def lower(text: str) -> str:
    """Lower case, one character for one (so offsets found in it are offsets in ``text``)."""
    return "".join(low if len(low := ch.lower()) == 1 else ch for ch in text)


def token_key(raw: str) -> str:
    if raw == "×":
        return "x"
    folded = unicodedata.normalize("NFKC", raw).casefold().translate(_APOSTROPHES)
    return folded if folded.isalnum() else "".join(ch for ch in folded if ch.isalnum())


def tokenize(text: str) -> tuple[Token, ...]:
    found = []
    for match in _TOKEN.finditer(text):
        key = token_key(match.group())
        if key:
            found.append(Token(match.group(), key, match.start(), match.end()))
    return tuple(found)


_ASCII_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")


def phrase_key(text: str) -> str:
    """The key of a whole phrase: its token keys joined by single spaces (as ``tokenize`` would give them)."""
    if text.isascii():  # the fast path for most of the catalogue's 170k names, same result
        return " ".join(_ASCII_TOKEN.findall(text.lower())).replace("'", "")
    keys = (token_key(raw) for raw in _TOKEN.findall(text))
    return " ".join(key for key in keys if key)


def squashed(key: str) -> str:
    """A key without its spaces, so "sci fi", "scifi" and "j c staff", "jc staff" meet."""
    return key.replace(" ", "")
