"""The small config file beside an ONNX text model: pooling, normalisation, lengths, prefixes, dimension.

A model folder holds ``model.onnx``, ``tokenizer.json`` and ``anime-mcp-model.json``. Folders exported by
sentence-transformers / optimum without our file still load: the settings are then read from
``1_Pooling/config.json``, ``sentence_bert_config.json``, ``modules.json`` and ``config.json``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from attrs import asdict, field, fields, frozen
from attrs.validators import in_, instance_of

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.search_errors import EmbedderError

CONFIG_FILENAME = "anime-mcp-model.json"
CONFIG_FORMAT = 1
POOLINGS = ("mean", "cls")


class ModelConfigError(EmbedderError):
    """The model folder's config is missing or unusable."""


def _positive(instance: object, attribute: Any, value: int) -> None:
    if value <= 0:
        raise ModelConfigError(f"{attribute.name} must be a positive number, not {value}")


@frozen
class OnnxModelConfig:
    name: str
    dimension: int = field(validator=_positive)
    pooling: str = field(default="mean", validator=in_(POOLINGS))
    normalize: bool = True
    max_length: int = field(default=256, validator=_positive)
    query_prefix: str = ""
    document_prefix: str = ""
    onnx_file: str = "model.onnx"
    tokenizer_file: str = "tokenizer.json"
    output: str = ""  # graph output to pool; "" picks last_hidden_state / token_embeddings / the first one
    batch_size: int = field(default=64, validator=_positive)
    quantized: bool = False
    source: str = ""  # where the weights came from (Hugging Face folder, wheel, ...)
    format: int = field(default=CONFIG_FORMAT, validator=instance_of(int))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2) + "\n"

    def write(self, model_dir: Path) -> Path:
        path = model_dir / CONFIG_FILENAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, raw: dict[str, Any], *, where: str) -> OnnxModelConfig:
        known = {a.name for a in fields(cls)}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ModelConfigError(f"{where}: unknown setting(s) {', '.join(unknown)}")
        if raw.get("format", CONFIG_FORMAT) != CONFIG_FORMAT:
            raise ModelConfigError(
                f"{where}: config format {raw.get('format')} is not supported "
                f"(this version reads format {CONFIG_FORMAT})"
            )
        try:
            return cls(**raw)
        except (TypeError, ValueError, AnimeMcpError) as exc:
            raise ModelConfigError(f"{where}: {exc}") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelConfigError(f"{path} is not readable JSON ({exc})") from None


# Architectures whose position ids start after the padding index (fairseq style): XLM-R's 514 positions
# hold 512 tokens.
_OFFSET_POSITIONS = ("roberta", "xlm-roberta", "xlm-roberta-xl", "camembert", "mpnet", "data2vec-text")


def _position_limit(hf_config: dict[str, Any]) -> int | None:
    """How many tokens the model's position embeddings hold, from its Hugging Face config.json."""
    positions = hf_config.get("max_position_embeddings")
    if not isinstance(positions, int) or positions <= 0:
        return None
    if hf_config.get("model_type") in _OFFSET_POSITIONS:
        pad = hf_config.get("pad_token_id")
        positions -= (pad if isinstance(pad, int) else 1) + 1
    return positions if positions > 0 else None


def infer_config(model_dir: Path, *, name: str | None = None) -> OnnxModelConfig:
    """Settings of a sentence-transformers style export (no ``anime-mcp-model.json`` yet)."""
    pooling_file = model_dir / "1_Pooling" / "config.json"
    if not pooling_file.is_file():
        raise ModelConfigError(
            f"{model_dir} has no {CONFIG_FILENAME} and no sentence-transformers pooling config "
            f"(1_Pooling/config.json) to infer one from; write {CONFIG_FILENAME} (see docs/search.md, Models)"
        )
    pooling_raw = _read_json(pooling_file)
    if pooling_raw.get("pooling_mode_cls_token"):
        pooling = "cls"
    elif pooling_raw.get("pooling_mode_mean_tokens"):
        pooling = "mean"
    else:
        raise ModelConfigError(f"{pooling_file}: only CLS and mean pooling are supported")
    hf_config = _read_json(model_dir / "config.json") if (model_dir / "config.json").is_file() else {}
    if not isinstance(hf_config, dict):
        raise ModelConfigError(f"{model_dir / 'config.json'}: expected a JSON object")
    dimension = pooling_raw.get("word_embedding_dimension") or hf_config.get("hidden_size")
    if not dimension:
        raise ModelConfigError(f"{model_dir}: cannot tell the embedding dimension; write {CONFIG_FILENAME}")
    max_length = 512
    st_config = model_dir / "sentence_bert_config.json"
    if st_config.is_file():
        max_length = int(_read_json(st_config).get("max_seq_length") or max_length)
    positions = _position_limit(hf_config)
    if positions:  # longer inputs would index past the position embeddings
        max_length = min(max_length, positions)
    normalize = False
    modules = model_dir / "modules.json"
    if modules.is_file():
        normalize = any(str(m.get("type", "")).endswith(".Normalize") for m in _read_json(modules))
    default_name = model_dir.resolve().name.removesuffix("-onnx")
    return OnnxModelConfig(
        name=name or default_name,
        dimension=int(dimension),
        pooling=pooling,
        normalize=normalize,
        max_length=max_length,
    )


def load_config(model_dir: Path) -> OnnxModelConfig:
    if not model_dir.is_dir():
        raise ModelConfigError(f"no model folder at {model_dir}")
    path = model_dir / CONFIG_FILENAME
    if path.is_file():
        raw = _read_json(path)
        if not isinstance(raw, dict):
            raise ModelConfigError(f"{path}: expected a JSON object")
        return OnnxModelConfig.from_dict(raw, where=str(path))
    return infer_config(model_dir)


def looks_like_onnx_text_model(model_dir: Path) -> bool:
    return (model_dir / "tokenizer.json").is_file() and any(model_dir.glob("*.onnx"))
