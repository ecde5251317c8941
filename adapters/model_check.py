"""Trust, but check: a downloaded model must embed a few fixed sentences as the reference vectors kept in the
package (``model_references.json``) say, or it is not the model we asked for (corrupt, altered, another
export). The file was computed from ../shared/models/all-MiniLM-L6-v2-onnx; see docs/search.md, Models.

Tolerances (lowest cosine over the sentences): fp32 0.9999 (the same graph on another onnxruntime or CPU
differs by ~1e-6); int8 0.995 against the int8 reference (quantisation is deterministic for one onnxruntime
version; int8 versus fp32 is only 0.98-0.99, so comparing int8 with the fp32 vectors could not tell a
slightly altered model from a quantised one).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from attrs import frozen

from anime_mcp.core.search_errors import EmbedderError

REFERENCE_FILE = "model_references.json"
TOLERANCE = {"fp32": 0.9999, "int8": 0.995}


class ModelCheckError(EmbedderError):
    """The model does not reproduce its reference vectors."""


@frozen
class ReferenceCheck:
    model: str
    variant: str  # "fp32" or "int8"
    cosines: tuple[float, ...]
    tolerance: float

    @property
    def lowest(self) -> float:
        return min(self.cosines)

    @property
    def passed(self) -> bool:
        return self.lowest >= self.tolerance


def load_references() -> dict[str, Any]:
    text = resources.files("anime_mcp.adapters").joinpath(REFERENCE_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def has_reference(model: str, variant: str) -> bool:
    return variant in load_references()["models"].get(model, {})


def check_model(model_dir: Path, *, model: str, variant: str) -> ReferenceCheck:
    """Embed the reference sentences with the model in ``model_dir`` and compare with the stored vectors."""
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder

    references = load_references()
    expected = np.asarray(references["models"][model][variant], dtype=np.float64)
    try:
        embedder = OnnxTextEmbedder(model_dir, threads=1)
        got = np.asarray(embedder.embed_documents(references["sentences"]), dtype=np.float64)
    except EmbedderError:
        raise
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types for a broken graph
        raise ModelCheckError(f"{model_dir} does not load: {type(exc).__name__}: {exc}") from None
    if got.shape != expected.shape:
        raise ModelCheckError(
            f"{model_dir} gives {got.shape[-1]}-d vectors; {model} has {expected.shape[-1]} dimensions"
        )
    norms = np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1)
    cosines = (got * expected).sum(axis=1) / np.where(norms == 0, 1, norms)
    return ReferenceCheck(model, variant, tuple(float(c) for c in cosines), TOLERANCE[variant])
