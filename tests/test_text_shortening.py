"""The synopsis shortening of the tools' text rendering gives exactly ``textwrap.shorten``'s result, without
its cost on long texts."""

from __future__ import annotations

import textwrap

from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.entrypoints.tools.enrichment_tools import shorten

WORDS = st.text(alphabet="abcé\u3042", min_size=1, max_size=40)
SPACES = st.text(alphabet=" \n\t", min_size=1, max_size=6)


@given(st.lists(st.tuples(WORDS, SPACES), max_size=80), st.integers(min_value=5, max_value=200))
def test_shorten_is_textwraps_shorten(parts: list[tuple[str, str]], width: int) -> None:
    text = "".join(word + space for word, space in parts)
    expected = textwrap.shorten(text, width, placeholder=" ...") if text.strip() else ""
    assert shorten(text, width) == expected


def test_a_long_synopsis_is_cut_at_a_word() -> None:
    text = "Light Yagami finds a notebook. " * 200
    short = shorten(text, 60)
    assert short == textwrap.shorten(text, 60, placeholder=" ...") and short.endswith(" ...")
