"""What ``anime-mcp bench`` compares: the adapters of each kind, and the configurations that vary one kind
at a time around a baseline (the first value of every kind)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from attrs import evolve, frozen

from anime_mcp.ports.workload import CACHE, EMBEDDER, INDEX, SOURCE

EDGE = "edge"
CLIENT_LOCAL = "qdrant-local"
INDEX_LABELS = {EDGE: "qdrant-edge (embedded)", CLIENT_LOCAL: "qdrant-client local (server code path)"}
CACHES = ("none", "memory", "redis")
ALL_SOURCES = "all"  # every replayed source together (the baseline)


@frozen
class Configuration:
    """One set of adapters: an embedder (model folder), an index kind, a cache layer, the sources asked."""

    model_dir: Path
    index: str  # EDGE, CLIENT_LOCAL or a Qdrant server URL
    cache: str  # one of CACHES
    sources: str = ALL_SOURCES  # a source id, or ALL_SOURCES

    def value(self, kind: str) -> str:
        return {
            EMBEDDER: self.model_dir.name,
            INDEX: index_label(self.index),
            CACHE: self.cache,
            SOURCE: self.sources,
        }[kind]

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9]+", "-", f"{self.model_dir.name}-{self.index}").strip("-")


def index_label(index: str) -> str:
    return INDEX_LABELS.get(index, f"qdrant server {index}")


@frozen
class Choices:
    """The values asked for each kind; the first of each is the baseline."""

    embedders: tuple[Path, ...]
    indexes: tuple[str, ...] = (EDGE,)
    caches: tuple[str, ...] = ("memory",)
    sources: tuple[str, ...] = (ALL_SOURCES,)

    @property
    def baseline(self) -> Configuration:
        return Configuration(self.embedders[0], self.indexes[0], self.caches[0], self.sources[0])

    def varied(self, kinds: Sequence[str]) -> list[tuple[str, Configuration]]:
        """(kind varied, configuration) for each value of each kind in ``kinds`` asked with more than one
        value, every other kind at its baseline; only the baseline when none is."""
        base = self.baseline
        runs: list[tuple[str, Configuration]] = []
        for kind in kinds:
            configs: list[Configuration] = {
                EMBEDDER: [evolve(base, model_dir=v) for v in self.embedders],
                INDEX: [evolve(base, index=v) for v in self.indexes],
                CACHE: [evolve(base, cache=v) for v in self.caches],
                SOURCE: [evolve(base, sources=v) for v in self.sources],
            }[kind]
            if len(configs) > 1:
                runs += [(kind, config) for config in configs]
        return runs or [("baseline", base)]


def parse_index(value: str) -> str:
    value = value.strip()
    aliases = {"edge": EDGE, "qdrant-edge": EDGE, "local": CLIENT_LOCAL, "qdrant-local": CLIENT_LOCAL}
    if value in aliases:
        return aliases[value]
    if value.startswith(("http://", "https://")):
        return value
    raise ValueError(f"index {value!r}: use edge, qdrant-local or a Qdrant server URL (http://...)")


def parse_cache(value: str) -> str:
    if value not in CACHES:
        raise ValueError(f"cache {value!r}: use one of {', '.join(CACHES)}")
    return value
