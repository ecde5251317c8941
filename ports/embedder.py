"""Embedder ports: a loaded embedding model, and the providers (plugins) that load models from folders.

A provider is what a plugin registers through ``register_embedders``: it knows one family of model folders
(for example ONNX text models) and loads a model from a folder into an ``Embedder``. Which folder is used
is configuration (``ANIME_MCP_MODEL``), not code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen

from anime_mcp.core.documents import LexicalField
from anime_mcp.core.vectors import SparseVector


@frozen
class ModelInfo:
    """What a model folder declares about itself (read without loading the weights)."""

    name: str
    dimension: int
    path: str
    pooling: str = ""
    max_length: int = 0
    quantized: bool = False
    provider: str = ""  # the embedder provider that loads it


@runtime_checkable
class Embedder(Protocol):
    """Turns text into dense vectors of a fixed dimension (L2-normalised when the model says so)."""

    name: str
    dimension: int

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


# One batch of a bulk embedding: positions in the input list, and their vectors in the same order.
EmbeddedBatch = tuple[list[int], list[list[float]]]


@runtime_checkable
class BulkEmbedder(Protocol):
    """Optional capability of an ``Embedder``: embed many documents in the order cheapest for the model.

    A transformer pads every text of a batch to the longest one, so batches of similar lengths cost a
    fraction of batches in input order (the catalogue in its own order: about 2.5x the work). Indexing uses
    this when the embedder offers it; every position of ``texts`` is yielded exactly once.
    """

    def embed_documents_in_batches(self, texts: Sequence[str]) -> Iterator[EmbeddedBatch]: ...


@runtime_checkable
class EmbedderProvider(Protocol):
    """Loads embedding models of one kind from folders; registered by plugins."""

    name: str

    def can_load(self, model_dir: Path) -> bool:
        """Cheap check (no weights read) whether this provider understands the folder."""
        ...

    def describe(self, model_dir: Path) -> ModelInfo:
        """The model's name, dimension and settings, without loading it."""
        ...

    def load(self, model_dir: Path, *, threads: int | None = None) -> Embedder:
        """Load the model; ``threads`` caps the CPU threads (None: a sane default)."""
        ...


@runtime_checkable
class SparseEncoder(Protocol):
    """Builds sparse lexical vectors (no model): weighted document fields in, query text in.

    ``version`` names the tokenisation and weighting; an index built with one version is searched only
    with the same one. ``avgdl`` (average document length) is fitted on the corpus and stored with the index.
    """

    version: str
    avgdl: float

    def fit(self, documents: Iterable[Sequence[LexicalField]]) -> float: ...

    def encode_document(self, fields: Sequence[LexicalField]) -> SparseVector: ...

    def encode_query(self, text: str) -> SparseVector: ...
