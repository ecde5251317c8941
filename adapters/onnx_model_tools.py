"""Preparing model folders: install (copy or link) an ONNX export, int8 quantisation, optimum export.

Quantisation uses onnxruntime's own tools (no torch needed). Export needs optimum's ONNX exporter, an
optional extra (``anime-mcp[export]``), imported only when asked for.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from pathlib import Path

from attrs import evolve

from anime_mcp.adapters.onnx_model_config import CONFIG_FILENAME, OnnxModelConfig, load_config
from anime_mcp.core.search_errors import EmbedderError

# Files of a sentence-transformers folder that describe pooling; kept so the export stays self-describing.
_ST_FILES = ("modules.json", "sentence_bert_config.json", "config_sentence_transformers.json")
_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "sentencepiece.bpe.model",
    "config.json",
)


def _copy(source: Path, target: Path) -> None:
    """Copy contents only, not permissions: a model copied from a read-only share stays writable here."""
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        for item in source.iterdir():
            _copy(item, target / item.name)
    else:
        shutil.copyfile(source, target)


def _copy_side_files(source: Path, target: Path) -> None:
    for name in (*_TOKENIZER_FILES, *_ST_FILES, "1_Pooling"):
        if (source / name).exists():
            _copy(source / name, target / name)


def install_model(
    source: Path, models_dir: Path, *, name: str | None = None, link: bool = False, int8: bool = False
) -> Path:
    """Copy (or symlink, file by file) a model folder into ``models_dir/<name>`` with its config written.

    With ``int8`` the installed model is the per-channel int8 quantisation of the source (named
    ``<name>-int8`` unless ``name`` is given): about 2x faster on CPU. Nothing appears under the final name
    until the folder is complete.
    """
    config = _install_config(source, name, int8=int8, link=link)
    target = models_dir / config.name
    if target.exists():
        raise EmbedderError(f"{target} exists already; remove it or install under another --name")
    models_dir.mkdir(parents=True, exist_ok=True)
    staging = _staging_folder(models_dir, config.name)
    try:
        if int8:
            quantize_model(source, staging, name=config.name, origin=config.source)
        else:
            for item in source.iterdir():
                if item.name == CONFIG_FILENAME:
                    continue
                destination = staging / item.name
                if link:
                    destination.symlink_to(item.resolve())
                else:
                    _copy(item, destination)
            config.write(staging)
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def find_installed(
    source: Path, models_dir: Path, *, name: str | None = None, int8: bool = False, link: bool = False
) -> Path | None:
    """The folder an earlier identical ``install_model`` call made (same source, same variant), if any."""
    config = _install_config(source, name, int8=int8, link=link)
    target = models_dir / config.name
    if not target.is_dir():
        return None
    try:
        installed = load_config(target)
    except EmbedderError:
        return None
    same = (installed.source, installed.quantized) == (config.source, int8 or config.quantized)
    return target if same else None


def _install_config(source: Path, name: str | None, *, int8: bool, link: bool) -> OnnxModelConfig:
    if link and int8:
        raise EmbedderError("--link and --int8 exclude each other: quantising writes a new model.onnx")
    config = load_config(source)
    return evolve(
        config,
        name=name or (f"{config.name}-int8" if int8 else config.name),
        source=config.source or str(source.resolve()),
    )


def quantize_model(source: Path, target: Path, *, name: str | None = None, origin: str = "") -> Path:
    """Per-channel dynamic int8 quantisation (default settings drift to cosine ~0.95; per-channel ~0.993)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process

    config = load_config(source)
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        prepared = Path(scratch) / "prepared.onnx"
        quant_pre_process(str(source / config.onnx_file), str(prepared), skip_symbolic_shape=True)
        quantize_dynamic(
            str(prepared), str(target / "model.onnx"), per_channel=True, weight_type=QuantType.QInt8
        )
    _copy_side_files(source, target)
    quantized = evolve(
        config,
        name=name or f"{config.name}-int8",
        onnx_file="model.onnx",
        quantized=True,
        source=origin or config.source or str(source),
    )
    quantized.write(target)
    return target


