"""One place that makes cattrs converters; primitives are strict so hostile input is rejected, not coerced.

cattrs' default ``str(value)``/``int(value)`` would turn ``"synonyms": "abc"`` into ``("a", "b", "c")`` and
``"episodes": true`` into 1. Our converters accept only the JSON type each field declares.
"""

from __future__ import annotations

import re
from typing import Any

import cattrs

# JSON's "\ud800" escapes decode to lone surrogates, which no UTF-8 consumer (SQLite, JSON output) accepts.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _check_text(value: str) -> None:
    if not value.isascii() and _LONE_SURROGATE.search(value):
        raise ValueError("text holds an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF escape)")


def _strict_str(value: Any, cl: type) -> Any:
    # Also reached for str subclasses (StrEnum fields), which then validate the value themselves.
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    _check_text(value)
    return value if cl is str else cl(value)


def _strict_int(value: Any, cl: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError(f"expected an integer, got {value}")
    return int(value) if cl is int else cl(int(value))


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {type(value).__name__}")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _strict_tuple_of_str(value: Any, _: type) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise TypeError(f"expected a list of strings, got {type(value).__name__}")
    for item in value:
        if not isinstance(item, str):
            raise TypeError(f"expected a list of strings, found {type(item).__name__}")
        _check_text(item)
    return tuple(value)


def make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(forbid_extra_keys=False)
    converter.register_structure_hook(str, _strict_str)
    converter.register_structure_hook(int, _strict_int)
    converter.register_structure_hook(bool, _strict_bool)
    converter.register_structure_hook(float, _strict_float)
    converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _strict_tuple_of_str)
    return converter


def describe_error(exc: Exception) -> str:
    """A one-line, field-naming message for a cattrs structuring failure."""
    if isinstance(exc, cattrs.BaseValidationError):
        return "; ".join(cattrs.transform_error(exc))
    return f"{type(exc).__name__}: {exc}"
