"""Safe XML: no entities, no DTDs, no network, bounded size and depth; every refusal is a ParseError."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import require_shared

from anime_mcp.adapters.xml_safety import parse_xml
from anime_mcp.core.errors import ParseError

FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures"


def test_real_anidb_answer_parses() -> None:
    path = FIXTURES / "anidb" / "anime" / "anime_6657_oyako-club_1818-episodes.xml"
    require_shared(path)
    root = parse_xml(path.read_bytes())
    assert root.tag == "anime" and root.get("id") == "6657"


@pytest.mark.parametrize(
    ("document", "why"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<lolz>&lol2;</lolz>",
            "unsafe",
        ),
        (b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "http://example.test/secret">]><x>&xxe;</x>', "unsafe"),
        (b'<!DOCTYPE x SYSTEM "http://example.test/x.dtd"><x/>', "unsafe"),
        (b"<a>" * 200 + b"</a>" * 200, "deeper than"),
        (b"<a><b></a>", "malformed"),
        (b"", "empty"),
        (b"<a>&undefined;</a>", "malformed"),
        (b'<?xml version="1.0" encoding="no-such-codec"?><a/>', "unreadable"),
    ],
)
def test_hostile_or_broken_documents_are_refused(document: bytes, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        parse_xml(document, source="anidb")


def test_size_is_bounded_before_parsing() -> None:
    with pytest.raises(ParseError, match="exceeds"):
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)


def test_text_input_and_custom_depth() -> None:
    assert parse_xml("<a><b>ü</b></a>").find("b").text == "ü"  # type: ignore[union-attr]
    with pytest.raises(ParseError):
        parse_xml("<a><b><c/></b></a>", max_depth=2)
