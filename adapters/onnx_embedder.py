"""ONNX text embedder: ``tokenizers`` + ``onnxruntime``, CLS or mean pooling, any sentence-embedding model.

One class serves BERT-style small models (all-MiniLM-L6-v2: mean pooling, 384-d) and XLM-RoBERTa models
(BGE-M3: CLS pooling, 1024-d): everything model-specific comes from the folder's config.

Batches are formed from texts of similar token length (sorted), padded to the longest in the batch, so
padding never changes a vector and batching stays cheap. ``embed_array`` returns input order; indexing
uses ``embed_documents_in_batches``, which sorts the whole corpus at once and yields batch by batch (for
the 36k catalogue about half the token positions of sorting each chunk of 128 in catalogue order).

Queries repeat (the same question from many users, a search asked again): ``embed_query`` remembers the last
``QUERY_CACHE`` vectors by text. The model never changes under an embedder, so nothing needs invalidating.
The session's threads sleep rather than spin between runs: a server's requests come one at a time per worker
thread, and spinning threads took a core's worth of CPU from the requests themselves.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from anime_mcp.adapters.onnx_model_config import ModelConfigError, OnnxModelConfig, load_config
from anime_mcp.core.search_errors import EmbedderError

_TOKEN_OUTPUTS = ("last_hidden_state", "token_embeddings")
_POOLED_OUTPUTS = ("sentence_embedding", "sentence_embeddings")
QUERY_CACHE = 2048  # query vectors remembered, as float32 arrays (384 floats: 1.6 kB each, 3.4 MB in all)


def default_threads() -> int:
    """CPU threads for one session: the cores this process may use, at most 8 (more rarely helps)."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


def choose_providers() -> list[str]:
    """CUDA first when this onnxruntime build offers it (onnxruntime-gpu), CPU always as the fallback."""
    available = ort.get_available_providers()
    chosen = [p for p in ("CUDAExecutionProvider",) if p in available]
    return [*chosen, "CPUExecutionProvider"]