def export_model(hf_dir: Path, target: Path, *, name: str | None = None, int8: bool = False) -> Path:
    """Export a local Hugging Face (sentence-transformers) folder to ONNX with optimum; write our config.

    The graph ends at ``last_hidden_state`` (library "transformers": pooling and normalisation are ours, read
    from the folder's sentence-transformers files or its own ``anime-mcp-model.json``). With ``int8`` only
    the per-channel int8 quantisation is written to ``target`` (named ``<name>-int8`` unless ``name`` is
    given, like ``install --int8``); the fp32 export is a scratch folder, removed. Everything is built in
    a hidden folder beside ``target`` and moved into place once complete and loadable: a failed export
    leaves nothing behind. Nothing is downloaded (``local_files_only``).
    """
    try:
        from optimum.exporters.onnx import main_export
    except ImportError:
        raise EmbedderError(
            "`models export` needs optimum's ONNX exporter, which is not installed. Install torch from a "
            "CPU wheel first (pip install torch==2.13.0), then pip install 'anime-mcp[export]' with "
            "torch pinned (-c a constraints file with torch==2.13.0), or pip pulls a CUDA torch and ~3 GB "
            "of nvidia wheels. Alternatively install an existing ONNX export: `anime-mcp models install`."
        ) from None
    if not hf_dir.is_dir():
        raise EmbedderError(f"no Hugging Face model folder at {hf_dir}")
    if not (hf_dir / "config.json").is_file():
        raise EmbedderError(
            f"{hf_dir} has no config.json: not a Hugging Face model folder. Point --from at the folder "
            "that holds config.json, the weights (model.safetensors or pytorch_model.bin) and the tokenizer "
            "(in an older sentence-transformers layout that is the 0_Transformer subfolder; copy 1_Pooling "
            "and modules.json beside it)"
        )
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise EmbedderError(f"{target} exists already; remove it or export --to another folder")
    settings = load_config(hf_dir)  # our config file in HF_DIR, else its sentence-transformers files
    config = evolve(
        settings,
        name=name or (f"{settings.name}-int8" if int8 else settings.name),
        onnx_file="model.onnx",
        tokenizer_file="tokenizer.json",
        output="last_hidden_state",
        quantized=False,
        source=str(hf_dir.resolve()),
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _staging_folder(target.parent, target.name)
    scratch = staging.with_name(staging.name + ".fp32") if int8 else None
    try:
        if scratch is not None:
            scratch.mkdir()
        fp32 = scratch or staging
        try:
            main_export(
                str(hf_dir),
                output=str(fp32),
                task="feature-extraction",
                library_name="transformers",
                local_files_only=True,
            )
        except Exception as exc:  # optimum and transformers raise anything: OSError, ValueError, KeyError...
            raise EmbedderError(
                f"optimum could not export {hf_dir} to ONNX: {type(exc).__name__}: {exc}"
            ) from exc
        _copy_side_files(hf_dir, fp32)
        if not (fp32 / config.tokenizer_file).is_file():
            raise EmbedderError(
                f"the export of {hf_dir} has no {config.tokenizer_file}: its tokenizer has no fast "
                "(tokenizers) version; export a model with a fast tokenizer"
            )
        config.write(fp32)
        if scratch is not None:
            quantize_model(scratch, staging, name=config.name)
        _check_loads(staging)
        if target.exists():
            target.rmdir()  # empty (checked above): os.replace puts the export in its place
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _staging_folder(parent: Path, name: str) -> Path:
    """A hidden work folder beside the final one: the same file system for the final rename, and room for
    big models (a small /tmp would not hold a BGE-M3 export). mkdir, not mkdtemp: the model gets the umask's
    permissions, not 0700."""
    staging = parent / f".{name}.{secrets.token_hex(4)}"
    staging.mkdir()
    return staging


def _check_loads(model_dir: Path) -> None:
    """Refuse to publish an export our embedder cannot run (wrong dimension, missing output or tokenizer)."""
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder

    embedder = OnnxTextEmbedder(model_dir, threads=1)
    embedder.embed_query("a test sentence")
