"""The search process of ``anime-mcp mcp`` (``python -P -m anime_mcp.entrypoints.search_process``): a
composition root of its own. The recipe comes first on its stdin; it builds the embedder and the index
backend the recipe names (the providers the
server chose, by class), loads them at once, then answers the server over its stdin and stdout until the
server closes the pipe (``adapters/search_link.py``, ``adapters/remote_search.py``).

It imports neither the settings nor the plugin host: the server resolved both, and this process's start is
the critical path of the first answer.
"""

from __future__ import annotations

import importlib
import os
import signal
from pathlib import Path
from typing import Any

import attrs

from anime_mcp.adapters.remote_search import ServedSearch
from anime_mcp.adapters.search_link import RECIPE_VERSION, read_message, serve
from anime_mcp.core.search_errors import SearchError
from anime_mcp.ports.embedder import Embedder, EmbedderProvider
from anime_mcp.ports.hookspecs import PROJECT as PLUGIN_GROUP
from anime_mcp.ports.vector_index import HnswSettings, VectorIndexBackend, VectorIndexProvider

# Below the server's priority: while the server imports (until `tools/list`), three processes share two
# cores here, and the server then answers `tools/list` 0.07-0.11 s sooner, the first search no later
# (docs/benchmarks.md, "Search processes"). Afterwards a search is milliseconds of CPU.
NICENESS = 5


def class_path(obj: object) -> str:
    kind = type(obj)
    return f"{kind.__module__}:{kind.__qualname__}"


def rebuilt(path: str, name: str) -> Any:
    """A provider made again from its class (``module:qualname``), checked by its name. Only a module of
    this package or of an installed plugin (an ``anime_mcp`` entry point) is imported: the recipe is a file
    in the home, and may name nothing the server could not have chosen."""
    module, _, qualname = path.partition(":")
    if not _plugin_module(module):
        raise SearchError(f"{path}: not a module of anime_mcp or of an installed anime_mcp plugin")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not isinstance(target, type) or not _plugin_module(target.__module__):
        raise SearchError(f"{path} is not a class of anime_mcp or of an installed anime_mcp plugin")
    provider = target()
    if getattr(provider, "name", None) != name:
        raise SearchError(f"{path} makes a provider named {getattr(provider, 'name', None)!r}, not {name!r}")
    return provider


def _plugin_module(module: str) -> bool:
    if module == "anime_mcp" or module.startswith("anime_mcp."):
        return True
    from importlib.metadata import entry_points

    for point in entry_points(group=PLUGIN_GROUP):
        if module == point.module or module.startswith(point.module + "."):
            return True
    return False


SECRET_WORDS = ("key", "token", "password", "secret")


def keepable(recipe: dict[str, Any]) -> bool:
    """Whether the recipe may be written to the home: not when it carries a credential (a Qdrant server's
    API key among the index options, a password in its URL)."""
    index = recipe.get("index") or {}
    if any(word in option.lower() for option in index.get("options") or {} for word in SECRET_WORDS):
        return False
    return "@" not in str(index.get("location", "")).partition("://")[2].partition("/")[0]


def recipe_of(
    embedder: EmbedderProvider,
    *,
    model_dir: Path,
    threads: int | None,
    index: VectorIndexProvider,
    location: str,
    hnsw: HnswSettings,
    options: dict[str, str],
) -> dict[str, Any] | None:
    """What a search process needs to load what the server chose; None when a provider cannot be made
    again from its class alone (a plugin's provider with arguments): that server searches in-process."""
    for provider in (embedder, index):
        try:
            rebuilt(class_path(provider), provider.name)
        except Exception:  # noqa: BLE001 - whatever a plugin's constructor raises
            return None
    return {
        "version": RECIPE_VERSION,
        "embedder": {
            "provider": class_path(embedder),
            "name": embedder.name,
            "model_dir": str(model_dir),
            "threads": threads,
        },
        "index": {
            "provider": class_path(index),
            "name": index.name,
            "location": location,
            "hnsw": attrs.asdict(hnsw),
            "options": dict(options),
        },
    }


def served(recipe: dict[str, Any]) -> ServedSearch:
    """The model (``embedder``), the index (``index``) or both, as the recipe names them."""
    if recipe.get("version") != RECIPE_VERSION:
        raise SearchError(f"a search recipe of version {recipe.get('version')!r}, not {RECIPE_VERSION}")
    model, index = recipe.get("embedder"), recipe.get("index")

    def load_embedder() -> Embedder:
        assert model is not None
        provider: EmbedderProvider = rebuilt(model["provider"], model["name"])
        return provider.load(Path(model["model_dir"]), threads=model["threads"])

    def connect() -> VectorIndexBackend:
        assert index is not None
        provider: VectorIndexProvider = rebuilt(index["provider"], index["name"])
        return provider.connect(
            index["location"], hnsw=HnswSettings(**index["hnsw"]), options=index["options"]
        )

    return ServedSearch(load_embedder if model else None, connect if index else None)


def main() -> None:
    replies = os.dup(1)  # the reply pipe; fd 1 becomes stderr, so a stray print cannot corrupt the wire
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is the server's; we end when it closes stdin
    os.nice(NICENESS)
    search = served(read_message(0))  # the recipe comes first, over the pipe
    search.load()
    serve(search.handle, 0, replies)


if __name__ == "__main__":
    main()
