"""The files of an exported CLIP model folder (``anime-mcp models export`` writes them; the ``clip_image``
plugin loads them). Apart from the runtime, so telling a CLIP folder from a text one imports nothing heavy.
"""

from __future__ import annotations

from pathlib import Path

VISION_FILE = "vision_model.onnx"  # pixel_values -> image_embeds (projected, not yet normalised)
TEXT_FILE = "text_model.onnx"  # input_ids, attention_mask -> text_embeds
TOKENIZER_FILE = "tokenizer.json"
PREPROCESSOR_FILE = "preprocessor_config.json"  # resize, crop, rescale, mean and std, as the model expects
CLIP_CONFIG_FILE = "anime-mcp-clip.json"  # name, dimension, text length: read without loading weights
CLIP_FILES = (VISION_FILE, TEXT_FILE, TOKENIZER_FILE, PREPROCESSOR_FILE, CLIP_CONFIG_FILE)


def looks_like_clip_model(model_dir: Path) -> bool:
    """Cheap check (no weights read): the folder holds both towers, the tokenizer and both configs."""
    return all((model_dir / name).is_file() for name in CLIP_FILES)
