"""CLIP image-and-text embedder: two ONNX towers, a ``tokenizers`` tokenizer, the model's own preprocessing.

Pictures are prepared exactly as Hugging Face's ``CLIPImageProcessor`` does, from the folder's
``preprocessor_config.json``: resize (shortest side to ``size``, long side truncated, bicubic, on 8-bit
pixels with Pillow), centre crop, rescale (1/255), normalise with the model's mean and std, channels first.
Both towers end at the projection (``image_embeds``, ``text_embeds``); the vectors are L2-normalised here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from attrs import frozen
from PIL import Image
from tokenizers import Tokenizer

from anime_mcp.adapters.clip_files import (
    CLIP_CONFIG_FILE,
    PREPROCESSOR_FILE,
    TEXT_FILE,
    TOKENIZER_FILE,
    VISION_FILE,
)
from anime_mcp.adapters.onnx_embedder import choose_providers, default_threads
from anime_mcp.adapters.onnx_model_config import ModelConfigError
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.ports.image_embedder import RgbImage

IMAGE_BATCH = 16  # pictures per session run (memory stays bounded for any list)
TEXT_BATCH = 64


@frozen
class ClipModelConfig:
    """``anime-mcp-clip.json``: what the export wrote, read without loading weights."""

    name: str
    dimension: int
    max_length: int  # the text tower's positions
    pad_id: int
    source: str = ""

    @classmethod
    def read(cls, model_dir: Path) -> ClipModelConfig:
        raw = _read_json(model_dir / CLIP_CONFIG_FILE)
        try:
            return cls(**raw)
        except TypeError as exc:
            raise ModelConfigError(f"{model_dir / CLIP_CONFIG_FILE}: {exc}") from None

    def write(self, model_dir: Path) -> None:
        fields = {"name": self.name, "dimension": self.dimension, "max_length": self.max_length}
        fields |= {"pad_id": self.pad_id, "source": self.source}
        (model_dir / CLIP_CONFIG_FILE).write_text(json.dumps(fields, indent=2) + "\n", encoding="utf-8")


@frozen
class Preprocessing:
    """The subset of ``CLIPImageProcessor`` settings CLIP models use."""

    shortest_edge: int | None  # resize the shortest side to this; None: resize to (height, width)
    resize_to: tuple[int, int] | None  # (height, width) when the config gives both
    crop: tuple[int, int] | None  # (height, width) of the centre crop; None: no crop
    rescale: float
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    resample: int = Image.Resampling.BICUBIC

    @classmethod
    def read(cls, path: Path) -> Preprocessing:
        raw = _read_json(path)
        size = raw.get("size", 224) if raw.get("do_resize", True) else None
        shortest, resize_to = None, None
        if isinstance(size, int):
            shortest = size
        elif isinstance(size, dict) and "shortest_edge" in size:
            shortest = int(size["shortest_edge"])
        elif isinstance(size, dict) and {"height", "width"} <= size.keys():
            resize_to = (int(size["height"]), int(size["width"]))
        elif size is not None:
            raise ModelConfigError(f"{path}: size {size!r} is not understood")
        crop_size = raw.get("crop_size", 224) if raw.get("do_center_crop", True) else None
        if isinstance(crop_size, int):
            crop: tuple[int, int] | None = (crop_size, crop_size)
        elif isinstance(crop_size, dict):
            crop = (int(crop_size["height"]), int(crop_size["width"]))
        else:
            crop = None
        return cls(
            shortest_edge=shortest,
            resize_to=resize_to,
            crop=crop,
            rescale=float(raw.get("rescale_factor", 1 / 255)) if raw.get("do_rescale", True) else 1.0,
            mean=_triple(raw, "image_mean", (0.48145466, 0.4578275, 0.40821073), path),
            std=_triple(raw, "image_std", (0.26862954, 0.26130258, 0.27577711), path),
            resample=int(raw.get("resample", Image.Resampling.BICUBIC)),
        )

    def pixels(self, image: RgbImage) -> np.ndarray:
        """One picture as the vision tower's input: float32, channels first (3, height, width)."""
        picture = Image.frombytes("RGB", (image.width, image.height), image.pixels)
        target = self._resized(image.width, image.height)
        if target != (image.width, image.height):
            picture = picture.resize(target, resample=Image.Resampling(self.resample))
        array = np.asarray(picture)
        if self.crop is not None:
            array = _centre_crop(array, *self.crop)
        scaled = array.astype(np.float64) * self.rescale
        normalised = (scaled - np.asarray(self.mean)) / np.asarray(self.std)
        chw: np.ndarray = normalised.astype(np.float32).transpose(2, 0, 1)
        return chw

    def _resized(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) after resizing, as transformers computes it (the long side truncated)."""
        if self.resize_to is not None:
            return self.resize_to[1], self.resize_to[0]
        if self.shortest_edge is None:
            return width, height
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(self.shortest_edge * long / short)
        return (self.shortest_edge, new_long) if width <= height else (new_long, self.shortest_edge)


def _centre_crop(array: np.ndarray, height: int, width: int) -> np.ndarray:
    """transformers' centre crop: offsets floored, a side smaller than the crop padded with zeros."""
    rows, cols = array.shape[:2]
    if rows < height or cols < width:
        padded = np.zeros((max(rows, height), max(cols, width), 3), dtype=array.dtype)
        top, left = (padded.shape[0] - rows) // 2, (padded.shape[1] - cols) // 2
        padded[top : top + rows, left : left + cols] = array
        array, rows, cols = padded, padded.shape[0], padded.shape[1]
    top, left = (rows - height) // 2, (cols - width) // 2
    return array[top : top + height, left : left + width]


