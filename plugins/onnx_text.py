"""Built-in plugin: ONNX text embedding models (any sentence-embedding model exported to ONNX).

onnxruntime is imported only when a model is loaded, so listing plugins or models stays fast.
"""

from __future__ import annotations

from pathlib import Path

from anime_mcp.adapters.onnx_model_config import load_config, looks_like_onnx_text_model
from anime_mcp.ports import hookimpl
from anime_mcp.ports.embedder import Embedder, ModelInfo
from anime_mcp.ports.hookspecs import Register


class OnnxTextEmbedderProvider:
    """Implements the ``EmbedderProvider`` port."""

    name = "onnx-text"

    def can_load(self, model_dir: Path) -> bool:
        return looks_like_onnx_text_model(model_dir)

    def describe(self, model_dir: Path) -> ModelInfo:
        config = load_config(model_dir)
        return ModelInfo(
            name=config.name,
            dimension=config.dimension,
            path=str(model_dir),
            pooling=config.pooling,
            max_length=config.max_length,
            quantized=config.quantized,
            provider=self.name,
        )

    def load(self, model_dir: Path, *, threads: int | None = None) -> Embedder:
        from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder

        return OnnxTextEmbedder(model_dir, threads=threads)


@hookimpl
def register_embedders(register: Register) -> None:
    register(OnnxTextEmbedderProvider())
