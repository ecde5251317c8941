"""``anime-mcp models export`` for CLIP-family models: a Hugging Face ``CLIPModel`` folder to two ONNX towers.

The vision tower (``pixel_values`` -> ``image_embeds``) and the text tower (``input_ids``, ``attention_mask``
-> ``text_embeds``) are exported separately with ``torch.onnx.export``, so a picture query never runs the
text tower and the reverse. Beside them: ``tokenizer.json`` (the fast tokenizer), the untouched
``preprocessor_config.json`` and ``anime-mcp-clip.json``. torch and transformers are the ``export`` extra,
imported only here; nothing is downloaded (``local_files_only``).
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

from attrs import evolve

from anime_mcp.adapters.clip_files import (
    CLIP_CONFIG_FILE,
    PREPROCESSOR_FILE,
    TEXT_FILE,
    TOKENIZER_FILE,
    VISION_FILE,
)
from anime_mcp.adapters.clip_onnx import ClipModelConfig, ClipOnnxEmbedder
from anime_mcp.adapters.onnx_model_tools import _staging_folder
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.ports.image_embedder import RgbImage

OPSET = 17


def is_clip_folder(hf_dir: Path) -> bool:
    """A Hugging Face folder whose config.json says CLIP (``model_type`` clip, or CLIPModel)."""
    try:
        raw = json.loads((hf_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(raw, dict) and (
        raw.get("model_type") == "clip" or "CLIPModel" in (raw.get("architectures") or [])
    )


def export_clip(hf_dir: Path, target: Path, *, name: str | None = None) -> Path:
    """Export ``hf_dir`` (a CLIPModel folder) to ``target``; built in a hidden folder, moved when loadable."""
    try:
        import torch
        from transformers import AutoTokenizer, CLIPModel
    except ImportError:
        raise EmbedderError(
            "exporting a CLIP model needs torch and transformers (the `export` extra; see docs/search.md)"
        ) from None
    if not (hf_dir / PREPROCESSOR_FILE).is_file():
        raise EmbedderError(f"{hf_dir} has no {PREPROCESSOR_FILE}: the picture preprocessing is unknown")
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise EmbedderError(f"{target} exists already; remove it or export --to another folder")
    try:
        model = CLIPModel.from_pretrained(hf_dir, local_files_only=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(  # type: ignore[no-untyped-call]
            hf_dir, local_files_only=True, use_fast=True
        )
    except Exception as exc:  # transformers raises anything: OSError, ValueError, KeyError...
        raise EmbedderError(f"transformers cannot load {hf_dir}: {type(exc).__name__}: {exc}") from exc
    if not getattr(tokenizer, "is_fast", False):
        raise EmbedderError(f"{hf_dir}: its tokenizer has no fast (tokenizers) version")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_folder(target.parent, target.name)
    try:
        _export_towers(torch, model, staging)
        tokenizer.backend_tokenizer.save(str(staging / TOKENIZER_FILE))
        shutil.copyfile(hf_dir / PREPROCESSOR_FILE, staging / PREPROCESSOR_FILE)
        shutil.copyfile(hf_dir / "config.json", staging / "config.json")
        pad = tokenizer.pad_token_id
        ClipModelConfig(
            name=name or hf_dir.resolve().name,
            dimension=int(model.config.projection_dim),
            max_length=int(model.config.text_config.max_position_embeddings),
            pad_id=int(pad if pad is not None else tokenizer.eos_token_id),
            source=str(hf_dir.resolve()),
        ).write(staging)
        _check_loads(staging)
        if target.exists():
            target.rmdir()
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _export_towers(torch: Any, model: Any, folder: Path) -> None:
    class Vision(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, pixel_values: Any) -> Any:
            return self.clip.get_image_features(pixel_values=pixel_values)

    class Text(torch.nn.Module):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.clip = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.clip.get_text_features(input_ids=input_ids, attention_mask=attention_mask)

    side = model.config.vision_config.image_size
    pixels = torch.zeros(2, 3, side, side)
    ids = torch.ones(2, 7, dtype=torch.long)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about python control flow in transformers
        torch.onnx.export(
            Vision(),
            (pixels,),
            str(folder / VISION_FILE),
            input_names=["pixel_values"],
            output_names=["image_embeds"],
            dynamic_axes={"pixel_values": {0: "batch"}, "image_embeds": {0: "batch"}},
            opset_version=OPSET,
            dynamo=False,
        )
        torch.onnx.export(
            Text(),
            (ids, torch.ones_like(ids)),
            str(folder / TEXT_FILE),
            input_names=["input_ids", "attention_mask"],
            output_names=["text_embeds"],
            dynamic_axes={
                "input_ids": {0: "batch", 1: "sequence"},
                "attention_mask": {0: "batch", 1: "sequence"},
                "text_embeds": {0: "batch"},
            },
            opset_version=OPSET,
            dynamo=False,
        )


def _check_loads(model_dir: Path) -> None:
    """Refuse to publish an export our embedder cannot run."""
    embedder = ClipOnnxEmbedder(model_dir, threads=1)
    embedder.embed_images([RgbImage(width=3, height=2, pixels=bytes(18))])
    embedder.embed_texts(["a test sentence"])


def install_clip(
    source: Path, models_dir: Path, *, name: str | None = None, link: bool = False
) -> tuple[Path, bool]:
    """Copy (or symlink, file by file) an exported CLIP folder into ``models_dir/<name>``; (folder, whether
    it was installed now). Installing the same export twice is not an error; nothing appears under the
    final name until the folder is complete and loads."""
    config = ClipModelConfig.read(source)
    config = evolve(config, name=name or config.name, source=config.source or str(source.resolve()))
    target = models_dir / config.name
    if target.exists():
        try:
            installed = ClipModelConfig.read(target)
        except EmbedderError:
            installed = None
        if installed is not None and installed.source == config.source:
            return target, False
        raise EmbedderError(f"{target} exists already; remove it or install under another --name")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = _staging_folder(models_dir, config.name)
    try:
        for item in source.iterdir():
            if item.name == CLIP_CONFIG_FILE or item.is_dir():
                continue
            if link:
                (staging / item.name).symlink_to(item.resolve())
            else:
                shutil.copyfile(item, staging / item.name)
        config.write(staging)
        _check_loads(staging)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target, True
