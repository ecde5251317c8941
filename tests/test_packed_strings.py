"""The packed string structures a server keeps for its lifetime (adapters/packed_strings.py): every string
comes back as it went in, and a table finds each of its strings and nothing else."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.adapters.packed_strings import PackedStrings, StringTable

# any text, lone surrogates included (keys are made from whatever a catalogue holds)
TEXTS = st.lists(st.text(alphabet=st.characters(codec=None), max_size=30), max_size=40)


@given(TEXTS)
def test_packed_strings_give_back_every_string(texts: list[str]) -> None:
    packed = PackedStrings(texts)
    assert len(packed) == len(texts)
    assert [packed[i] for i in range(len(packed))] == texts


def test_packed_strings_refuse_positions_outside() -> None:
    packed = PackedStrings(["a", "bc"])
    for outside in (-1, 2):
        with pytest.raises(IndexError):
            packed[outside]


@given(st.lists(st.text(max_size=20), unique=True, max_size=60), st.lists(st.text(max_size=20), max_size=20))
def test_a_table_finds_its_strings_and_nothing_else(strings: list[str], others: list[str]) -> None:
    table, order = StringTable.of(strings)
    assert sorted(order) == list(range(len(strings)))
    where = table.positions(strings)
    assert [strings[order[at]] for at in where] == strings  # each string at the place ``order`` names
    absent = [text for text in others if text not in strings]
    assert table.positions(absent) == [-1] * len(absent)
    assert table.positions([]) == []


def test_equal_hashes_are_told_apart_by_their_text() -> None:
    # three strings filed under one hash: only the one whose text matches is found
    table = StringTable(np.full(3, hash("b"), dtype=np.int64), PackedStrings(["a", "b", "c"]))
    assert table.position("b") == 1
    assert table.position("a") == -1  # its own hash is not in the table
    assert StringTable.of([])[0].positions(["a"]) == [-1]
