"""Built-in plugin: CLIP models exported to ONNX (image and text towers), for image search.

onnxruntime and Pillow are imported only when a model is loaded, so listing plugins or models stays fast.
"""

from __future__ import annotations

from pathlib import Path

from anime_mcp.adapters.clip_files import looks_like_clip_model
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.image_embedder import ImageEmbedder


class ClipOnnxProvider:
    """Implements the ``ImageEmbedderProvider`` port."""

    name = "clip-onnx"

    def can_load(self, model_dir: Path) -> bool:
        return looks_like_clip_model(model_dir)

    def load(self, model_dir: Path, *, threads: int | None = None) -> ImageEmbedder:
        from anime_mcp.adapters.clip_onnx import ClipOnnxEmbedder

        return ClipOnnxEmbedder(model_dir, threads=threads)


@hookimpl
def register_image_embedders(register: Register) -> None:
    register(ClipOnnxProvider())