class OnnxTextEmbedder:
    """Implements the ``Embedder`` port."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        config: OnnxModelConfig | None = None,
    ) -> None:
        self.model_dir = model_dir
        self.config = config or load_config(model_dir)
        self.name = self.config.name
        self.dimension = self.config.dimension
        self.threads = threads or default_threads()
        self._tokenizer = self._load_tokenizer()
        self._session = self._load_session(list(providers) if providers else choose_providers())
        self.providers: list[str] = list(self._session.get_providers())  # what really runs, not the wish
        inputs = {i.name for i in self._session.get_inputs()}
        if "input_ids" not in inputs:
            raise EmbedderError(
                f"{self._onnx_path}: the graph has no input_ids input (inputs: {sorted(inputs)})"
            )
        self._inputs = inputs
        self._output, self._pooled = self._pick_output()
        # float32 rows, not lists: a list of 384 Python floats takes 12 kB (25 MB for the whole cache)
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._queries_lock = threading.Lock()
        self.query_cache_size = QUERY_CACHE

    # --- loading ---------------------------------------------------------------------------------
    @property
    def _onnx_path(self) -> Path:
        return self.model_dir / self.config.onnx_file

    def _load_tokenizer(self) -> Tokenizer:
        path = self.model_dir / self.config.tokenizer_file
        if not path.is_file():
            raise ModelConfigError(f"no tokenizer at {path}")
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # noqa: BLE001 - tokenizers raises plain Exception on bad files
            raise ModelConfigError(f"{path} is not a tokenizers tokenizer ({exc})") from None
        # The shipped tokenizer.json may fix truncation and padding (often at 128): ours come from the config,
        # and padding is done per batch below.
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=self.config.max_length)
        self._pad_id = _pad_id(tokenizer)
        return tokenizer

    def _load_session(self, providers: list[str]) -> ort.InferenceSession:
        path = self._onnx_path
        if not path.is_file():
            raise ModelConfigError(f"no ONNX graph at {path}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # onnxruntime-gpu without CUDA logs an error, then falls back
        try:
            return ort.InferenceSession(str(path), sess_options=options, providers=providers)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise EmbedderError(f"onnxruntime cannot load {path}: {exc}") from None

    def _pick_output(self) -> tuple[str, bool]:
        outputs = {o.name: o for o in self._session.get_outputs()}
        wanted = self.config.output
        if wanted and wanted not in outputs:
            raise ModelConfigError(f"{self._onnx_path} has no output {wanted!r} (outputs: {sorted(outputs)})")
        if not wanted:
            preferred = [n for n in (*_TOKEN_OUTPUTS, *_POOLED_OUTPUTS) if n in outputs]
            wanted = preferred[0] if preferred else next(iter(outputs))
        shape = outputs[wanted].shape
        pooled = len(shape) == 2
        width = shape[-1]
        if isinstance(width, int) and width != self.dimension:
            raise ModelConfigError(
                f"{self.model_dir}: the config says {self.dimension} dimensions, the graph's output "
                f"{wanted!r} has {width}"
            )
        return wanted, pooled

    # --- embedding -------------------------------------------------------------------------------
    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        prefix = self.config.document_prefix
        return self.embed_array([prefix + t for t in texts]).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """The query's vector; a text asked recently is answered from memory (a copy: callers may keep it)."""
        with self._queries_lock:
            found = self._queries.get(text)
            if found is not None:
                self._queries.move_to_end(text)
                return found.tolist()  # type: ignore[no-any-return]
        vector = self.embed_array([self.config.query_prefix + text])[0].copy()
        with self._queries_lock:
            self._queries[text] = vector
            while len(self._queries) > self.query_cache_size:
                self._queries.popitem(last=False)
        return vector.tolist()  # type: ignore[no-any-return]

    def embed_array(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Vectors as a float32 array ``[len(texts), dimension]``, in input order (no prefixes added)."""
        result = np.empty((len(texts), self.dimension), dtype=np.float32)
        for positions, vectors in self._sorted_batches(texts, batch_size):
            result[positions] = vectors
        return result

    def embed_documents_in_batches(
        self, texts: Sequence[str], *, batch_size: int | None = None
    ) -> Iterator[tuple[list[int], list[list[float]]]]:
        """Implements ``BulkEmbedder``: (positions, vectors) per batch, shortest documents first."""
        prefix = self.config.document_prefix
        for positions, vectors in self._sorted_batches([prefix + t for t in texts], batch_size):
            yield positions, vectors.tolist()

    def _sorted_batches(
        self, texts: Sequence[str], batch_size: int | None
    ) -> Iterator[tuple[list[int], np.ndarray]]:
        if not texts:
            return
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        size = batch_size or self.config.batch_size
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            yield chunk, self._run([encodings[i] for i in chunk])

    def _run(self, encodings: list[Any]) -> np.ndarray:
        length = max(1, *(len(e.ids) for e in encodings))
        ids = np.full((len(encodings), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(encodings), length), dtype=np.int64)
        types = np.zeros((len(encodings), length), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = encoding.attention_mask
            types[row, :n] = encoding.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        try:
            (hidden,) = self._session.run(
                [self._output], {k: v for k, v in feed.items() if k in self._inputs}
            )
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise EmbedderError(f"onnxruntime failed on {self.model_dir}: {exc}") from None
        vectors = hidden if self._pooled else self._pool(hidden, mask)
        if vectors.shape[-1] != self.dimension:
            raise EmbedderError(
                f"{self.model_dir} produced {vectors.shape[-1]}-d vectors, its config says {self.dimension}"
            )
        if self.config.normalize:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
        return vectors.astype(np.float32, copy=False)

    def _pool(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        if self.config.pooling == "cls":
            return hidden[:, 0, :]
        weights = mask[:, :, None].astype(hidden.dtype)
        pooled: np.ndarray = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled


def _pad_id(tokenizer: Tokenizer) -> int:
    for token in ("[PAD]", "<pad>", "<|padding|>"):
        found = tokenizer.token_to_id(token)
        if found is not None:
            return int(found)
    return 0
