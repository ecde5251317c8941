"""``anime-mcp models export`` for real: optimum's ONNX exporter on a tiny Hugging Face BERT built here.

No download of any kind: the model (2 layers, 32 dimensions) and its WordPiece tokenizer are built with
transformers and tokenizers in a temp folder, with the sentence-transformers files that say "mean pooling,
then normalise"; sockets are closed while the exports run. The reference vectors come from torch directly
(BertModel forward, attention-mask-weighted mean, L2 norm), independently of the code under test.
Needs the ``export`` extra, which .ci/run installs: a missing export tool fails here, it is not skipped.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import pytest
import torch
from click.testing import CliRunner, Result
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertModel, BertTokenizerFast

from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.onnx_model_config import CONFIG_FILENAME, infer_config, load_config
from anime_mcp.entrypoints.cli import app as cli_app

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = ["death", "note", "book", "kill", "cowboy", "bebop", "space", "jazz", "girl", "magic", "robot", "a"]
PIECES = ["##s", "##er", "##ing", "##y"]
VOCAB = {token: i for i, token in enumerate(SPECIAL + WORDS + PIECES)}
MAX_SEQ_LENGTH = 12  # sentence_bert_config.json: shorter than the 64 positions, so truncation is exercised
TEXTS = [
    "death",
    "Death Note",  # the normaliser lowercases
    "notebooks kill",  # word pieces: note ##book ##s
    "a killer girl with magic",  # "with" is [UNK]
    "cowboy bebop space jazz " * 4,  # 18 tokens: truncated at 12
    "robot",
    "",
]


def build_tiny_bert(folder: Path) -> Path:
    """A Hugging Face BERT folder as sentence-transformers writes it: weights, tokenizer, pooling files."""
    tokenizer = Tokenizer(models.WordPiece(VOCAB, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", VOCAB["[CLS]"]), ("[SEP]", VOCAB["[SEP]"])],
    )
    tokenizer.decoder = decoders.WordPiece()
    BertTokenizerFast(tokenizer_object=tokenizer, model_max_length=64).save_pretrained(folder)
    torch.manual_seed(1234)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).eval().save_pretrained(folder)
    (folder / "modules.json").write_text(
        json.dumps(
            [
                {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
                {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
                {
                    "idx": 2,
                    "name": "2",
                    "path": "2_Normalize",
                    "type": "sentence_transformers.models.Normalize",
                },
            ]
        )
    )
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {
                "word_embedding_dimension": 32,
                "pooling_mode_cls_token": False,
                "pooling_mode_mean_tokens": True,
            }
        )
    )
    (folder / "sentence_bert_config.json").write_text(
        json.dumps({"max_seq_length": MAX_SEQ_LENGTH, "do_lower_case": False})
    )
    return folder


def torch_reference(folder: Path, texts: list[str], *, max_length: int = MAX_SEQ_LENGTH) -> np.ndarray:
    """What sentence-transformers computes: BertModel, attention-mask-weighted mean, L2 normalisation."""
    model = BertModel.from_pretrained(folder).eval()
    tokenizer = BertTokenizerFast.from_pretrained(folder)
    encoded = tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**encoded).last_hidden_state
    mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    mean = (hidden * mask).sum(dim=1) / mask.sum(dim=1)
    return torch.nn.functional.normalize(mean, dim=-1).numpy()


def cosine(a: Any, b: Any) -> float:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def run(home: Path, *args: str) -> Result:
    environment = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": "", "ANIME_MCP_QDRANT_URL": ""}
    return CliRunner().invoke(cli_app.cli, list(args), env=environment, catch_exceptions=False)


@pytest.fixture(scope="module")
def offline() -> Iterator[None]:
    """Any attempt to reach the network (a Hugging Face download) fails the export."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network access in a test that must not download anything")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket.socket, "connect", refuse)
        patch.setattr(socket, "create_connection", refuse)
        yield


@pytest.fixture(scope="module")
def hf_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("hf") / "tiny-bert")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("exports")


@pytest.fixture(scope="module")
def exported(hf_model: Path, workdir: Path, offline: None) -> Path:
    result = run(workdir / "home", "models", "export", "--from", str(hf_model), "--to", str(workdir / "fp32"))
    assert result.exit_code == 0, result.output
    assert f"exported to {workdir / 'fp32'}" in result.stdout
    return workdir / "fp32"


@pytest.fixture(scope="module")
def exported_int8(hf_model: Path, workdir: Path, offline: None) -> Path:
    out = workdir / "int8"
    result = run(workdir / "home", "models", "export", "--from", str(hf_model), "--to", str(out), "--int8")
    assert result.exit_code == 0, result.output
    return out


