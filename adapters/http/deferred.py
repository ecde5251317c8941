"""Parse modules imported when a source first reads something, not when it is registered.

Every start of the app (``anime-mcp mcp`` answering its first search within a second) registers every
source plugin, and most starts never ask a live source anything: a source module names its parse module as
a ``DeferredModule`` and its class-level parsers with ``deferred``, so the parse module (and what it
imports: lxml, cattrs converters, compiled patterns) loads on the first call. For the type checker the name
is the real module::

    if TYPE_CHECKING:
        from my_plugin import parse
    else:
        parse = DeferredModule("my_plugin.parse")

    class MySource(HttpSource):
        record_parsers = {"anime": deferred(lambda: parse.parse_anime)}
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar, cast

__all__ = ["DeferredModule", "deferred"]

F = TypeVar("F", bound=Callable[..., Any])


class DeferredModule:
    """Stands for the module ``name``, which is imported when one of its attributes is first read."""

    __slots__ = ("_module", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<deferred module {self._name!r} ({state})>"


def deferred(function: Callable[[], F]) -> F:
    """A stand-in for the function ``function()`` returns, looked up at each call (``function`` reads an
    attribute of a ``DeferredModule``: the first call imports the module)."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return function()(*args, **kwargs)

    return cast(F, call)
