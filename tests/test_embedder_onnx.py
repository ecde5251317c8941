"""The ONNX text embedder against a tiny model built here (exact numbers) and the real all-MiniLM-L6-v2."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from search_support import MINILM, reference_vector, write_tiny_model
from shared_data import require_shared

from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder, choose_providers, default_threads
from anime_mcp.adapters.onnx_model_config import CONFIG_FILENAME, ModelConfigError, infer_config, load_config
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.ports.embedder import BulkEmbedder, Embedder


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return write_tiny_model(tmp_path / "tiny")


def cosine(a: object, b: object) -> float:
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def test_mean_pooling_matches_a_numpy_reference(tiny: Path) -> None:
    embedder = OnnxTextEmbedder(tiny)
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dimension) == ("tiny-8", 8)
    vector = embedder.embed_query("death note kills")
    assert len(vector) == 8
    np.testing.assert_allclose(vector, reference_vector("death note kills"), atol=1e-6)
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-6)


def test_cls_pooling_and_no_normalisation_come_from_the_config(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "cls", config={"pooling": "cls", "normalize": False})
    vector = OnnxTextEmbedder(folder).embed_query("space jazz")
    np.testing.assert_allclose(
        vector, reference_vector("space jazz", pooling="cls", normalize=False), atol=1e-5
    )


def test_batches_of_mixed_lengths_give_the_same_vectors_in_input_order(tiny: Path) -> None:
    embedder = OnnxTextEmbedder(tiny)  # batch_size 4 in the tiny config: several padded batches
    texts = [
        "death",
        "cowboy bebop space jazz kills",
        "note",
        "ghibli movie magic girl",
        "school",
        "mecha robot sports music detective comedy",
        "cooking",
        "notebook kills death note",
        "",
    ]
    together = embedder.embed_documents(texts)
    for text, vector in zip(texts, together, strict=True):
        np.testing.assert_allclose(vector, embedder.embed_documents([text])[0], atol=1e-6)
        np.testing.assert_allclose(vector, reference_vector(text), atol=1e-6)
    assert embedder.embed_documents([]) == []


def test_the_shipped_tokenizer_padding_and_truncation_are_replaced_by_the_config(tmp_path: Path) -> None:
    # tokenizer.json fixes both at 3 tokens (the real MiniLM file fixes 128); the config says 32.
    folder = write_tiny_model(tmp_path / "fixed", fixed_length=3)
    text = "death note kills space jazz"
    np.testing.assert_allclose(OnnxTextEmbedder(folder).embed_query(text), reference_vector(text), atol=1e-6)


def test_max_length_truncates_long_texts(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "short", config={"max_length": 4})
    long_text = "death note kills space jazz cooking"
    vector = OnnxTextEmbedder(folder).embed_query(long_text)
    np.testing.assert_allclose(vector, reference_vector(long_text, max_length=4), atol=1e-6)
    np.testing.assert_allclose(vector, reference_vector("death note"), atol=1e-6)  # [CLS] death note [SEP]


def test_query_and_document_prefixes(tmp_path: Path) -> None:
    folder = write_tiny_model(
        tmp_path / "prefixed", config={"query_prefix": "magic ", "document_prefix": "movie "}
    )
    embedder = OnnxTextEmbedder(folder)
    np.testing.assert_allclose(embedder.embed_query("girl"), reference_vector("magic girl"), atol=1e-6)
    np.testing.assert_allclose(
        embedder.embed_documents(["girl"])[0], reference_vector("movie girl"), atol=1e-6
    )


def test_a_graph_that_pools_itself_is_used_as_it_is(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "pooled", pooled_output=True)
    vector = OnnxTextEmbedder(folder).embed_query("death note")
    np.testing.assert_allclose(vector, reference_vector("death note"), atol=1e-6)


def test_runs_on_cpu_with_a_sane_thread_count(tiny: Path) -> None:
    embedder = OnnxTextEmbedder(tiny)
    assert embedder.providers[-1] == "CPUExecutionProvider"  # what the session really uses
    assert choose_providers()[-1] == "CPUExecutionProvider"
    assert 1 <= embedder.threads == default_threads() <= 8
    assert OnnxTextEmbedder(tiny, threads=1).threads == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dimension": 16}, "the config says 16 dimensions, the graph's output 'last_hidden_state' has 8"),
        ({"pooling": "max"}, "pooling"),
        ({"max_length": 0}, "max_length must be a positive number"),
        ({"colour": "blue"}, "unknown setting(s) colour"),
        ({"output": "logits"}, "has no output 'logits'"),
    ],
)
def test_bad_configs_are_refused_with_a_clear_message(
    tmp_path: Path, change: dict[str, object], message: str
) -> None:
    folder = write_tiny_model(tmp_path / "bad", config=change)
    with pytest.raises(ModelConfigError, match=None) as raised:
        OnnxTextEmbedder(folder)
    assert message in str(raised.value)


def test_missing_files_are_named(tmp_path: Path, tiny: Path) -> None:
    with pytest.raises(ModelConfigError, match="no model folder"):
        OnnxTextEmbedder(tmp_path / "nowhere")
    (tiny / "tokenizer.json").unlink()
    with pytest.raises(ModelConfigError, match="no tokenizer at"):
        OnnxTextEmbedder(tiny)
    bare = write_tiny_model(tmp_path / "bare", config={})
    with pytest.raises(ModelConfigError, match=f"no {CONFIG_FILENAME}"):
        OnnxTextEmbedder(bare)
    broken = write_tiny_model(tmp_path / "broken")
    (broken / "model.onnx").write_bytes(b"not a graph")
    with pytest.raises(EmbedderError, match="onnxruntime cannot load"):
        OnnxTextEmbedder(broken)


def test_settings_are_inferred_from_a_sentence_transformers_export(tmp_path: Path) -> None:
    folder = write_tiny_model(tmp_path / "st-model-onnx", config={})
    (folder / "1_Pooling").mkdir()
    (folder / "1_Pooling" / "config.json").write_text(
        json.dumps(
            {"word_embedding_dimension": 8, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}
        )
    )
    (folder / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 5}))
    (folder / "modules.json").write_text(json.dumps([{"type": "sentence_transformers.models.Normalize"}]))
    config = infer_config(folder)
    assert (config.name, config.dimension, config.pooling, config.max_length, config.normalize) == (
        "st-model",
        8,
        "cls",
        5,
        True,
    )
    vector = OnnxTextEmbedder(folder).embed_query("death note kills space")
    np.testing.assert_allclose(
        vector, reference_vector("death note kills space", pooling="cls", max_length=5), atol=1e-6
    )


def test_int8_quantisation_stays_close_to_fp32(tmp_path: Path, tiny: Path) -> None:
    from anime_mcp.adapters.onnx_model_tools import quantize_model

    quantized = quantize_model(tiny, tmp_path / "tiny-int8")
    config = load_config(quantized)
    assert (config.name, config.quantized, config.dimension) == ("tiny-8-int8", True, 8)
    fp32, int8 = OnnxTextEmbedder(tiny), OnnxTextEmbedder(quantized)
    for text in ("death note", "cowboy bebop space jazz", "ghibli movie magic girl"):
        assert cosine(fp32.embed_query(text), int8.embed_query(text)) > 0.98


def test_install_copies_or_links_a_model_and_writes_its_config(tmp_path: Path) -> None:
    from anime_mcp.adapters.onnx_model_tools import install_model

    source = write_tiny_model(tmp_path / "src", config={})
    shutil.copytree(MINILM / "1_Pooling", source / "1_Pooling")
    shutil.copy(MINILM / "modules.json", source / "modules.json")  # says: normalise
    (source / "1_Pooling" / "config.json").write_text(
        json.dumps({"word_embedding_dimension": 8, "pooling_mode_mean_tokens": True})
    )
    linked = install_model(source, tmp_path / "models", name="linked", link=True)
    assert (linked / "model.onnx").is_symlink()
    assert load_config(linked).name == "linked"
    np.testing.assert_allclose(
        OnnxTextEmbedder(linked).embed_query("death"), reference_vector("death"), atol=1e-6
    )
    copied = install_model(source, tmp_path / "models", name="copied")
    assert not (copied / "model.onnx").is_symlink()
    with pytest.raises(EmbedderError, match="exists already"):
        install_model(source, tmp_path / "models", name="copied")


def test_export_without_optimum_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anime_mcp.adapters.onnx_model_tools import export_model

    # .ci/run installs the export extra: None in sys.modules makes the import fail as if it were not there.
    monkeypatch.setitem(sys.modules, "optimum.exporters.onnx", None)
    with pytest.raises(EmbedderError, match=r"torch==2\.13\.0.*anime-mcp\[export\]") as raised:
        export_model(tmp_path, tmp_path / "out")
    assert "anime-mcp models install" in str(raised.value)  # the way round it: an existing ONNX export
    assert not (tmp_path / "out").exists()


# --- the real model (../shared/models): semantics, not just arithmetic ----------------------------------
@pytest.fixture(scope="module")
def minilm() -> OnnxTextEmbedder:
    return OnnxTextEmbedder(require_shared(MINILM))


def test_minilm_settings_are_read_from_its_sentence_transformers_files(minilm: OnnxTextEmbedder) -> None:
    config = minilm.config
    assert (config.name, config.dimension, config.pooling, config.max_length, config.normalize) == (
        "all-MiniLM-L6-v2",
        384,
        "mean",
        256,
        True,
    )


def test_minilm_embeds_meaning(minilm: OnnxTextEmbedder) -> None:
    query = minilm.embed_query("a dark psychological thriller about a notebook that kills people")
    death_note, cooking = minilm.embed_documents(
        [
            "Death Note. A high school student finds a supernatural notebook: whoever's name is written "
            "in it dies. Tags: mystery, psychological, supernatural, thriller.",
            "A light-hearted comedy about a family restaurant and its cooking competitions. "
            "Tags: comedy, gourmet.",
        ]
    )
    assert len(query) == 384
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-5)
    assert cosine(query, death_note) > 0.45
    assert cosine(query, cooking) < 0.2


def test_minilm_long_documents_use_more_than_the_shipped_128_tokens(minilm: OnnxTextEmbedder) -> None:
    head = " ".join(["a quiet story about friendship"] * 26)  # about 130 tokens
    long_a = head + " in the end everyone is eaten by giant robots in space"
    long_b = head + " in the end they open a small bakery by the sea"
    a, b = minilm.embed_documents([long_a, long_b])
    assert cosine(a, b) < 0.9999  # tokens past 128 changed the vectors: truncation is 256, not 128


def test_bulk_embedding_yields_every_position_once_shortest_first(tiny: Path) -> None:
    embedder = OnnxTextEmbedder(tiny)  # batch_size 4
    texts = [
        "notebook kills death note in space",
        "death",
        "",
        "cowboy bebop jazz",
        "ghibli",
        "school girl",
    ] * 3
    batches = list(embedder.embed_documents_in_batches(texts))
    positions = [p for batch, _ in batches for p in batch]
    assert sorted(positions) == list(range(len(texts)))
    assert all(len(batch) <= 4 for batch, _ in batches)
    lengths = [len(texts[p].split()) for p in positions]
    assert lengths == sorted(lengths)  # word count follows token count for these texts
    expected = embedder.embed_documents(texts)
    for batch, vectors in batches:
        for position, vector in zip(batch, vectors, strict=True):
            np.testing.assert_allclose(vector, expected[position], atol=1e-6)
    assert list(embedder.embed_documents_in_batches([])) == []
    assert isinstance(embedder, BulkEmbedder)
