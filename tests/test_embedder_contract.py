"""One contract for the Embedder port, run against the ONNX embedder with the real all-MiniLM-L6-v2 model
(../shared/models) and the public fake (``anime_mcp.testing.FakeEmbedder``), so the fake cannot drift."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from shared_data import MINILM, require_shared

from anime_mcp.ports.embedder import BulkEmbedder, Embedder
from anime_mcp.testing import FakeEmbedder

TEXTS = [
    "Death Note",
    "A notebook that kills: Death Note, the anime",
    "cooking comedy in a high school",
    "",
    "魔法少女まどか☆マギカ",
    "Cowboy Bebop " * 200,  # longer than the model's window: truncated, not refused
]


def _onnx() -> Embedder:
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder

    return OnnxTextEmbedder(require_shared(MINILM))


EMBEDDERS: dict[str, Callable[[], Embedder]] = {"fake": lambda: FakeEmbedder(64), "onnx-minilm": _onnx}


@pytest.fixture(scope="module", params=sorted(EMBEDDERS))
def embedder(request: pytest.FixtureRequest) -> Embedder:
    return EMBEDDERS[request.param]()


def test_it_implements_the_port(embedder: Embedder) -> None:
    assert isinstance(embedder, Embedder)
    assert embedder.name and embedder.dimension > 1


def test_vectors_have_the_dimension_and_unit_length(embedder: Embedder) -> None:
    vectors = np.array(embedder.embed_documents(TEXTS))
    assert vectors.shape == (len(TEXTS), embedder.dimension)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    query = np.array(embedder.embed_query("death note"))
    assert query.shape == (embedder.dimension,)
    assert abs(np.linalg.norm(query) - 1.0) < 1e-4


def test_the_same_text_gives_the_same_vector(embedder: Embedder) -> None:
    first = embedder.embed_documents(TEXTS)
    again = embedder.embed_documents(TEXTS)
    np.testing.assert_allclose(first, again, atol=1e-6)
    np.testing.assert_allclose(embedder.embed_query(TEXTS[0]), first[0], atol=1e-5)


def test_a_batch_equals_its_texts_one_by_one(embedder: Embedder) -> None:
    batch = embedder.embed_documents(TEXTS)
    single = [embedder.embed_documents([text])[0] for text in TEXTS]
    np.testing.assert_allclose(batch, single, atol=1e-5)
    assert embedder.embed_documents([]) == []


def test_bulk_embedding_when_offered_yields_every_position_once(embedder: Embedder) -> None:
    if not isinstance(embedder, BulkEmbedder):
        return  # optional capability
    expected = embedder.embed_documents(TEXTS)
    seen: dict[int, list[float]] = {}
    for positions, vectors in embedder.embed_documents_in_batches(TEXTS):
        assert len(positions) == len(vectors)
        for position, vector in zip(positions, vectors, strict=True):
            assert position not in seen
            seen[position] = vector
    assert sorted(seen) == list(range(len(TEXTS)))
    np.testing.assert_allclose([seen[i] for i in range(len(TEXTS))], expected, atol=1e-5)


def test_shared_words_make_texts_closer(embedder: Embedder) -> None:
    death_note, notebook, cooking = (np.array(v) for v in embedder.embed_documents(TEXTS[:3]))
    assert float(death_note @ notebook) > float(death_note @ cooking)
