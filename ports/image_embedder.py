"""Image embedder port: a loaded CLIP-family model that puts pictures and text into one vector space.

Pictures cross this port already decoded (``RgbImage``: 8-bit RGB, row-major), so decoding, with its size
and pixel caps against hostile files, happens once at the edge (``adapters/image_decoding.py``) and every
model sees the same pixels. Preprocessing (resize, centre crop, normalisation) is the model's own business:
the embedder does it exactly as its model expects.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import field, frozen


def _rgb_size(instance: RgbImage, attribute: object, value: bytes) -> None:
    if instance.width <= 0 or instance.height <= 0:
        raise ValueError("an image needs a positive width and height")
    if len(value) != instance.width * instance.height * 3:
        raise ValueError(f"expected {instance.width}x{instance.height}x3 bytes of RGB, got {len(value)}")


@frozen
class RgbImage:
    """A decoded picture: ``width * height * 3`` bytes, rows top to bottom, each pixel R, G, B."""

    width: int
    height: int
    pixels: bytes = field(repr=False, validator=_rgb_size)


@runtime_checkable
class ImageEmbedder(Protocol):
    """Embeds pictures and text into the same space (L2-normalised), so text and pictures can be compared."""

    name: str
    dimension: int

    def embed_images(self, images: Sequence[RgbImage]) -> list[list[float]]: ...

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]: ...


@runtime_checkable
class ImageEmbedderProvider(Protocol):
    """Loads image embedding models of one kind from folders; registered by plugins
    (``register_image_embedders``)."""

    name: str

    def can_load(self, model_dir: Path) -> bool: ...

    def load(self, model_dir: Path, *, threads: int | None = None) -> ImageEmbedder: ...


@runtime_checkable
class PictureSource(Protocol):
    """Downloads catalogue pictures (posters) for ``index-images``: rate limited per host, retried, cached
    on disk so a rerun fetches nothing again."""

    def fetch(self, urls: Sequence[str]) -> dict[str, bytes | None]:
        """url -> the picture's bytes, or None when it is missing (404, gone, unreachable after retries)."""
        ...
