"""Choosing the one provider of a kind (embedder, vector index; later cache, planner) by name.

Several plugins may register providers of one kind. Which one is used is configuration, never load order:
with a configured name the provider of that name is used (an error lists the names available when none has
it); without one, the built-in default for the kind is used when it is capable, and a single capable
provider is used when it is the only one. Any other capable provider is returned in ``ProviderChoice.others``
so the caller can list it (a warning, ``anime-mcp plugins``) instead of silently preferring one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, Protocol, TypeVar

from attrs import frozen

from anime_mcp.core.errors import PluginError

EMBEDDER = "embedder"
VECTOR_INDEX = "vector index"

# Built-in provider names per kind, in order of preference. Capabilities decide among them (a folder is
# served by qdrant-edge, a URL by qdrant-server), so each kind's defaults never compete for one input.
DEFAULT_PROVIDERS: dict[str, tuple[str, ...]] = {
    EMBEDDER: ("onnx-text",),
    VECTOR_INDEX: ("qdrant-edge", "qdrant-server"),
}


class Named(Protocol):
    @property
    def name(self) -> str: ...


P = TypeVar("P", bound=Named)


class ProviderNotFound(PluginError, LookupError):
    """No provider of that name, none capable, or several capable and none of them the default."""


@frozen
class ProviderChoice(Generic[P]):
    provider: P
    others: tuple[str, ...] = ()  # names of other capable providers, not used: list them, do not hide them
    reason: str = ""  # "configured", "default" or "only capable provider"


def choose_provider(
    providers: Sequence[P],
    *,
    kind: str,
    name: str | None = None,
    capable: Callable[[P], bool] | None = None,
    defaults: Sequence[str] | None = None,
    setting: str = "",
    error: Callable[[str], Exception] = ProviderNotFound,
) -> ProviderChoice[P]:
    """The provider to use among ``providers`` (all of one ``kind``, e.g. ``"embedder"``).

    ``name``: the configured provider name, or None. ``capable``: whether a provider can serve the input at
    hand (``can_load(model_dir)``, ``accepts(location)``); all are capable when None. ``defaults``: the
    names to prefer without a configured name (``DEFAULT_PROVIDERS[kind]`` when None). ``setting`` names
    the setting that configures the name, for error messages. ``error`` builds the exception raised.
    """
    is_capable = capable or (lambda _: True)
    preferred = DEFAULT_PROVIDERS.get(kind, ()) if defaults is None else tuple(defaults)
    available = ", ".join(sorted(p.name for p in providers)) or "none (are its plugins disabled?)"
    how = f" (set {setting})" if setting else ""
    if name is not None:
        named = [p for p in providers if p.name == name]
        if not named:
            raise error(f"no {kind} provider is named {name!r}; available: {available}")
        if len(named) > 1:
            raise error(f"{len(named)} {kind} providers are named {name!r}; disable all but one plugin")
        if not is_capable(named[0]):
            raise error(f"the configured {kind} provider {name!r} cannot serve this; available: {available}")
        others = tuple(sorted(p.name for p in providers if p is not named[0] and is_capable(p)))
        return ProviderChoice(named[0], others, "configured")
    capable_ones = [p for p in providers if is_capable(p)]
    if not capable_ones:
        raise error(f"no {kind} provider can serve this; available: {available}")
    for default in preferred:
        found = [p for p in capable_ones if p.name == default]
        if len(found) == 1:
            others = tuple(sorted(p.name for p in capable_ones if p is not found[0]))
            return ProviderChoice(found[0], others, "default")
    if len(capable_ones) == 1:
        return ProviderChoice(capable_ones[0], (), "only capable provider")
    names = ", ".join(sorted(p.name for p in capable_ones))
    raise error(f"several {kind} providers can serve this ({names}); choose one by name{how}")
