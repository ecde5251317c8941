"""Safe XML parsing for every source that answers in XML (AniDB, ANN, ...).

``parse_xml`` is the only way plugins should turn XML bytes into elements. It refuses what a hostile or
broken upstream could use against us, and reports every refusal as the typed ``ParseError``:

- no DTDs, no entity declarations, no external references (defusedxml on top of expat, which never
  fetches anything from the network);
- a size cap checked before parsing;
- a depth cap checked while the tree is built, so a deeply nested document stops early.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only for the element types and TreeBuilder; parsing is defused
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from anime_mcp.core.errors import ParseError

MAX_XML_BYTES = 16 * 1024 * 1024  # AniDB's largest real answer (1818 episodes) is ~0.6 MB
MAX_XML_DEPTH = 64  # real AniDB/ANN documents nest fewer than 10 levels

Element = ET.Element

__all__ = ["MAX_XML_BYTES", "MAX_XML_DEPTH", "Element", "parse_xml"]


class _TooDeep(Exception):
    pass


class _DepthLimitedBuilder(ET.TreeBuilder):
    def __init__(self, max_depth: int) -> None:
        super().__init__()
        self._depth = 0
        self._max_depth = max_depth

    def start(self, tag: Any, attrs: Any) -> ET.Element:
        self._depth += 1
        if self._depth > self._max_depth:
            raise _TooDeep(f"XML nests deeper than {self._max_depth} levels")
        return super().start(tag, attrs)

    def end(self, tag: Any) -> ET.Element:
        self._depth -= 1
        return super().end(tag)


def parse_xml(
    data: bytes | str,
    *,
    source: str = "",
    max_bytes: int = MAX_XML_BYTES,
    max_depth: int = MAX_XML_DEPTH,
) -> ET.Element:
    """Parse one XML document into its root element, or raise ``ParseError`` saying why not."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise ParseError(
            f"XML document of {len(raw)} bytes exceeds the {max_bytes}-byte limit", source=source
        )
    if not raw.strip():
        raise ParseError("empty document where XML was expected", source=source)
    parser = DefusedXMLParser(
        target=_DepthLimitedBuilder(max_depth), forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    try:
        parser.feed(raw)
        root: ET.Element = parser.close()
    except _TooDeep as exc:
        raise ParseError(str(exc), source=source) from None
    except DefusedXmlException as exc:
        raise ParseError(f"refused unsafe XML ({type(exc).__name__})", source=source) from None
    except ET.ParseError as exc:
        raise ParseError(f"malformed XML: {exc}", source=source) from None
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding declaration
        raise ParseError(f"unreadable XML: {exc}", source=source) from None
    return root