def test_the_export_embeds_exactly_like_the_torch_model(hf_model: Path, exported: Path) -> None:
    embedder = OnnxTextEmbedder(exported)
    expected = torch_reference(hf_model, TEXTS)
    vectors = np.asarray(embedder.embed_documents(TEXTS))  # one padded batch of mixed lengths
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    for text, reference in zip(TEXTS, expected, strict=True):  # and each text alone, unpadded
        np.testing.assert_allclose(embedder.embed_query(text), reference, atol=1e-5)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx(1.0, abs=1e-5)
    # the vectors differ from each other: the texts were really tokenised, not all [UNK]
    assert max(cosine(vectors[i], vectors[j]) for i in range(4) for j in range(i + 1, 4)) < 0.999


def test_the_export_truncates_at_the_sentence_transformers_length(hf_model: Path, exported: Path) -> None:
    long_text = TEXTS[4]
    tokenizer = BertTokenizerFast.from_pretrained(hf_model)
    assert len(tokenizer(long_text)["input_ids"]) > MAX_SEQ_LENGTH
    vector = OnnxTextEmbedder(exported).embed_query(long_text)
    np.testing.assert_allclose(vector, torch_reference(hf_model, [long_text])[0], atol=1e-5)
    untruncated = torch_reference(hf_model, [long_text], max_length=64)[0]
    assert np.abs(vector - untruncated).max() > 1e-3  # the cut made a difference the test can see


def test_the_export_writes_our_config_and_a_complete_folder(
    hf_model: Path, exported: Path, workdir: Path
) -> None:
    config = json.loads((exported / CONFIG_FILENAME).read_text())
    assert config == {
        "name": "tiny-bert",  # the Hugging Face folder's name
        "dimension": 32,
        "pooling": "mean",
        "normalize": True,  # modules.json has a Normalize module
        "max_length": MAX_SEQ_LENGTH,  # sentence_bert_config.json
        "query_prefix": "",
        "document_prefix": "",
        "onnx_file": "model.onnx",
        "tokenizer_file": "tokenizer.json",
        "output": "last_hidden_state",
        "batch_size": 64,
        "quantized": False,
        "source": str(hf_model.resolve()),
        "format": 1,
    }
    files = {p.relative_to(exported).as_posix() for p in exported.rglob("*")}
    assert {
        "model.onnx",
        "tokenizer.json",
        "config.json",
        "modules.json",
        "sentence_bert_config.json",
        "1_Pooling/config.json",
        CONFIG_FILENAME,
    } <= files
    assert not any(name.startswith(".") for name in files)
    # no hidden staging folder left beside the export, and the folder has ordinary permissions (not 0700)
    assert {p.name for p in workdir.iterdir()} <= {"fp32", "int8", "home"}
    umask = os.umask(0o022)
    os.umask(umask)
    assert exported.stat().st_mode & 0o777 == 0o777 & ~umask


def test_int8_export_is_quantised_and_close_to_fp32(
    exported: Path, exported_int8: Path, workdir: Path
) -> None:
    config = load_config(exported_int8)
    assert (config.name, config.quantized, config.dimension, config.max_length) == (
        "tiny-bert-int8",
        True,
        32,
        MAX_SEQ_LENGTH,
    )
    assert config.source == load_config(exported).source  # the Hugging Face folder, not a scratch folder
    fp32, int8 = OnnxTextEmbedder(exported), OnnxTextEmbedder(exported_int8)
    for text in TEXTS:
        assert cosine(fp32.embed_query(text), int8.embed_query(text)) > 0.98
    # really quantised, not a copy: int8 matrix products in the graph, none in the fp32 one
    ops_int8 = {node.op_type for node in onnx.load(str(exported_int8 / "model.onnx")).graph.node}
    ops_fp32 = {node.op_type for node in onnx.load(str(exported / "model.onnx")).graph.node}
    assert {"DynamicQuantizeLinear", "MatMulInteger"} <= ops_int8
    assert "MatMulInteger" not in ops_fp32
    # neither the staging folder nor the fp32 scratch export is left beside it
    assert {p.name for p in workdir.iterdir()} <= {"fp32", "int8", "home"}


