"""The sparse lexical vector: Unicode tokenisation and BM25-style weights, scored here by dot product."""

from __future__ import annotations

import zlib

import pytest

from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder, Token, feature_index, tokenize, words
from anime_mcp.core.documents import LexicalField
from anime_mcp.core.vectors import SparseVector


def kinds(text: str, kind: str) -> list[str]:
    return [t.text for t in tokenize(text) if t.kind == kind]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Death Note", ["death", "note"]),
        ("Steins;Gate", ["steins", "stein", "gate"]),  # a plural s is also indexed without it
        ("ＤＥＡＴＨ　ＮＯＴＥ", ["death", "note"]),  # full-width forms fold (NFKC)
        (
            "Ōkami-san to Shichinin no Nakama-tachi",
            ["okami", "san", "to", "shichinin", "no", "nakama", "tachi"],
        ),
        ("Ölüm Defteri", ["olum", "defteri"]),
        ("Cuốn sổ tử thần", ["cuon", "so", "tu", "than"]),
        ("Тетрадь смерти", ["тетрадь", "смерти"]),  # Cyrillic: words, case-folded
        ("デスノート", ["デス", "スノ", "ノー", "ート"]),  # kana: character bigrams
        ("死亡笔记", ["死亡", "亡笔", "笔记"]),  # Han
        ("데스노트", ["데스", "스노", "노트"]),  # Hangul
        ("進撃の巨人 Attack", ["進撃", "撃の", "の巨", "巨人", "attack"]),  # mixed scripts
        ("猫", ["猫"]),  # a lone character stays a unigram
        ("डेथ नोट", ["डेथ", "नोट"]),  # Devanagari vowel signs stay inside the word
    ],
)
def test_words_of_every_script(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_thai_combining_marks_do_not_split_the_text() -> None:
    grams = words("สมุดโน้ต")
    assert grams[:3] == ["สม", "มุ", "ุด"]
    assert all(len(g) == 2 for g in grams)


def test_latin_words_also_give_boundary_trigrams_and_whole_fields_a_phrase() -> None:
    assert kinds("Dess", "g") == ["^de", "des", "ess", "ss$"]
    assert kinds("Death Note", "p") == ["death note"]
    assert kinds("デスノート", "p") == ["デスノート"]
    assert kinds("DN", "g") == []  # too short for trigrams
    assert kinds("", "p") == []


def test_feature_indices_are_stable_crc32() -> None:
    assert feature_index(Token("w", "death")) == zlib.crc32(b"w\x1fdeath")
    assert feature_index(Token("w", "note")) != feature_index(Token("p", "note"))


def dot(query: SparseVector, document: SparseVector) -> float:
    weights = dict(zip(document.indices, document.values, strict=True))
    return sum(v * weights.get(i, 0.0) for i, v in zip(query.indices, query.values, strict=True))


def doc(title: str, *synonyms: str, tags: tuple[str, ...] = ()) -> list[LexicalField]:
    return (
        [LexicalField(title, 3.0)]
        + [LexicalField(s, 1.0) for s in synonyms]
        + [LexicalField(t, 0.5) for t in tags]
    )


@pytest.fixture
def encoder() -> Bm25SparseEncoder:
    encoder = Bm25SparseEncoder()
    encoder.fit(
        [
            doc("Death Note", "DN", "デスノート"),
            doc("Cowboy Bebop", tags=("space",)),
            doc("Note of the Death Planet"),
            doc("Planetarian: Snow Globe", "スノーグローブ"),
        ]
    )
    return encoder


def test_vectors_are_sorted_unique_and_positive(encoder: Bm25SparseEncoder) -> None:
    vector = encoder.encode_document(doc("Death Note", "Death Note", "DEATH NOTE"))
    assert list(vector.indices) == sorted(set(vector.indices))
    assert all(v > 0 for v in vector.values)
    # words per field: death note, dn, 4 kana bigrams, cowboy bebop, space, 5 words, 3 words, 6 bigrams
    assert encoder.avgdl == pytest.approx((2 + 1 + 4 + 2 + 1 + 5 + 3 + 6) / 8)


def test_exact_title_beats_a_title_with_the_same_words(encoder: Bm25SparseEncoder) -> None:
    query = encoder.encode_query("death note")
    exact = dot(query, encoder.encode_document(doc("Death Note")))
    shuffled = dot(query, encoder.encode_document(doc("Note of the Death Planet")))
    assert exact > shuffled > 0


def test_whole_synonym_in_another_script_is_matched_by_its_phrase(encoder: Bm25SparseEncoder) -> None:
    query = encoder.encode_query("デスノート")
    death_note = dot(query, encoder.encode_document(doc("Death Note", "デスノート")))
    snow_globe = dot(query, encoder.encode_document(doc("Planetarian: Snow Globe", "スノーグローブ")))
    assert death_note > 2 * snow_globe > 0  # shares two bigrams, but not the whole title


def test_many_synonyms_neither_bury_nor_boost_an_entry(encoder: Bm25SparseEncoder) -> None:
    query = encoder.encode_query("death note")
    plain = dot(query, encoder.encode_document(doc("Death Note")))
    crowded = dot(
        query,
        encoder.encode_document(
            doc("Death Note", *[f"Death Note translation {i}" for i in range(40)], "Notatnik śmierci")
        ),
    )
    assert crowded == pytest.approx(plain)


def test_a_typo_still_shares_trigrams_with_the_title(encoder: Bm25SparseEncoder) -> None:
    query = encoder.encode_query("dess note")
    assert dot(query, encoder.encode_document(doc("Death Note"))) > dot(
        query, encoder.encode_document(doc("Cowboy Bebop"))
    )


def test_titles_weigh_more_than_tags(encoder: Bm25SparseEncoder) -> None:
    query = encoder.encode_query("space")
    as_title = dot(query, encoder.encode_document(doc("Space")))
    as_tag = dot(query, encoder.encode_document(doc("Cowboy Bebop", tags=("space",))))
    assert as_title > as_tag > 0


def test_version_names_the_parameters() -> None:
    assert Bm25SparseEncoder().version.startswith("bm25-unicode-v1(k1=1.2,b=0.5")
