"""The MCP tool results the server builds as plain dicts (``tool_result``) are exactly what the SDK's
``CallToolResult`` model dumps to: the same wire, without the model's deep dump on every call."""

from __future__ import annotations

from typing import Any

import mcp_types as types
import pytest
from mcp_types import methods

from anime_mcp.entrypoints.mcp.listing import tool_result

OUTPUT: dict[str, Any] = {
    "anime_id": "mal:1535",
    "fields": {"episodes": {"value": 37, "alternatives": [], "provenance": {"source": "kitsu", "age": 1.5}}},
    "missing": [],
    "ratings": None,
}


def dumped(result: types.CallToolResult) -> dict[str, Any]:
    return result.model_dump(by_alias=True, mode="json", exclude_none=True)


def test_an_answer_is_the_models_dump() -> None:
    model = types.CallToolResult(content=[types.TextContent(text="Death Note")], structured_content=OUTPUT)
    assert tool_result("Death Note", OUTPUT) == dumped(model)
    assert list(tool_result("Death Note", OUTPUT)) == list(dumped(model))  # the same keys, in order


def test_an_error_is_the_models_dump() -> None:
    model = types.CallToolResult(content=[types.TextContent(text="Error: no such anime")], is_error=True)
    assert tool_result("Error: no such anime", is_error=True) == dumped(model)


@pytest.mark.parametrize("version", ["2025-06-18", "2025-11-25", "2026-07-28"])
def test_the_sdk_shapes_both_alike_for_every_protocol_version(version: str) -> None:
    model = types.CallToolResult(content=[types.TextContent(text="Death Note")], structured_content=OUTPUT)
    assert methods.serialize_server_result(
        "tools/call", version, tool_result("Death Note", OUTPUT)
    ) == methods.serialize_server_result("tools/call", version, dumped(model))
