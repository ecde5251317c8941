"""Documentation that must stay true: every hook is documented with its exact signature."""

from __future__ import annotations

import inspect
from pathlib import Path

from anime_mcp.ports import hookspecs

DOCS = Path(__file__).resolve().parents[1] / "docs"


def hook_functions() -> list[str]:
    return [name for name, obj in vars(hookspecs).items() if callable(obj) and hasattr(obj, "anime_mcp_spec")]


def test_hookspecs_exist() -> None:
    assert "register_catalogue_readers" in hook_functions()


def test_every_hook_is_documented_with_its_signature() -> None:
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    for name in hook_functions():
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert f"### `{name}({params})`" in text, f"docs/plugins.md lacks a heading for {name}({params})"
