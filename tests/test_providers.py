"""Choosing the one provider of a kind: by configured name, else the built-in default, never by order."""

from __future__ import annotations

import pytest

from anime_mcp.core.errors import PluginError
from anime_mcp.ports.providers import (
    DEFAULT_PROVIDERS,
    EMBEDDER,
    VECTOR_INDEX,
    ProviderNotFound,
    choose_provider,
)


class FakeProvider:
    def __init__(self, name: str, serves: str = "folder") -> None:
        self.name = name
        self.serves = serves

    def __repr__(self) -> str:
        return f"FakeProvider({self.name})"


def folder(p: FakeProvider) -> bool:
    return p.serves == "folder"


ONNX = FakeProvider("onnx-text")
OTHER = FakeProvider("gpu-embedder")
EDGE = FakeProvider("qdrant-edge", "folder")
SERVER = FakeProvider("qdrant-server", "url")


def test_the_default_names_are_the_built_in_providers() -> None:
    assert DEFAULT_PROVIDERS == {EMBEDDER: ("onnx-text",), VECTOR_INDEX: ("qdrant-edge", "qdrant-server")}


@pytest.mark.parametrize("order", [[ONNX, OTHER], [OTHER, ONNX]], ids=["first", "second"])
def test_without_a_name_the_default_wins_whatever_the_order_and_the_other_is_listed(
    order: list[FakeProvider],
) -> None:
    choice = choose_provider(order, kind=EMBEDDER)
    assert choice.provider is ONNX
    assert choice.others == ("gpu-embedder",)
    assert choice.reason == "default"


@pytest.mark.parametrize("order", [[ONNX, OTHER], [OTHER, ONNX]], ids=["first", "second"])
def test_a_configured_name_wins_whatever_the_order(order: list[FakeProvider]) -> None:
    choice = choose_provider(order, kind=EMBEDDER, name="gpu-embedder")
    assert (choice.provider, choice.others, choice.reason) == (OTHER, ("onnx-text",), "configured")


def test_an_unknown_name_lists_the_available_ones() -> None:
    with pytest.raises(
        ProviderNotFound, match="no embedder provider is named 'nope'; available: gpu-embedder, onnx-text"
    ):
        choose_provider([ONNX, OTHER], kind=EMBEDDER, name="nope")


def test_the_capability_check_still_applies() -> None:
    # A folder: qdrant-edge; a URL: qdrant-server; both are defaults, capabilities split them.
    assert choose_provider([SERVER, EDGE], kind=VECTOR_INDEX, capable=folder).provider is EDGE
    url = choose_provider([EDGE, SERVER], kind=VECTOR_INDEX, capable=lambda p: p.serves == "url")
    assert (url.provider, url.others) == (SERVER, ())
    with pytest.raises(ProviderNotFound, match="'qdrant-server' cannot serve this"):
        choose_provider([EDGE, SERVER], kind=VECTOR_INDEX, name="qdrant-server", capable=folder)
    with pytest.raises(
        ProviderNotFound, match="no vector index provider can serve this; available: qdrant-server"
    ):
        choose_provider([SERVER], kind=VECTOR_INDEX, capable=folder)


def test_a_single_capable_provider_is_used_even_when_not_the_default() -> None:
    choice = choose_provider([OTHER], kind=EMBEDDER)
    assert (choice.provider, choice.reason) == (OTHER, "only capable provider")


@pytest.mark.parametrize("order", [[OTHER, FakeProvider("tpu")], [FakeProvider("tpu"), OTHER]])
def test_several_capable_providers_and_no_default_is_an_error_not_a_guess(order: list[FakeProvider]) -> None:
    with pytest.raises(
        ProviderNotFound, match=r"several embedder providers .*gpu-embedder, tpu.*set ANIME_X"
    ):
        choose_provider(order, kind=EMBEDDER, setting="ANIME_X")


def test_two_providers_with_one_name_are_never_told_apart_by_order() -> None:
    twin = FakeProvider("onnx-text")
    with pytest.raises(ProviderNotFound, match="2 embedder providers are named 'onnx-text'"):
        choose_provider([ONNX, twin], kind=EMBEDDER, name="onnx-text")
    with pytest.raises(ProviderNotFound, match="several embedder providers"):
        choose_provider([ONNX, twin], kind=EMBEDDER)


def test_no_providers_at_all() -> None:
    with pytest.raises(ProviderNotFound, match="plugins disabled"):
        choose_provider([], kind=EMBEDDER)


def test_the_caller_chooses_the_error_type_and_the_defaults() -> None:
    class EmbedderError(Exception):
        pass

    with pytest.raises(EmbedderError):
        choose_provider([], kind=EMBEDDER, error=EmbedderError)
    assert choose_provider([ONNX, OTHER], kind=EMBEDDER, defaults=("gpu-embedder",)).provider is OTHER
    assert issubclass(ProviderNotFound, PluginError) and issubclass(ProviderNotFound, LookupError)
