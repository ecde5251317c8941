"""The story lexical encoder (adapters/story_lexical.py) and its Porter stemmer: words, stems, stop words,
BM25 weights, compounds, determinism and hostile text."""

from __future__ import annotations

import math
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from anime_mcp.adapters.english_stem import stem
from anime_mcp.adapters.story_lexical import STOP_WORDS, StoryBm25Encoder, StoryBm25Params
from anime_mcp.core.documents import LexicalField, compose_content, strip_credit

# Porter's own examples (Porter 1980, and the reference implementation's vocabulary)
PORTER = {
    "caresses": "caress",
    "ponies": "poni",
    "cats": "cat",
    "agreed": "agre",
    "plastered": "plaster",
    "motoring": "motor",
    "sing": "sing",
    "conflated": "conflat",
    "hopping": "hop",
    "falling": "fall",
    "filing": "file",
    "happy": "happi",
    "relational": "relat",
    "digitizer": "digit",
    "vietnamization": "vietnam",
    "hopefulness": "hope",
    "formaliti": "formal",
    "triplicate": "triplic",
    "electrical": "electr",
    "revival": "reviv",
    "adjustment": "adjust",
    "adoption": "adopt",
    "controll": "control",
    "generalizations": "gener",
}


def test_the_stemmer_follows_porter() -> None:
    assert {word: stem(word) for word in PORTER} == PORTER


def test_inflections_of_a_story_word_meet() -> None:
    assert stem("kills") == stem("killed") == stem("killing") == stem("kill") == "kill"
    assert stem("orphans") == stem("orphaned") == "orphan"
    assert stem("détective") == "détective"  # not plain ASCII: left as it is
    assert stem("ok") == "ok" and stem("1999") == "1999"


def encoder(texts: list[str]) -> StoryBm25Encoder:
    made = StoryBm25Encoder()
    made.fit([LexicalField(t, 1.0)] for t in texts)
    return made


def weights(made: StoryBm25Encoder, text: str) -> dict[int, float]:
    vector = made.encode_document([LexicalField(text, 1.0)])
    return dict(zip(vector.indices, vector.values, strict=True))


def test_stop_words_and_case_are_dropped_and_stems_kept() -> None:
    made = StoryBm25Encoder()
    assert made.terms("The student KILLS anyone whose name is written in it.") == [
        "student",
        "kill",
        "anyon",
        "name",
        "written",
    ]
    assert made.terms("Light's notebook") == ["light", "notebook"]  # the possessive s is a stop word
    assert {"a", "the", "whose", "is", "it"} <= STOP_WORDS
    assert made.terms("Ōkami and the café") == ["okami", "cafe"]  # accents dropped where ASCII remains


def test_a_query_matches_the_inflected_story() -> None:
    made = encoder(["He killed a man.", "A girl sings."])
    query = made.encode_query("someone kills")
    document = weights(made, "He killed a man.")
    assert set(query.indices) & set(document)


def test_bm25_saturates_and_normalises_length() -> None:
    made = encoder(["a dragon " * 2 + "word " * 8, "dragon"])  # avgdl 5.5
    (index,) = made.encode_query("dragon").indices
    once, twice, ten = (weights(made, "dragon " * n + "filler " * 3)[index] for n in (1, 2, 10))
    assert once < twice < ten < made.params.k1 + 1  # more is more, never more than k1 + 1
    assert (ten - twice) / 8 < twice - once  # each more occurrence adds less
    short, long = weights(made, "dragon"), weights(made, "dragon " + "filler " * 40)
    assert short[index] > long[index]  # the same count in a longer text weighs less (b > 0)


def test_a_closed_compound_also_asks_for_its_parts() -> None:
    made = StoryBm25Encoder()
    vector = made.encode_query("a notebook")
    query = dict(zip(vector.indices, vector.values, strict=True))
    note, book, notebook = (made.encode_query(w).indices[0] for w in ("note", "book", "notebook"))
    assert query[notebook] == 1.0 and query[note] == query[book] == made.params.compound_weight
    plain = StoryBm25Encoder(StoryBm25Params(compound_weight=0.0))
    assert len(plain.encode_query("a notebook")) == 1
    assert len(made.encode_query("a student")) == 1  # too short to split into two words of four letters


def test_the_version_names_what_documents_depend_on() -> None:
    assert StoryBm25Encoder().version == "story-bm25-porter-v1(k1=1.2,b=0.1)"
    assert StoryBm25Encoder(StoryBm25Params(compound_weight=0.3)).version == StoryBm25Encoder().version


def test_vectors_are_the_same_in_another_process() -> None:
    text = "A young swordsman seeks revenge for his murdered family in feudal Japan."
    here = StoryBm25Encoder(avgdl=12.0).encode_document([LexicalField(text, 1.0)])
    code = (
        "from anime_mcp.adapters.story_lexical import StoryBm25Encoder;"
        "from anime_mcp.core.documents import LexicalField;"
        f"v = StoryBm25Encoder(avgdl=12.0).encode_document([LexicalField({text!r}, 1.0)]);"
        "print(list(v.indices), list(v.values))"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert there.strip() == f"{list(here.indices)} {list(here.values)}"


def test_credits_closing_a_synopsis_are_left_out() -> None:
    assert strip_credit("A boy.\n\n[Written by MAL Rewrite]") == "A boy."
    assert strip_credit("A boy. (Source: ANN)") == "A boy."
    assert strip_credit("A boy (source: a dream) grows up.") == "A boy (source: a dream) grows up."
    assert (
        compose_content("Two pilots. (Source: AniDB)", ["Mecha"]) == "Two pilots. Genres and themes: Mecha."
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400), st.floats(min_value=0.01, max_value=1e6, allow_nan=False))
def test_any_text_encodes_to_a_valid_vector(text: str, avgdl: float) -> None:
    made = StoryBm25Encoder(avgdl=avgdl)
    for vector in (made.encode_document([LexicalField(text, 1.0)]), made.encode_query(text)):
        assert list(vector.indices) == sorted(set(vector.indices))
        assert all(0 <= i < 2**32 for i in vector.indices)
        assert all(math.isfinite(v) and v > 0 for v in vector.values)
    assert made.encode_query(text) == made.encode_query(text)  # deterministic, cache or not
