"""A JSON Schema compiled once into plain Python checks: the fast "valid" of a tool's arguments.

jsonschema walks a schema anew on every call (about a tenth of a ms for get_anime_details' four
arguments, a fifth of an answer served from the cache). ``compile_check`` turns the keywords the tool
schemas use into nested closures, built once per schema. It answers only "certainly valid": ``False`` means
"let jsonschema decide" (which then finds the error to report, or accepts what the closure was too cautious
to). So a valid input is never refused by it, and an invalid one is never let through: each keyword below
checks exactly what Draft 2020-12 asks (with ``base.StrictValidator``'s integer, never a float or a bool),
and a schema with any other keyword is not compiled at all (``None``: jsonschema alone).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

# Keywords that assert nothing (``format`` included: the validators here are built without a format checker).
ANNOTATIONS = frozenset({"description", "title", "default", "examples", "format", "deprecated", "$comment"})

_TYPES: dict[str, Check] = {
    "array": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, numbers.Number) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "string": lambda v: isinstance(v, str),
}


class Unsupported(Exception):
    """A keyword or value this compiler does not check: the schema is left to jsonschema."""


def compile_check(schema: Any) -> Check | None:
    """``schema`` as a check answering ``True`` only for values that are valid; ``None`` when some keyword
    is not one this module checks."""
    try:
        return _compile(schema)
    except Unsupported:
        return None


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return _anything
    if not isinstance(schema, dict):
        raise Unsupported(repr(schema))
    checks = [_keyword(name, value, schema) for name, value in schema.items() if name not in ANNOTATIONS]
    steps = [c for c in checks if c is not None]
    if len(steps) == 1:
        return steps[0]
    return lambda value: all(step(value) for step in steps)


def _anything(value: Any) -> bool:
    return True


def _keyword(name: str, value: Any, schema: dict[str, Any]) -> Check | None:
    if name == "type":
        return _type(value)
    if name == "enum":
        return _enum(value)
    if name in ("minLength", "maxLength"):
        return _length(name, _count(value), str)
    if name in ("minItems", "maxItems"):
        return _length(name, _count(value), list)
    if name in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return _bound(name, value)
    if name == "pattern":
        pattern = re.compile(value)
        return lambda v: not isinstance(v, str) or pattern.search(v) is not None
    if name == "items":
        item = _compile(value)
        return lambda v: not isinstance(v, list) or all(item(i) for i in v)
    if name == "uniqueItems":
        return _unique if value is True else None
    if name == "required":
        names = tuple(value)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)
    if name == "properties":
        return _properties({key: _compile(sub) for key, sub in value.items()})
    if name == "additionalProperties":
        if "patternProperties" in schema:
            raise Unsupported(name)
        return _additional(frozenset(schema.get("properties", {})), value)
    if name == "anyOf":
        options = [_compile(sub) for sub in value]
        return lambda v: any(option(v) for option in options)
    raise Unsupported(name)


def _type(value: Any) -> Check:
    names = [value] if isinstance(value, str) else list(value)
    if not all(isinstance(n, str) and n in _TYPES for n in names):
        raise Unsupported(f"type {value!r}")
    tests = [_TYPES[n] for n in names]
    if len(tests) == 1:
        return tests[0]
    return lambda v: any(test(v) for test in tests)


def _enum(members: Any) -> Check:
    """Strings only (jsonschema compares a string with a string by ``==``); any other value: not certain."""
    strings = frozenset(m for m in members if isinstance(m, str))
    return lambda v: isinstance(v, str) and v in strings


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unsupported(f"count {value!r}")
    return value


def _length(name: str, limit: int, kind: type[str] | type[list[Any]]) -> Check:
    if name.startswith("min"):
        return lambda v: not isinstance(v, kind) or len(v) >= limit
    return lambda v: not isinstance(v, kind) or len(v) <= limit


def _bound(name: str, limit: Any) -> Check:
    if not isinstance(limit, int | float) or isinstance(limit, bool):
        raise Unsupported(f"{name} {limit!r}")
    number = _TYPES["number"]
    # As jsonschema compares: an error only when the comparison holds (a NaN passes both, as there)
    if name == "minimum":
        return lambda v: not number(v) or not v < limit
    if name == "maximum":
        return lambda v: not number(v) or not v > limit
    if name == "exclusiveMinimum":
        return lambda v: not number(v) or not v <= limit
    return lambda v: not number(v) or not v >= limit


def _unique(value: Any) -> bool:
    """Strings only: distinct strings are distinct JSON values; any other item: not certain."""
    if not isinstance(value, list):
        return True
    return all(isinstance(v, str) for v in value) and len(set(value)) == len(value)


def _properties(checks: dict[str, Check]) -> Check:
    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        return all(test(value[key]) for key, test in checks.items() if key in value)

    return check


def _additional(known: frozenset[str], schema: Any) -> Check:
    if schema is False:
        return lambda v: not isinstance(v, dict) or all(key in known for key in v)
    extra = _compile(schema)
    return lambda v: not isinstance(v, dict) or all(extra(i) for key, i in v.items() if key not in known)
