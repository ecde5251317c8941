"""A tiny random CLIP built here with transformers' own config classes (no download), and what torch says
its vectors are: the reference the ONNX export and the ``clip_image`` plugin are checked against.

The export is made once per process (``exported_tiny_clip``): a few seconds of torch.onnx.export.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    PreTrainedTokenizerFast,
)

from anime_mcp.ports.image_embedder import RgbImage

WORDS = ["<unk>", "a", "dark", "anime", "girl", "robot", "poster", "red", "blue", "sky", "night", "city"]
BOS, EOS = "<|startoftext|>", "<|endoftext|>"
VOCAB = {word: i for i, word in enumerate([*WORDS, BOS, EOS])}  # end of text last, as in CLIP
MAX_POSITIONS = 8  # texts longer than 8 tokens are truncated (the tower holds no more)
IMAGE_SIZE = 32
PROJECTION = 16


def build_tiny_clip(folder: Path, *, seed: int = 7) -> Path:
    """A Hugging Face CLIP folder: weights, fast tokenizer, preprocessor_config.json."""
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A {EOS}", special_tokens=[(BOS, VOCAB[BOS]), (EOS, VOCAB[EOS])]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=EOS,
        unk_token="<unk>",
        model_max_length=MAX_POSITIONS,
    ).save_pretrained(folder)
    torch.manual_seed(seed)
    config = CLIPConfig(
        text_config={
            "vocab_size": len(VOCAB),
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "max_position_embeddings": MAX_POSITIONS,
            "bos_token_id": VOCAB[BOS],
            "eos_token_id": VOCAB[EOS],
            "pad_token_id": VOCAB[EOS],
        },
        vision_config={
            "hidden_size": 32,
            "intermediate_size": 64,
            "num_hidden_layers": 2,
            "num_attention_heads": 4,
            "image_size": IMAGE_SIZE,
            "patch_size": 8,
        },
        projection_dim=PROJECTION,
    )
    CLIPModel(config).eval().save_pretrained(folder)
    CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIZE}, crop_size={"height": IMAGE_SIZE, "width": IMAGE_SIZE}
    ).save_pretrained(folder)
    return folder


@functools.cache
def exported_tiny_clip() -> tuple[Path, Path]:
    """(the Hugging Face folder, its ONNX export), made once per test process under a temp folder."""
    from anime_mcp.adapters.clip_export import export_clip

    root = Path(tempfile.mkdtemp(prefix="anime-mcp-tiny-clip-"))
    hf = build_tiny_clip(root / "hf")
    return hf, export_clip(hf, root / "onnx", name="tiny-clip")


def picture(width: int, height: int, seed: int) -> Image.Image:
    """A smooth random picture (gradients and blobs: resizing matters, unlike pure noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    channels = [
        127 + 120 * np.sin(x / rng.uniform(2, 9) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(2, 9))
        for _ in range(3)
    ]
    return Image.fromarray(np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8), "RGB")


def rgb(image: Image.Image) -> RgbImage:
    return RgbImage(width=image.width, height=image.height, pixels=image.convert("RGB").tobytes())


def torch_image_vectors(hf: Path, images: list[Image.Image]) -> np.ndarray:
    """What transformers computes: CLIPImageProcessor, get_image_features, L2 normalisation."""
    model = CLIPModel.from_pretrained(hf).eval()
    pixels = CLIPImageProcessor.from_pretrained(hf)(images=images, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        features = model.get_image_features(pixel_values=pixels)
    return torch.nn.functional.normalize(features, dim=-1).numpy()


def torch_text_vectors(hf: Path, texts: list[str]) -> np.ndarray:
    model = CLIPModel.from_pretrained(hf).eval()
    tokenizer = PreTrainedTokenizerFast.from_pretrained(hf)
    encoded = tokenizer(texts, padding=True, truncation=True, max_length=MAX_POSITIONS, return_tensors="pt")
    with torch.no_grad():
        features = model.get_text_features(
            input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]
        )
    return torch.nn.functional.normalize(features, dim=-1).numpy()