def test_an_export_installs_and_is_listed(exported: Path, workdir: Path) -> None:
    home = workdir / "home"
    result = run(home, "models", "install", "--from", str(exported))
    assert result.exit_code == 0, result.output
    listing = json.loads(run(home, "models", "list", "--json").stdout)
    installed = {model["name"]: model for model in listing["installed"]}
    assert installed["tiny-bert"]["dimension"] == 32
    assert installed["tiny-bert"]["pooling"] == "mean"
    assert installed["tiny-bert"]["quantized"] is False
    path = Path(installed["tiny-bert"]["path"])
    assert path.parent == Path(listing["models_dir"])
    assert listing["configured"]["name"] == "tiny-bert"  # the only installed model is the one used
    np.testing.assert_allclose(
        OnnxTextEmbedder(path).embed_query("death note"),
        OnnxTextEmbedder(exported).embed_query("death note"),
        atol=1e-6,
    )


def test_an_occupied_target_is_refused_and_left_alone(hf_model: Path, exported: Path, workdir: Path) -> None:
    # an occupied --to is refused before any work, and left as it was
    before = sorted(p.name for p in exported.iterdir())
    result = run(workdir / "home", "models", "export", "--from", str(hf_model), "--to", str(exported))
    assert result.exit_code == 1
    assert "exists already" in result.stderr
    assert sorted(p.name for p in exported.iterdir()) == before


def test_an_empty_target_folder_is_filled_and_name_is_used(
    hf_model: Path, tmp_path: Path, offline: None
) -> None:
    target = tmp_path / "ready"
    target.mkdir()
    result = run(
        tmp_path / "home", "models", "export", "--from", str(hf_model), "--to", str(target), "--name", "mine"
    )
    assert result.exit_code == 0, result.output
    assert load_config(target).name == "mine"
    np.testing.assert_allclose(
        OnnxTextEmbedder(target).embed_query("space jazz"),
        torch_reference(hf_model, ["space jazz"])[0],
        atol=1e-5,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["ready"]  # nothing left beside it


def test_a_folder_without_config_json_is_refused_clearly(tmp_path: Path) -> None:
    hf = tmp_path / "not-a-model"
    hf.mkdir()
    (hf / "model.safetensors").write_bytes(b"")
    result = run(tmp_path / "home", "models", "export", "--from", str(hf), "--to", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "has no config.json: not a Hugging Face model folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_folder_without_pooling_files_says_what_to_write(hf_model: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    bare.mkdir()
    for name in ("config.json", "model.safetensors", "tokenizer.json"):
        (bare / name).write_bytes((hf_model / name).read_bytes())
    result = run(tmp_path / "home", "models", "export", "--from", str(bare), "--to", str(tmp_path / "out"))
    assert result.exit_code == 1
    assert "no sentence-transformers pooling config (1_Pooling/config.json)" in result.stderr
    assert f"write {CONFIG_FILENAME}" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("int8", [False, True])
def test_a_failed_export_leaves_nothing_behind(
    hf_model: Path, tmp_path: Path, offline: None, int8: bool
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    for item in hf_model.iterdir():
        if item.is_file():
            (broken / item.name).write_bytes(item.read_bytes())
    (broken / "1_Pooling").mkdir()
    (broken / "1_Pooling" / "config.json").write_bytes((hf_model / "1_Pooling" / "config.json").read_bytes())
    (broken / "model.safetensors").write_bytes(b"not safetensors")
    out = tmp_path / "exports" / "out"
    args = ["models", "export", "--from", str(broken), "--to", str(out), *(["--int8"] if int8 else [])]
    result = run(tmp_path / "home", *args)
    assert result.exit_code == 1
    assert f"optimum could not export {broken} to ONNX" in result.stderr
    assert "Traceback" not in result.output
    assert list((tmp_path / "exports").iterdir()) == []  # no target, no hidden staging or fp32 folder


def test_max_length_without_sentence_transformers_length_comes_from_the_positions(
    hf_model: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "no-st-length"
    folder.mkdir()
    for name in ("config.json", "modules.json"):
        (folder / name).write_bytes((hf_model / name).read_bytes())
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_bytes((hf_model / "1_Pooling" / "config.json").read_bytes())
    assert infer_config(folder).max_length == 64  # max_position_embeddings, not the default 512
    # fairseq-style position ids start after the padding index: XLM-R's 514 positions hold 512 tokens
    (folder / "config.json").write_text(
        json.dumps(
            {
                "model_type": "xlm-roberta",
                "max_position_embeddings": 130,
                "pad_token_id": 1,
                "hidden_size": 32,
            }
        )
    )
    assert infer_config(folder).max_length == 128
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 100}))
    assert infer_config(folder).max_length == 100
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 4096}))
    assert infer_config(folder).max_length == 128  # never past the position embeddings
