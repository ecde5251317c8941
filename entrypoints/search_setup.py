"""Composition of the search side: part of the composition root, called only by ``bootstrap``.

settings -> the model folder -> the embedder provider that understands it -> the index provider that
accepts the location (a folder: Qdrant Edge; a URL: a Qdrant server) -> services.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import structlog
from attrs import define, field

from anime_mcp.adapters.clip_files import looks_like_clip_model
from anime_mcp.adapters.remote_search import RemoteBackend, RemoteEmbedderProvider
from anime_mcp.adapters.search_link import LinkLost, SearchProcesses
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.adapters.story_lexical import StoryBm25Encoder
from anime_mcp.core.search_errors import EmbedderError, SearchError
from anime_mcp.entrypoints.search_process import keepable, recipe_of
from anime_mcp.entrypoints.settings import DEFAULT_MODEL, ConfigError, PluginSettings, SearchSettings
from anime_mcp.ports.embedder import Embedder, EmbedderProvider, ModelInfo, SparseEncoder
from anime_mcp.ports.image_embedder import ImageEmbedder
from anime_mcp.ports.plugin_host import PluginHost
from anime_mcp.ports.providers import EMBEDDER, VECTOR_INDEX, Named, ProviderChoice, choose_provider
from anime_mcp.ports.vector_index import VectorIndexBackend, VectorIndexProvider

log = structlog.get_logger("anime_mcp.plugins")
P = TypeVar("P", bound=Named)
_INSTALL_HINT = (
    "install one with `anime-mcp models install --from DIR` (an ONNX export: model.onnx + "
    "tokenizer.json), or point ANIME_MCP_MODEL at a model folder"
)


def installed_models(models_dir: Path) -> list[Path]:
    if not models_dir.is_dir():
        return []
    return sorted(d for d in models_dir.iterdir() if d.is_dir() and not d.name.startswith("."))


def _text_models(models_dir: Path) -> list[Path]:
    """Installed folders that are not CLIP image models (those belong to ``ANIME_MCP_IMAGE_MODEL``)."""
    return [d for d in installed_models(models_dir) if not looks_like_clip_model(d)]


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
    models = _text_models(settings.models_dir)
    if len(models) == 1:
        return models[0]
    if not models:
        raise EmbedderError(f"no embedding model installed in {settings.models_dir}; {_INSTALL_HINT}")
    names = ", ".join(m.name for m in models)
    raise EmbedderError(f"several models are installed ({names}); choose one with ANIME_MCP_MODEL")


def pick_embedder_provider(
    providers: Sequence[EmbedderProvider], model_dir: Path, name: str | None = None
) -> EmbedderProvider:
    """The provider named in the settings (default ``onnx-text``) that can load ``model_dir``."""
    names = ", ".join(p.name for p in providers) or "none: is the onnx_text plugin disabled?"
    return _pick(
        providers,
        lambda p: p.can_load(model_dir),
        kind=EMBEDDER,
        name=name,
        setting="ANIME_MCP_EMBEDDER or [plugins] embedder",
        error=EmbedderError,  # when no provider can load the folder; a bad name is a ConfigError
        nothing=f"no embedder plugin understands {model_dir} (embedders: {names}); a text model "
        "folder needs model.onnx and tokenizer.json",
    )


def pick_index_provider(
    providers: Sequence[VectorIndexProvider], location: str, name: str | None = None
) -> VectorIndexProvider:
    """The provider named in the settings (default: Qdrant Edge for a folder, Qdrant server for a URL)
    that accepts ``location``."""
    names = ", ".join(p.name for p in providers) or "none: is the qdrant plugin disabled?"
    return _pick(
        providers,
        lambda p: p.accepts(location),
        kind=VECTOR_INDEX,
        name=name,
        setting="ANIME_MCP_INDEX or [plugins] index",
        error=SearchError,
        nothing=f"no vector index plugin serves {location!r} (vector indexes: {names})",
    )


def _pick(
    providers: Sequence[P],
    capable: Callable[[P], bool],
    *,
    kind: str,
    name: str | None,
    setting: str,
    error: Callable[[str], Exception],
    nothing: str,
) -> P:
    """By name, never by load order (``ports.providers``); other capable providers are logged. Nothing
    capable is ``error`` (no model, no index plugin); a name that cannot be honoured is a ``ConfigError``."""
    if not any(capable(p) for p in providers):
        raise error(nothing)
    choice = choose_provider(
        providers, kind=kind, name=name, capable=capable, setting=setting, error=ConfigError
    )
    _log_others(choice)
    return choice.provider


def _log_others(choice: ProviderChoice[Any]) -> None:
    if choice.others:
        log.warning(
            "plugins.provider.alternatives",
            chosen=getattr(choice.provider, "name", "?"),
            reason=choice.reason,
            others=list(choice.others),
        )


@define
class SearchComponents:
    settings: SearchSettings
    model_dir: Path
    model: ModelInfo
    embedder_provider: EmbedderProvider
    backend: VectorIndexBackend
    encoder: SparseEncoder
    story_encoder: SparseEncoder = field(factory=StoryBm25Encoder)  # the content lexical vector's
    # False when the model and the index load in search processes (which warm themselves up)
    in_process: bool = True
    _embedder: Embedder | None = field(default=None, alias="_embedder")
    # a warm-up thread and a first call may both ask: the model is loaded once
    _embedder_lock: threading.Lock = field(factory=threading.Lock, alias="_embedder_lock")

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def embedder(self) -> Embedder:
        with self._embedder_lock:
            if self._embedder is None:
                self._embedder = self.embedder_provider.load(
                    self.model_dir, threads=self.settings.embed_threads
                )
            return self._embedder


def search_components(
    settings: SearchSettings,
    host: PluginHost,
    plugins: PluginSettings,
    processes: SearchProcesses | None = None,
) -> SearchComponents:
    """The chosen model and index; with ``processes`` (``anime-mcp mcp``), loaded and searched in search
    processes beside this one (``adapters/search_link.py``) when the providers can be made there."""
    try:
        model_dir = resolve_model_dir(settings)
        provider: EmbedderProvider = pick_embedder_provider(host.embedders(), model_dir, plugins.embedder)
        index_provider = pick_index_provider(host.vector_indexes(), settings.index_location, plugins.index)
        model = provider.describe(model_dir)  # before any process starts: a folder it cannot read fails here
        recipe = None
        if processes is not None:
            recipe = recipe_of(
                provider,
                model_dir=model_dir,
                threads=settings.embed_threads,
                index=index_provider,
                location=settings.index_location,
                hnsw=settings.hnsw,
                options=settings.index_options,
            )
    except BaseException:
        if processes is not None:
            processes.drop_early()  # nothing will adopt them
        raise

    def connect() -> VectorIndexBackend:
        return index_provider.connect(
            settings.index_location, hnsw=settings.hnsw, options=settings.index_options
        )

    backend: VectorIndexBackend
    if recipe is not None and processes is not None:
        try:
            links = processes.links_for(recipe, keep=keepable(recipe))
        except LinkLost as exc:  # closed: the server is shutting down
            raise SearchError(str(exc)) from None
        log.debug(
            "search.processes",
            **{part: link.process.pid for part, link in links.items()},
            adopted=sorted(p for p, link in links.items() if link.process.pid in processes.early_pids),
        )
        backend = RemoteBackend(
            links["index"], connect, name=index_provider.name, location=settings.index_location
        )
        provider = RemoteEmbedderProvider(
            links["embedder"], provider, model_dir=model_dir, threads=settings.embed_threads
        )
    else:
        if processes is not None:
            processes.drop_early()  # a provider that cannot be made in a process: searched here
        backend = connect()
    return SearchComponents(
        settings=settings,
        model_dir=model_dir,
        model=model,
        embedder_provider=provider,
        backend=backend,
        encoder=Bm25SparseEncoder(),
        story_encoder=StoryBm25Encoder(),
        in_process=recipe is None,
    )


IMAGE_EMBEDDER = "image embedder"


def resolve_image_model_dir(settings: SearchSettings) -> Path | None:
    """ANIME_MCP_IMAGE_MODEL (a folder or a name installed under home/models), else the one installed CLIP
    folder, else None: image search is off."""
    if settings.image_model:
        candidate = Path(settings.image_model).expanduser()
        for folder in (candidate, settings.models_dir / settings.image_model):
            if folder.is_dir():
                return folder
        raise EmbedderError(
            f"image model {settings.image_model!r} (ANIME_MCP_IMAGE_MODEL) is neither a folder nor installed "
            f"in {settings.models_dir}; export one with `anime-mcp models export` (docs/search.md)"
        )
    found = [d for d in installed_models(settings.models_dir) if looks_like_clip_model(d)]
    if len(found) > 1:
        names = ", ".join(d.name for d in found)
        raise EmbedderError(
            f"several image models are installed ({names}); choose one with ANIME_MCP_IMAGE_MODEL"
        )
    return found[0] if found else None


def load_image_embedder(settings: SearchSettings, host: PluginHost) -> ImageEmbedder | None:
    """The configured (or the one installed) CLIP model loaded by the image embedder plugin that understands
    it; None when there is none. Loading reads the weights: call once and keep the result."""
    model_dir = resolve_image_model_dir(settings)
    if model_dir is None:
        return None
    providers = host.image_embedders()
    names = ", ".join(p.name for p in providers) or "none: is the clip_image plugin disabled?"
    if not any(p.can_load(model_dir) for p in providers):
        raise EmbedderError(
            f"no image embedder plugin understands {model_dir} (image embedders: {names}); a CLIP folder "
            "needs vision_model.onnx, text_model.onnx, tokenizer.json and preprocessor_config.json"
        )
    choice = choose_provider(
        providers,
        kind=IMAGE_EMBEDDER,
        capable=lambda p: p.can_load(model_dir),
        defaults=("clip-onnx",),
        error=ConfigError,
    )
    _log_others(choice)
    return choice.provider.load(model_dir, threads=settings.embed_threads)
