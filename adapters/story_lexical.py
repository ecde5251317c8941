"""The story lexical vector: BM25 over the words of an entry's content text (synopsis, genres and themes).

Where the title encoder (``sparse_lexical``) is built for names (character trigrams for typos, phrases for
exact titles, every script), this one is built for plots told in a sentence:

- words only (NFKC, case-folded, Latin accents dropped; ``light's`` is ``light``), no trigrams or phrases;
- English stop words dropped (``a``, ``whose``, ``is`` ... match everything and mean nothing);
- Porter stems (``adapters.english_stem``), so "kills" meets "killed" and "orphans" "orphaned";
- BM25 term frequency saturation (k1) with length normalisation (b) against the average content length
  (``avgdl``, fitted on the corpus and stored with the index); the inverse document frequency is the index's
  (Qdrant's IDF modifier over the content lexical vector).

Stems are hashed to u32 indices with CRC-32 (stable across processes and versions) and cached per word, so
encoding the ~23k synopses of the full catalogue takes seconds.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence

from attrs import frozen

from anime_mcp.adapters.english_stem import stem
from anime_mcp.adapters.sparse_lexical import normalise_text
from anime_mcp.core.documents import LexicalField
from anime_mcp.core.vectors import SparseVector

ENCODER_VERSION = "story-bm25-porter-v1"

_WORD = re.compile(r"[^\W_]+")
_COMBINING = re.compile(r"[\u0300-\u036f]")
MAX_WORD = 40  # longer runs are not words (hashes, URLs, noise): dropped
MAX_CACHED = 500_000  # words whose stems are kept (the full catalogue's synopses have about 90k)
MIN_PART = 4  # the shortest part of a split compound ("note|book"; "boy|friend" is left whole)

# The usual English stop list (function words), plus the possessive "s" left by "light's".
_STOP_TEXT = """a about above after again against all am an and any are as at be because been before being
    below
    between both but by can could did do does doing down during each few for from further had has have having
    he her here hers herself him himself his how i if in into is it its itself just me more most my myself no
    nor not now of off on once only or other our ours ourselves out over own same she should so some such
    than that the their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom whose why will with would you your yours
    yourself yourselves s t d ll m re ve also into onto upon"""
STOP_WORDS = frozenset(_STOP_TEXT.split())


def _fold(word: str) -> str:
    if word.isascii():
        return word
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", word))
    return stripped if stripped.isascii() else word


class _Stems(dict[str, str]):
    """word -> its feature (stem), filled on first sight: most words of a corpus repeat. Emptied when it
    holds MAX_CACHED words, so a server fed endless new words keeps a bounded cache."""

    def __missing__(self, word: str) -> str:
        if len(self) >= MAX_CACHED:
            self.clear()
        folded = _fold(word)
        value = "" if folded in STOP_WORDS or len(folded) > MAX_WORD else stem(folded)
        self[word] = value
        return value


def _feature(term: str) -> int:
    return zlib.crc32(f"s\x1f{term}".encode())


@frozen
class StoryBm25Params:
    k1: float = 1.2
    # Long synopses (of well-known anime, mostly) are not padding: little length normalisation. On the
    # judged stories b=0.75 (the textbook value) gave recall@10 0.77, 0.3 0.80, 0.1 0.84.
    b: float = 0.1
    # A long query word also asks for the two words it may be made of ("notebook": "note", "book"), at this
    # weight: English writes many compounds closed, and a synopsis may use either. A query-side knob only.
    compound_weight: float = 1.0


class StoryBm25Encoder:
    """Builds content (story) document and query sparse vectors; implements ``SparseEncoder``.

    A document is one or more weighted fields (the content text is one field of weight 1); their terms are
    counted together, as one text."""

    def __init__(self, params: StoryBm25Params | None = None, *, avgdl: float = 100.0) -> None:
        self.params = params or StoryBm25Params()
        self.avgdl = avgdl
        p = self.params
        self.version = f"{ENCODER_VERSION}(k1={p.k1},b={p.b})"  # what documents depend on
        self._stems = _Stems()

    def terms(self, text: str) -> list[str]:
        """The stems of a text's content words, in order (stop words and noise left out)."""
        stems = self._stems
        return [t for w in _WORD.findall(normalise_text(text)) if (t := stems[w])]

    def fit(self, documents: Iterable[Sequence[LexicalField]]) -> float:
        """Set ``avgdl`` (average content length in terms) from a corpus."""
        total = count = 0
        for fields in documents:
            total += sum(len(self.terms(f.text)) for f in fields)
            count += 1
        self.avgdl = total / count if count and total else 1.0
        return self.avgdl

    def encode_document(self, fields: Sequence[LexicalField]) -> SparseVector:
        counts: Counter[str] = Counter()
        weights: dict[str, float] = {}
        for field in fields:
            for term in self.terms(field.text):
                counts[term] += 1
                weights[term] = max(weights.get(term, 0.0), field.weight)
        k1, b = self.params.k1, self.params.b
        norm = k1 * (1.0 - b + b * counts.total() / self.avgdl)
        scored: dict[int, float] = {}
        for term, tf in counts.items():
            index = _feature(term)
            score = weights[term] * tf * (k1 + 1.0) / (tf + norm)
            scored[index] = max(scored.get(index, 0.0), score)  # a CRC collision keeps the larger
        items = sorted(scored.items())
        return SparseVector([i for i, _ in items], [round(v, 6) for _, v in items])

    def _parts(self, text: str) -> set[str]:
        """The stems of every split of a long query word into two parts of MIN_PART letters or more."""
        parts: set[str] = set()
        for word in _WORD.findall(normalise_text(text)):
            folded = _fold(word)
            if not folded.isascii() or not folded.isalpha() or self._stems[word] == "":
                continue
            for cut in range(MIN_PART, len(folded) - MIN_PART + 1):
                parts.update(t for piece in (folded[:cut], folded[cut:]) if (t := self._stems[piece]))
        return parts

    def encode_query(self, text: str) -> SparseVector:
        """Each distinct query term once (weight 1; the parts of a compound ``compound_weight``): a
        description that repeats a word does not mean it more."""
        weights: dict[int, float] = {}
        if self.params.compound_weight:
            weights = {_feature(part): self.params.compound_weight for part in self._parts(text)}
        weights.update({_feature(t): 1.0 for t in self.terms(text)})
        items = sorted(weights.items())
        return SparseVector([i for i, _ in items], [v for _, v in items])
