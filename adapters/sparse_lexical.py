"""The sparse lexical vector: BM25-style term weights over titles, synonyms, tags and studios, no model.

Tokenisation is Unicode-aware:

- text is NFKC-normalised and case-folded (full-width Latin, ligatures and compatibility forms fold);
- words of spaced scripts (Latin, Cyrillic, Greek, Arabic, Hebrew, ...) are ``\\w+`` runs; Latin words
  also lose their accents (``Ōkami`` -> ``okami``, ``Ölüm`` -> ``olum``), so romaji typed without macrons
  matches;
- scripts written without spaces (Japanese kana and kanji, Chinese, Korean hangul, Thai) become
  overlapping character bigrams (a lone character stays a unigram), the usual way to index them without a
  dictionary;
- Latin words also yield character trigrams (with word-boundary marks) at a low weight, so a typo such as
  ``dess note`` still shares most features with ``death note``;
- a whole title (and a whole query) also becomes one "phrase" feature, so an exact title wins outright.

Document weights are BM25's saturated term frequency with length normalisation; the inverse document
frequency is left to the index (Qdrant's IDF modifier), which keeps it right as the collection changes.
Features are hashed to u32 indices with CRC-32 (stable across processes and versions).
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence

from attrs import frozen

from anime_mcp.core.documents import LexicalField
from anime_mcp.core.vectors import SparseVector

ENCODER_VERSION = "bm25-unicode-v1"


def _mark_class() -> str:
    """A regex class of every combining mark in the BMP (``\\w`` alone splits Thai or Hindi words)."""
    ranges: list[tuple[int, int]] = []
    blocks = (range(0x300, 0x3100), range(0xA600, 0xAC00), range(0xFB00, 0xFE30))  # where BMP marks live
    for code in (c for block in blocks for c in block):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges
    )


_WORD = re.compile(rf"[\w{_mark_class()}]+")
# Scripts written without spaces between words (each range is one script family).
_UNSPACED = re.compile(
    "["
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\ud7b0-\ud7ff"  # Hangul
    "\u3040-\u309f\u30a0-\u30ff\u31f0-\u31ff\uff66-\uff9f"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"  # Han
    "\u3005\u3006\u3007"  # 々 〆 〇
    "]+"
)
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold_latin(word: str) -> str:
    """Drop accents when that leaves plain ASCII letters (Latin); other scripts keep their marks."""
    if word.isascii():
        return word
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", word))
    stripped = stripped.replace("ß", "ss").replace("æ", "ae").replace("œ", "oe").replace("ø", "o")
    return stripped if stripped.isascii() else word


def normalise_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@frozen
class Token:
    kind: str  # "w" word, "c" character bigram/unigram (unspaced scripts), "g" trigram, "p" phrase
    text: str


def _split_run(run: str) -> Iterator[tuple[bool, str]]:
    """Split a ``\\w+`` run where it changes between spaced and unspaced scripts: (unspaced?, piece)."""
    position = 0
    for found in _UNSPACED.finditer(run):
        if found.start() > position:
            yield False, run[position : found.start()]
        yield True, found.group()
        position = found.end()
    if position < len(run):
        yield False, run[position:]


def words(text: str) -> list[str]:
    """The word-level tokens of a text (spaced-script words and unspaced-script bigrams), in order."""
    return [t.text for t in tokenize(text, trigrams=False, phrase=False)]


def tokenize(text: str, *, trigrams: bool = True, phrase: bool = True) -> list[Token]:
    normal = normalise_text(text)
    tokens: list[Token] = []
    plain_words: list[str] = []
    for match in _WORD.finditer(normal):
        for unspaced, piece in _split_run(match.group().replace("_", " ").strip()):
            if not piece.strip():
                continue
            if unspaced:
                chars = piece
                grams = [chars] if len(chars) == 1 else [chars[i : i + 2] for i in range(len(chars) - 1)]
                tokens += [Token("c", g) for g in grams]
                plain_words.append(piece)
                continue
            for word in piece.split():
                folded = _fold_latin(word)
                tokens.append(Token("w", folded))
                plain_words.append(folded)
                if (
                    folded.isascii()
                    and len(folded) >= 4
                    and folded.endswith("s")
                    and not folded.endswith("ss")
                ):
                    tokens.append(
                        Token("w", folded[:-1])
                    )  # plural -> singular: "hunters" finds "bounty hunter"
                if trigrams and folded.isascii() and folded.isalpha() and len(folded) >= 3:
                    marked = f"^{folded}$"
                    tokens += [Token("g", marked[i : i + 3]) for i in range(len(marked) - 2)]
    if phrase and plain_words:
        tokens.append(Token("p", " ".join(plain_words)))
    return tokens


def feature_index(token: Token) -> int:
    return zlib.crc32(f"{token.kind}\x1f{token.text}".encode())


@frozen
class Bm25Params:
    k1: float = 1.2
    b: float = 0.5
    trigram_weight: float = 0.15
    phrase_weight: float = 2.0
    unspaced_weight: float = 1.0


class Bm25SparseEncoder:
    """Builds document and query sparse vectors.

    Each field (the title, one synonym, one tag, one studio) is scored on its own, BM25-style, with its
    length normalised against the average field length (``avgdl``, fitted on the corpus); a feature's
    document weight is its best field score times that field's weight. Taking the best field rather than the
    sum means an anime with forty alternative titles is neither buried (length normalisation over one long
    text) nor pushed up (repetition) compared with one that has a single title.
    """

    def __init__(self, params: Bm25Params | None = None, *, avgdl: float = 3.0) -> None:
        self.params = params or Bm25Params()
        self.avgdl = avgdl
        p = self.params
        self.version = (
            f"{ENCODER_VERSION}(k1={p.k1},b={p.b},tri={p.trigram_weight},"
            f"phrase={p.phrase_weight},cjk={p.unspaced_weight})"
        )

    def _kind_weight(self, kind: str) -> float:
        return {
            "w": 1.0,
            "c": self.params.unspaced_weight,
            "g": self.params.trigram_weight,
            "p": self.params.phrase_weight,
        }[kind]

    @staticmethod
    def field_length(tokens: Sequence[Token]) -> int:
        return sum(1 for t in tokens if t.kind in ("w", "c"))

    def fit(self, documents: Iterable[Sequence[LexicalField]]) -> float:
        """Set ``avgdl`` (average field length in words) from a corpus: one pass, no vectors built."""
        total, count = 0, 0
        for fields in documents:
            for field in fields:
                total += self.field_length(tokenize(field.text, trigrams=False, phrase=False))
                count += 1
        self.avgdl = total / count if count and total else 1.0
        return self.avgdl

    def encode_document(self, fields: Sequence[LexicalField]) -> SparseVector:
        k1, b = self.params.k1, self.params.b
        best: dict[int, float] = {}
        for field in fields:
            tokens = tokenize(field.text)
            norm = k1 * (1.0 - b + b * self.field_length(tokens) / self.avgdl)
            counts: Counter[int] = Counter()
            kinds: dict[int, str] = {}
            for token in tokens:
                index = feature_index(token)
                counts[index] += 1
                kinds[index] = token.kind
            for index, tf in counts.items():
                score = field.weight * self._kind_weight(kinds[index]) * tf * (k1 + 1.0) / (tf + norm)
                if score > best.get(index, 0.0):
                    best[index] = score
        items = sorted(best.items())
        return SparseVector([i for i, _ in items], [round(v, 6) for _, v in items])

    def encode_query(self, text: str) -> SparseVector:
        terms: dict[int, float] = {}
        for token in tokenize(text):
            index = feature_index(token)
            terms[index] = terms.get(index, 0.0) + self._kind_weight(token.kind)
        items = sorted(terms.items())
        return SparseVector([i for i, _ in items], [round(v, 6) for _, v in items])
