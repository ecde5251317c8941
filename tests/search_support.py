"""Helpers for the search tests: a tiny ONNX text model built here (no download), and catalogue slices.

The tiny model is a real ONNX graph run by onnxruntime: token embeddings ``E[input_ids] @ W`` masked by
the attention mask, output ``last_hidden_state`` ``[batch, seq, dim]``; its tokenizer is a real
``tokenizers`` word-level tokenizer with ``[CLS] ... [SEP]`` added. ``reference_vector`` computes what
the embedder must return, with numpy, independently of the code under test.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import onnx
import zstandard
from onnx import TensorProto, helper, numpy_helper
from shared_data import CATALOGUE, MINILM, SHARED  # noqa: F401 - re-exported for the search tests
from tokenizers import Tokenizer, models, pre_tokenizers, processors

WORDS = [
    "death",
    "note",
    "notebook",
    "kills",
    "cowboy",
    "bebop",
    "space",
    "jazz",
    "cooking",
    "comedy",
    "school",
    "mecha",
    "robot",
    "ghibli",
    "movie",
    "magic",
    "girl",
    "detective",
    "music",
    "sports",
]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]"]
VOCAB = {token: i for i, token in enumerate(SPECIAL + WORDS)}


def tiny_tokenizer(*, fixed_length: int | None = None) -> Tokenizer:
    tokenizer = Tokenizer(models.WordLevel(VOCAB, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])]
    )
    if fixed_length is not None:  # like the shipped MiniLM tokenizer.json: padding and truncation fixed
        tokenizer.enable_truncation(max_length=fixed_length)
        tokenizer.enable_padding(length=fixed_length, pad_id=0, pad_token="[PAD]")
    return tokenizer


def tiny_weights(dim: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (
        rng.normal(size=(len(VOCAB), dim)).astype(np.float32),
        rng.normal(size=(dim, dim)).astype(np.float32),
    )


def tiny_graph(dim: int, *, pooled_output: bool = False, seed: int = 7) -> onnx.ModelProto:
    embeddings, projection = tiny_weights(dim, seed)
    nodes = [
        helper.make_node("Gather", ["E", "input_ids"], ["tokens"]),
        helper.make_node("MatMul", ["tokens", "W"], ["projected"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask_f", "axis"], ["mask3"]),
        helper.make_node("Mul", ["projected", "mask3"], ["last_hidden_state"]),
    ]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", dim])]
    if pooled_output:
        nodes.append(
            helper.make_node(
                "ReduceMean", ["last_hidden_state"], ["sentence_embedding"], axes=[1], keepdims=0
            )
        )
        outputs = [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dim])]
    graph = helper.make_graph(
        nodes,
        "tiny-text-encoder",
        inputs=[
            helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"])
            for name in ("input_ids", "attention_mask", "token_type_ids")
        ],
        outputs=outputs,
        initializer=[
            numpy_helper.from_array(embeddings, "E"),
            numpy_helper.from_array(projection, "W"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def write_tiny_model(
    directory: Path,
    *,
    dim: int = 8,
    config: dict[str, object] | None = None,
    fixed_length: int | None = None,
    pooled_output: bool = False,
    seed: int = 7,
) -> Path:
    """A complete model folder: model.onnx, tokenizer.json and anime-mcp-model.json (unless config is {})."""
    directory.mkdir(parents=True, exist_ok=True)
    onnx.save(tiny_graph(dim, pooled_output=pooled_output, seed=seed), str(directory / "model.onnx"))
    tiny_tokenizer(fixed_length=fixed_length).save(str(directory / "tokenizer.json"))
    settings = {
        "name": f"tiny-{dim}",
        "dimension": dim,
        "pooling": "mean",
        "normalize": True,
        "max_length": 32,
        "batch_size": 4,
    }
    if config != {}:
        settings.update(config or {})
        (directory / "anime-mcp-model.json").write_text(json.dumps(settings), encoding="utf-8")
    return directory


def reference_vector(
    text: str,
    *,
    dim: int = 8,
    pooling: str = "mean",
    normalize: bool = True,
    max_length: int = 32,
    seed: int = 7,
) -> np.ndarray:
    """What the tiny model folder must embed ``text`` to, computed with numpy alone."""
    embeddings, projection = tiny_weights(dim, seed)
    ids = [VOCAB["[CLS]"]] + [VOCAB.get(w, VOCAB["[UNK]"]) for w in text.split()] + [VOCAB["[SEP]"]]
    if len(ids) > max_length:
        ids = [*ids[: max_length - 1], VOCAB["[SEP]"]]
    hidden = embeddings[ids] @ projection
    vector = hidden[0] if pooling == "cls" else hidden.mean(axis=0)
    return vector / np.linalg.norm(vector) if normalize else vector


def catalogue_lines() -> tuple[str, list[str]]:
    """The real catalogue's metadata line and entry lines (decompressed once per call)."""
    with CATALOGUE.open("rb") as fh:
        text = io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(fh), encoding="utf-8").read()
    lines = text.splitlines()
    return lines[0], lines[1:]


def write_slice(path: Path, metadata: str, lines: Iterable[str]) -> Path:
    path.write_text("\n".join([metadata, *lines]) + "\n", encoding="utf-8")
    return path


def pick_lines(
    lines: Sequence[str], *, every: int, titles: Iterable[str] = (), contains: Iterable[str] = ()
) -> list[str]:
    """Every ``every``-th entry line plus the lines with these exact titles or substrings (lower case)."""
    wanted = {f'"title":"{t}"' for t in titles}
    needles = [c.lower() for c in contains]
    return [
        line
        for i, line in enumerate(lines)
        if i % every == 0 or any(w in line for w in wanted) or any(n in line.lower() for n in needles)
    ]