def _triple(
    raw: dict[str, Any], key: str, default: tuple[float, ...], path: Path
) -> tuple[float, float, float]:
    value = raw.get(key, default)
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise ModelConfigError(f"{path}: {key} must be three numbers, not {value!r}")
    return float(value[0]), float(value[1]), float(value[2])


def _read_json(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelConfigError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ModelConfigError(f"{path}: expected a JSON object")
    return raw


def _normalised(vectors: np.ndarray) -> list[list[float]]:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    result: list[list[float]] = (vectors / np.maximum(norms, 1e-12)).tolist()
    return result


class ClipOnnxEmbedder:
    """Implements the ``ImageEmbedder`` port."""

    def __init__(
        self, model_dir: Path, *, threads: int | None = None, providers: Sequence[str] | None = None
    ) -> None:
        self.model_dir = model_dir
        self.config = ClipModelConfig.read(model_dir)
        self.name = self.config.name
        self.dimension = self.config.dimension
        self.preprocessing = Preprocessing.read(model_dir / PREPROCESSOR_FILE)
        self.threads = threads or default_threads()
        chosen = list(providers) if providers else choose_providers()
        self._vision = self._session(VISION_FILE, chosen)
        self._text = self._session(TEXT_FILE, chosen)
        self._text_inputs = {i.name for i in self._text.get_inputs()}
        self._tokenizer = self._load_tokenizer()

    def _session(self, filename: str, providers: list[str]) -> ort.InferenceSession:
        path = self.model_dir / filename
        if not path.is_file():
            raise ModelConfigError(f"no ONNX graph at {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise EmbedderError(f"onnxruntime cannot load {path}: {exc}") from None

    def _load_tokenizer(self) -> Tokenizer:
        path = self.model_dir / TOKENIZER_FILE
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises plain Exception on bad files
            raise ModelConfigError(f"{path} is not a tokenizers tokenizer ({exc})") from None
        tokenizer.enable_truncation(self.config.max_length)
        tokenizer.enable_padding(pad_id=self.config.pad_id)
        return tokenizer

    def preprocess(self, images: Sequence[RgbImage]) -> np.ndarray:
        """The vision tower's input for ``images`` (batch, 3, height, width)."""
        return np.stack([self.preprocessing.pixels(image) for image in images])

    def embed_pixels(self, pixel_values: np.ndarray) -> list[list[float]]:
        """Vectors of already preprocessed pictures (benchmarks time the tower alone with this)."""
        (embeds,) = self._vision.run(["image_embeds"], {"pixel_values": pixel_values})
        return _normalised(np.asarray(embeds, dtype=np.float32))

    def embed_images(self, images: Sequence[RgbImage]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(images), IMAGE_BATCH):
            vectors.extend(self.embed_pixels(self.preprocess(images[start : start + IMAGE_BATCH])))
        return vectors

    def embed_texts(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), TEXT_BATCH):
            encoded = self._tokenizer.encode_batch(list(texts[start : start + TEXT_BATCH]))
            feed = {"input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64)}
            if "attention_mask" in self._text_inputs:
                feed["attention_mask"] = np.asarray([e.attention_mask for e in encoded], dtype=np.int64)
            (embeds,) = self._text.run(["text_embeds"], feed)
            vectors.extend(_normalised(np.asarray(embeds, dtype=np.float32)))
        return vectors
