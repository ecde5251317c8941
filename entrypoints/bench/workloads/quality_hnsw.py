"""``hnsw-recall``: recall@10 of dense HNSW search against exact (brute-force) search on the real embeddings,
for the judged queries' vectors and for a sample of the documents' own vectors, at ef 32, 64, 128 and 256
and the configured ``hnsw_ef`` (its query latencies are the samples, its query recall the quality).

The index is reopened through the composition root with other HNSW search settings (the same folder or
collection). An embedded index built with ``exact`` (the default: no graph, m=0) has nothing approximate to
measure: every ef then finds what exact search finds (``details.exact_setting``: the setting now); build
one with ``[search] exact = false`` to measure the graph.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from anime_mcp.entrypoints.bench.workloads.quality_judged import (
    NOT_BENCH,
    SEARCH_QUERIES,
    bench_context,
    judged_path,
    read_queries,
)
from anime_mcp.ports.vector_index import HnswSettings, IndexQuery, VectorIndex
from anime_mcp.ports.workload import EMBEDDER, INDEX, WorkloadContext, WorkloadResult

if TYPE_CHECKING:
    from anime_mcp.entrypoints.bench.context import BenchContext

EFS = (32, 64, 128, 256)


def reopened(context: BenchContext, hnsw: HnswSettings) -> VectorIndex | None:
    """This configuration's index opened again with other HNSW search settings (None: it cannot be, as the
    qdrant-client local mode's index lives in its one client)."""
    from anime_mcp.entrypoints.search_setup import search_components

    settings = context.settings
    search = attrs.evolve(settings.search, hnsw=hnsw)
    return search_components(search, context.app.plugins, settings.plugins).backend.open()


def _ms(samples: Sequence[float]) -> dict[str, float]:
    from anime_mcp.entrypoints.bench.workloads.measure import percentile

    return {
        "p50_ms": round(percentile(samples, 50) * 1000, 3),
        "p95_ms": round(percentile(samples, 95) * 1000, 3),
        "n": len(samples),
    }


def _top(index: VectorIndex, vector: Sequence[float]) -> set[str]:
    return {h.anime_id for h in index.search(IndexQuery(dense=vector, limit=10))}


@frozen
class HnswRecall:
    name: str = "hnsw-recall"
    description: str = "dense HNSW search (ef 32-256) against exact search: recall@10, latency"
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = True
    warm_up: bool = False  # one pass, as the script ran it: the exact answers are its own warm-up
    passes: int = 1
    parameters: dict[str, str] = field(
        factory=lambda: {
            "hnsw_sample": "200: document vectors searched as queries",
            "queries": "search_queries.json of bench --judged: a judged file to read instead",
        }
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        bench = bench_context(context)
        if bench is None:
            return WorkloadResult(skipped=NOT_BENCH)
        path = judged_path(context, SEARCH_QUERIES, context.param("queries", ""))
        if isinstance(path, str):
            return WorkloadResult(skipped=path)
        queries = read_queries(context, path)
        if not queries:
            return WorkloadResult(skipped=f"no query in {path}")
        service = bench.service()
        exact = reopened(bench, HnswSettings(exact=True))
        if exact is None:
            return WorkloadResult(skipped="this index cannot be reopened (qdrant-client local mode)")
        entries = list(bench.catalogue.entries())
        sample = random.Random(7).sample(entries, min(context.param("hnsw_sample", 200), len(entries)))
        vectors = {
            "queries": [service.embedder.embed_query(q.text) for q in queries],
            "documents": [v for v in (service.index.dense_vector(e.anime_id) for e in sample) if v],
        }
        try:
            table, samples = self._measure(bench, exact, vectors)
        finally:
            exact.close()
        configured = bench.settings.search.hnsw.ef
        details: dict[str, Any] = {
            "exact_setting": bench.settings.search.hnsw.exact,  # an embedded index built so has no graph
            "configured_ef": configured,
            **table,
        }
        extra = {f"ef={ef}": table[f"ef={ef} queries"]["recall@10"] for ef in EFS}
        quality = {"recall@10": table[f"ef={configured} queries"]["recall@10"]}
        return WorkloadResult(samples, quality, extra, details=details)

    def _measure(
        self, context: BenchContext, exact: VectorIndex, vectors: dict[str, list[list[float]]]
    ) -> tuple[dict[str, Any], tuple[float, ...]]:
        """The table of the script (ef=N queries/documents, exact), and the query latencies at the
        configured ef (the samples)."""
        truth = {label: [_top(exact, v) for v in found] for label, found in vectors.items()}
        table: dict[str, Any] = {}
        samples: tuple[float, ...] = ()
        configured = context.settings.search.hnsw.ef
        for ef in sorted({*EFS, configured}):
            context.progress(f"hnsw ef={ef}")
            approximate = reopened(context, HnswSettings(ef=ef))
            assert approximate is not None  # the exact one opened
            try:
                for label, found in vectors.items():
                    if not found:
                        continue
                    overlap, latency = [], []
                    for vector, wanted in zip(found, truth[label], strict=True):
                        started = time.perf_counter()
                        got = _top(approximate, vector)
                        latency.append(time.perf_counter() - started)
                        overlap.append(len(wanted & got) / 10)
                    recall = round(sum(overlap) / len(overlap), 4)
                    table[f"ef={ef} {label}"] = {"recall@10": recall, **_ms(latency)}
                    if label == "queries" and ef == configured:
                        samples = tuple(latency)
            finally:
                approximate.close()
        exact_latency = []
        for vector in vectors["queries"]:
            started = time.perf_counter()
            _top(exact, vector)
            exact_latency.append(time.perf_counter() - started)
        table["exact"] = {"recall@10": 1.0, **_ms(exact_latency)}
        return table, samples
