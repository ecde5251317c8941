"""Composition of the search side (part of the composition root, next to ``bootstrap``).

settings -> the model folder -> the embedder provider that understands it -> the index provider that
accepts the location (a folder: Qdrant Edge; a URL: a Qdrant server) -> services.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from attrs import define, field

from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.search import EmbedderError, SearchError
from anime_mcp.entrypoints.bootstrap import App
from anime_mcp.entrypoints.search_settings import DEFAULT_MODEL, SearchSettings
from anime_mcp.entrypoints.services.search import SearchService
from anime_mcp.ports.embedder import Embedder, EmbedderProvider, ModelInfo, SparseEncoder
from anime_mcp.ports.vector_index import VectorIndexBackend, VectorIndexProvider

_INSTALL_HINT = (
    "install one with `anime-mcp models install --from DIR` (an ONNX export: model.onnx + "
    "tokenizer.json), or point ANIME_MCP_MODEL at a model folder"
)


def installed_models(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        return []
    return sorted(d for d in models_dir.iterdir() if d.is_dir() and not d.name.startswith("."))


def resolve_model_dir(settings: SearchSettings) -> Path:
    """ANIME_MCP_MODEL (folder or installed name), else the default model, else the only installed one."""
    if settings.model:
        candidate = Path(settings.model).expanduser()
        if candidate.is_dir():
            return candidate
        installed = settings.models_dir / settings.model
        if installed.is_dir():
            return installed
        raise EmbedderError(
            f"model {settings.model!r} is neither a folder nor installed in "
            f"{settings.models_dir}; {_INSTALL_HINT}"
        )
    default = settings.models_dir / DEFAULT_MODEL
    if default.is_dir():
        return default
    models = installed_models(settings.models_dir)
    if len(models) == 1:
        return models[0]
    if not models:
        raise EmbedderError(f"no embedding model installed in {settings.models_dir}; {_INSTALL_HINT}")
    names = ", ".join(m.name for m in models)
    raise EmbedderError(f"several models are installed ({names}); choose one with ANIME_MCP_MODEL")


def pick_embedder_provider(providers: Sequence[EmbedderProvider], model_dir: Path) -> EmbedderProvider:
    for provider in providers:
        if provider.can_load(model_dir):
            return provider
    names = ", ".join(p.name for p in providers) or "none: is the onnx_text plugin disabled?"
    raise EmbedderError(
        f"no embedder plugin understands {model_dir} (embedders: {names}); a text model "
        "folder needs model.onnx and tokenizer.json"
    )


def pick_index_provider(providers: Sequence[VectorIndexProvider], location: str) -> VectorIndexProvider:
    for provider in providers:
        if provider.accepts(location):
            return provider
    names = ", ".join(p.name for p in providers) or "none: is the qdrant plugin disabled?"
    raise SearchError(f"no vector index plugin serves {location!r} (vector indexes: {names})")


@define
class SearchComponents:
    settings: SearchSettings
    model_dir: Path
    model: ModelInfo
    embedder_provider: EmbedderProvider
    backend: VectorIndexBackend
    encoder: SparseEncoder
    _embedder: Embedder | None = field(default=None, alias="_embedder")

    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self.embedder_provider.load(self.model_dir, threads=self.settings.embed_threads)
        return self._embedder


def search_components(app: App) -> SearchComponents:
    settings = SearchSettings.load(app.settings.home)
    model_dir = resolve_model_dir(settings)
    provider = pick_embedder_provider(app.plugins.embedders(), model_dir)
    index_provider = pick_index_provider(app.plugins.vector_indexes(), settings.index_location)
    backend = index_provider.connect(
        settings.index_location, hnsw=settings.hnsw, options=settings.index_options
    )
    return SearchComponents(
        settings=settings,
        model_dir=model_dir,
        model=provider.describe(model_dir),
        embedder_provider=provider,
        backend=backend,
        encoder=Bm25SparseEncoder(),
    )


def search_service(app: App, components: SearchComponents | None = None) -> SearchService:
    parts = components or search_components(app)
    return SearchService(app.store, parts.backend.open(), parts.encoder, parts.embedder, parts.model)
