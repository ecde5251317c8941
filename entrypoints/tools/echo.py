"""How an error quotes what it was given: never whole. One helper for every error path (tool input errors,
jsonschema messages, domain errors over REST and MCP, the CLI), so a 200 kB query does not come back as a
200 kB error message, and text that is not valid Unicode (a lone surrogate) is shown escaped.
"""

from __future__ import annotations

import re

ECHO_CHARS = 80  # characters of an offending value an error message shows
MAX_MESSAGE_CHARS = 1000  # no error message is longer, whatever it quotes
_LONG_MESSAGE = 3 * ECHO_CHARS  # shorter messages are left as they are (an apostrophe is not a quote)
_AT_LEAST = ECHO_CHARS + 1
_QUOTED = re.compile(rf"'(?:[^'\\]|\\.){{{_AT_LEAST},}}'|\"(?:[^\"\\]|\\.){{{_AT_LEAST},}}\"")


def echo(value: object) -> str:
    """``repr`` of a value, capped: ``'first 80 characters…' (N characters)`` when longer."""
    if isinstance(value, str):
        if len(value) <= ECHO_CHARS:
            return repr(value)
        return f"{value[:ECHO_CHARS]!r}… ({len(value)} characters)"
    shown = repr(value)
    if len(shown) <= ECHO_CHARS:
        return shown
    return f"{shown[:ECHO_CHARS]}… ({len(shown)} characters)"


def cap_message(message: str) -> str:
    """A long message with every quoted value longer than ``ECHO_CHARS`` capped, and the whole at most
    ``MAX_MESSAGE_CHARS``; characters that cannot be encoded (lone surrogates) come out escaped.

    For messages that quote their input with ``!r`` (domain errors); where the value is at hand, ``echo``
    it instead."""
    capped = _QUOTED.sub(_cap_quoted, message) if len(message) > _LONG_MESSAGE else message
    if len(capped) > MAX_MESSAGE_CHARS:
        capped = f"{capped[:MAX_MESSAGE_CHARS]}… ({len(capped)} characters)"
    return capped.encode("utf-8", "backslashreplace").decode("utf-8")


def _cap_quoted(found: re.Match[str]) -> str:
    quoted = found.group(0)
    inner = quoted[1:-1]
    return f"{quoted[0]}{inner[:ECHO_CHARS]}{quoted[0]}… ({len(inner)} characters)"
