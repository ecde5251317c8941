"""The embedding models ``anime-mcp models install NAME`` knows: where their ONNX export lives on the Hugging
Face hub (repository and pinned revision: a revision is a commit, so the bytes never change under us), which
files to fetch and how the model pools. Reference vectors for each are in ``model_references.json``."""

from __future__ import annotations

from attrs import frozen

from anime_mcp.adapters.onnx_model_config import OnnxModelConfig
from anime_mcp.core.search_errors import EmbedderError


@frozen
class KnownModel:
    name: str
    repo: str  # owner/name on the hub
    revision: str  # a commit id, never a branch
    files: tuple[tuple[str, str], ...]  # (path in the repository, path in the installed folder)
    dimension: int
    pooling: str
    normalize: bool
    max_length: int

    @property
    def origin(self) -> str:
        """What an installed folder records as its source: the same for every mirror of the revision."""
        return f"hf:{self.repo}@{self.revision}"

    def config(self, *, name: str | None = None) -> OnnxModelConfig:
        return OnnxModelConfig(
            name=name or self.name,
            dimension=self.dimension,
            pooling=self.pooling,
            normalize=self.normalize,
            max_length=self.max_length,
            source=self.origin,
        )


_BERT_TOKENIZER = (
    ("tokenizer.json", "tokenizer.json"),
    ("tokenizer_config.json", "tokenizer_config.json"),
    ("special_tokens_map.json", "special_tokens_map.json"),
    ("vocab.txt", "vocab.txt"),
    ("config.json", "config.json"),
)
_SENTENCE_TRANSFORMERS = (
    ("modules.json", "modules.json"),
    ("sentence_bert_config.json", "sentence_bert_config.json"),
    ("1_Pooling/config.json", "1_Pooling/config.json"),
)

KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            name="all-MiniLM-L6-v2",
            repo="sentence-transformers/all-MiniLM-L6-v2",
            revision="c9745ed1d9f207416be6d2e6f8de32d1f16199bf",
            files=(("onnx/model.onnx", "model.onnx"), *_BERT_TOKENIZER, *_SENTENCE_TRANSFORMERS),
            dimension=384,
            pooling="mean",
            normalize=True,
            max_length=256,
        ),
    )
}


def known_model(name: str) -> KnownModel:
    model = KNOWN_MODELS.get(name.removesuffix("-int8"))
    if model is None:
        raise EmbedderError(
            f"unknown model {name!r}; known: {', '.join(sorted(KNOWN_MODELS))}. Any other ONNX export "
            "installs with `anime-mcp models install --from DIR`"
        )
    return model
