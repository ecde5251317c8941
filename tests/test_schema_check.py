"""entrypoints/tools/schema_check.py: the compiled check of a tool's input schema accepts exactly what
jsonschema (``base.StrictValidator``) accepts, for every tool's schema, on values built from the schema's
own names, enum members and limits (and hostile ones: floats for integers, bools, lone surrogates, extras)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_enrichment import Double, answering, info
from test_ratings import death_note_records

from anime_mcp.entrypoints.tools.base import StrictValidator, Tool, ToolInputError, check_schema
from anime_mcp.entrypoints.tools.catalogue_tools import CATALOGUE_TOOLS
from anime_mcp.entrypoints.tools.enrichment_tools import enrichment_tools
from anime_mcp.entrypoints.tools.image_tools import SEARCH_BY_IMAGE
from anime_mcp.entrypoints.tools.query_tools import query_tool
from anime_mcp.entrypoints.tools.schedule_tools import schedule_tools
from anime_mcp.entrypoints.tools.schema_check import compile_check
from anime_mcp.entrypoints.tools.search_tools import search_tool
from anime_mcp.entrypoints.tools.source_tools import source_tool


def every_tool() -> list[Tool]:
    record = death_note_records()["kitsu"]
    sources: list[Any] = [Double(info(name), answering(record)) for name in ("anidb", "kitsu")]
    return [
        *CATALOGUE_TOOLS,
        SEARCH_BY_IMAGE,
        search_tool(sources),
        source_tool(sources),
        *enrichment_tools(sources),
        *schedule_tools(sources),
        query_tool(lambda: None),  # type: ignore[arg-type,return-value]  # never called: only its schema
    ]


TOOLS = {tool.name: tool for tool in every_tool()}


HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 600),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["", "\ud800", "x" * 501, 26.0, [], {}]),
)


def near(schema: Any) -> st.SearchStrategy[Any]:
    """Values shaped by ``schema`` (mostly valid, sometimes just past a limit), now and then a hostile one."""
    return st.integers(0, 24).flatmap(lambda roll: HOSTILE if roll == 0 else shaped(schema))


def shaped(schema: Any) -> st.SearchStrategy[Any]:
    if not isinstance(schema, dict) or not schema:
        return HOSTILE
    if "anyOf" in schema:
        return st.one_of([shaped(sub) for sub in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if isinstance(kind, list):
        return st.one_of([shaped({**schema, "type": k}) for k in kind])
    if kind == "string":
        if "pattern" in schema:
            return st.one_of(st.from_regex(schema["pattern"]), st.text(max_size=8))
        low, high = schema.get("minLength", 0), schema.get("maxLength", 40)
        return st.text(min_size=max(low - 1, 0), max_size=min(high + 1, 60))
    if kind in ("integer", "number"):
        low, high = schema.get("minimum", -100), schema.get("maximum", 10_000)
        whole = st.integers(low - 1, high + 1)
        return whole if kind == "integer" else st.one_of(whole, st.floats(low - 1, high + 1))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        low, high = schema.get("minItems", 0), min(schema.get("maxItems", 4), 6)
        return st.lists(near(schema.get("items", {})), min_size=max(low - 1, 0), max_size=high + 1)
    if kind == "object":
        return objects(schema)
    return HOSTILE


def objects(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    props: dict[str, Any] = schema.get("properties", {})
    required = [n for n in schema.get("required", []) if n in props]
    optional = sorted(set(props) - set(required))

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        names = [n for n in required if draw(st.integers(0, 29))]  # now and then one missing
        names += draw(st.lists(st.sampled_from(optional), unique=True)) if optional else []
        value = {n: draw(near(props[n])) for n in names}
        if draw(st.integers(0, 29)) == 0:
            value[draw(st.text(max_size=5))] = draw(HOSTILE)  # an unknown field
        return value

    return build()


@settings(max_examples=150, deadline=None)
@pytest.mark.parametrize("name", sorted(TOOLS))
@given(data=st.data())
def test_the_compiled_check_accepts_exactly_what_jsonschema_accepts(name: str, data: st.DataObject) -> None:
    schema = TOOLS[name].input_schema
    check = compile_check(schema)
    assert check is not None, f"{name}'s input schema uses a keyword schema_check does not compile"
    value = data.draw(near(schema))
    valid = not any(True for _ in StrictValidator(schema).iter_errors(value))
    assert check(value) == valid, value


def test_valid_arguments_take_the_compiled_path_and_errors_still_name_the_field() -> None:
    details = TOOLS["get_anime_details"]
    check = compile_check(details.input_schema)
    assert check is not None and check({"anime_id": "mal:1535", "fields": ["synopsis", "score"]})
    with pytest.raises(ToolInputError) as raised:
        details.validate({"anime_id": "mal:1535", "fields": ["synopsis", "synopsis"]})
    assert raised.value.field == "fields" and "non-unique" in raised.value.message
    with pytest.raises(ToolInputError) as raised:
        details.validate({"anime_id": "mal:1535", "enhance": 1})
    assert raised.value.field == "enhance"


def test_a_keyword_it_does_not_know_leaves_the_schema_to_jsonschema() -> None:
    schema = {"type": "object", "properties": {"a": {"const": 1}}}
    assert compile_check(schema) is None
    check_schema(schema, {"a": 1})
    with pytest.raises(ToolInputError) as raised:
        check_schema(schema, {"a": 2})
    assert raised.value.field == "a"
