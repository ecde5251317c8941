"""Search quality and speed on the full catalogue, all in one run (issue 3, docs/benchmarks.md "Search").

Needs a home where `anime-mcp ingest` has stored and indexed the catalogue, and the model it was built with:

    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=../shared/models/all-MiniLM-L6-v2-onnx \\
        .venv/bin/anime-mcp ingest --source ../shared/data/anime-offline-database.jsonl.zst
    ANIME_MCP_HOME=/tmp/bench ANIME_MCP_MODEL=../shared/models/all-MiniLM-L6-v2-onnx \\
        .venv/bin/python benchmarks/search_quality.py

Reports, over the judged queries of benchmarks/search_queries.json:
- recall@10 and MRR for dense-only, sparse-only, hybrid (the default ranking), the engine's RRF and DBSF
  fusions, and a fuzzy-title baseline (rapidfuzz WRatio over every title and synonym, as a simple server
  would do), overall and per kind of query;
- the Done-when checks of issue 3;
- in-process latency p50/p95 (query embedding included) for dense, sparse, hybrid, hybrid + filters,
  similar, and the baseline;
- HNSW recall@10 against exact search on the real embeddings.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.services.search import SearchService
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.filter_grammar import cli_filters, to_filters
from anime_mcp.ports.vector_index import HnswSettings, IndexQuery

QUERIES = Path(__file__).with_name("search_queries.json")


def parse_filters(**options: Any) -> SearchFilters:
    """Filters written as the CLI takes them, read by the one filter grammar."""
    return to_filters(cli_filters(**options))


def load_queries(path: Path, entries: Sequence[CatalogueEntry]) -> list[dict[str, Any]]:
    queries: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["queries"]
    for query in queries:
        tags = set(query.get("relevant_tags", []))
        by_tags = {e.anime_id for e in entries if tags <= set(e.tags)} if tags else set()
        query["relevant_set"] = set(query["relevant"]) | by_tags
        options = query.get("filters", {})
        query["filter_object"] = parse_filters(
            years=options.get("year"),
            types=options.get("type", ()),
            tags=options.get("tag", ()),
            studios=options.get("studio", ()),
            min_score=options.get("min_score"),
            platforms=options.get("platform", ()),
        )
    return queries


def score(queries: list[dict[str, Any]], ranker: Callable[[str, SearchFilters], list[str]]) -> dict[str, Any]:
    per_kind: dict[str, list[tuple[bool, float]]] = {}
    for query in queries:
        ranked = ranker(query["query"], query["filter_object"])[:10]
        rank = next((i for i, a in enumerate(ranked, 1) if a in query["relevant_set"]), None)
        per_kind.setdefault(query["kind"], []).append((rank is not None, 1 / rank if rank else 0.0))
    everything = [r for results in per_kind.values() for r in results]

    def summary(results: list[tuple[bool, float]]) -> dict[str, float]:
        return {
            "recall@10": sum(f for f, _ in results) / len(results),
            "mrr": sum(m for _, m in results) / len(results),
            "n": len(results),
        }

    return {"all": summary(everything), **{kind: summary(r) for kind, r in per_kind.items()}}


class FuzzyBaseline:
    """What a simple server does: fuzzy-match the query against every title and synonym (rapidfuzz)."""

    def __init__(self, entries: Sequence[CatalogueEntry]) -> None:
        from rapidfuzz import fuzz, process, utils

        self._process, self._scorer, self._processor = process, fuzz.WRatio, utils.default_process
        self.choices: list[str] = []
        self.owners: list[CatalogueEntry] = []
        for entry in entries:
            for title in {entry.title, *entry.synonyms}:
                self.choices.append(title)
                self.owners.append(entry)

    def __call__(self, text: str, filters: SearchFilters) -> list[str]:
        found = self._process.extract(
            text, self.choices, scorer=self._scorer, processor=self._processor, limit=400
        )
        ranked: list[str] = []
        for _, _, index in found:
            entry = self.owners[index]
            if entry.anime_id not in ranked and filters.matches(entry):
                ranked.append(entry.anime_id)
                if len(ranked) == 10:
                    break
        return ranked


def engine_fusion(service: SearchService, fusion: str) -> Callable[[str, SearchFilters], list[str]]:
    def rank(text: str, filters: SearchFilters) -> list[str]:
        query = IndexQuery(
            dense=service.embedder.embed_query(text),
            sparse=service.encoder.encode_query(text),
            filters=filters,
            limit=10,
            fusion=fusion,
        )
        return [h.anime_id for h in service.index.search(query)]

    return rank


def service_ranker(service: SearchService, mode: SearchMode) -> Callable[[str, SearchFilters], list[str]]:
    return lambda text, filters: [
        r.entry.anime_id for r in service.search(text, filters, limit=10, mode=mode)
    ]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2),
        "n": len(ordered),
    }


def timed(calls: list[Callable[[], object]], repeat: int) -> dict[str, float]:
    for call in calls[:5]:
        call()  # warm-up
    samples = []
    for _ in range(repeat):
        for call in calls:
            started = time.perf_counter()
            call()
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


FILTER_SETS = [
    parse_filters(types=["TV"], years="2000-2015"),
    parse_filters(min_score=7.5, exclude_tags=["kids"]),
    parse_filters(types=["MOVIE"], platforms=["anilist"]),
    parse_filters(tags=["comedy"], seasons=["FALL", "SPRING"], episodes="1-26"),
]


def hnsw_recall(
    home_index: Any, service: SearchService, queries: list[dict[str, Any]], sample: int
) -> dict[str, Any]:
    """recall@10 of the HNSW graph against exact (brute-force) search, for query and document vectors."""
    from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

    if not isinstance(home_index, EdgeBackend):
        return {"skipped": "HNSW recall is measured on the embedded index only"}
    results: dict[str, Any] = {}
    entries = random.Random(7).sample(list(service.catalogue.entries()), sample)
    document_vectors = [v for v in (service.index.dense_vector(e.anime_id) for e in entries) if v]
    query_vectors = [service.embedder.embed_query(q["query"]) for q in queries]
    exact = EdgeBackend(home_index.root, hnsw=HnswSettings(exact=True)).open()
    assert exact is not None
    for ef in (32, 64, 128, 256):
        approximate = EdgeBackend(home_index.root, hnsw=HnswSettings(ef=ef)).open()
        assert approximate is not None
        for label, vectors in (("queries", query_vectors), ("documents", document_vectors)):
            overlap = []
            latency = []
            for vector in vectors:
                truth = {h.anime_id for h in exact.search(IndexQuery(dense=vector, limit=10))}
                started = time.perf_counter()
                got = {h.anime_id for h in approximate.search(IndexQuery(dense=vector, limit=10))}
                latency.append(time.perf_counter() - started)
                overlap.append(len(truth & got) / 10)
            results[f"ef={ef} {label}"] = {
                "recall@10": round(sum(overlap) / len(overlap), 4),
                **percentiles(latency),
            }
        approximate.close()
    latency = []
    for vector in query_vectors:
        started = time.perf_counter()
        exact.search(IndexQuery(dense=vector, limit=10))
        latency.append(time.perf_counter() - started)
    results["exact"] = {"recall@10": 1.0, **percentiles(latency)}
    exact.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--queries", type=Path, default=QUERIES)
    parser.add_argument("--repeat", type=int, default=3, help="latency rounds over the judged queries")
    parser.add_argument("--hnsw-sample", type=int, default=200, help="document vectors for the HNSW recall")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args(argv)

    app = bootstrap()
    components = app.search_parts()
    service = Runtime(app).search()
    entries = list(app.catalogue.entries())
    queries = load_queries(args.queries, entries)
    print(
        f"{len(entries):,} entries, index {service.index.manifest.generation} "
        f"({service.index.manifest.spec.model}), {len(queries)} judged queries",
        flush=True,
    )

    baseline = FuzzyBaseline(entries)
    rankers: dict[str, Callable[[str, SearchFilters], list[str]]] = {
        "dense": service_ranker(service, SearchMode.DENSE),
        "sparse": service_ranker(service, SearchMode.SPARSE),
        "hybrid (default)": service_ranker(service, SearchMode.HYBRID),
        "hybrid, engine RRF": engine_fusion(service, "rrf"),
        "hybrid, engine DBSF": engine_fusion(service, "dbsf"),
        "fuzzy titles (rapidfuzz)": baseline,
    }
    quality = {name: score(queries, ranker) for name, ranker in rankers.items()}
    kinds = [k for k in quality["dense"] if k != "all"]
    print(
        "\n| ranking | recall@10 | MRR | "
        + " | ".join(f"{k} (n={quality['dense'][k]['n']})" for k in kinds)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(kinds))
    for name, figures in quality.items():
        cells = " | ".join(f"{figures[k]['recall@10']:.2f} / {figures[k]['mrr']:.2f}" for k in kinds)
        print(f"| {name} | {figures['all']['recall@10']:.3f} | {figures['all']['mrr']:.3f} | {cells} |")

    def top(text: str, **options: Any) -> list[dict[str, Any]]:
        return [
            {"id": r.entry.anime_id, "type": r.entry.type.value}
            for r in service.search(text, parse_filters(**options), limit=10)
        ]

    similar_ids = [r.entry.anime_id for r in service.similar("mal:1535", limit=10)[1]]
    checks = {
        "death note -> mal-1535 first": top("death note")[0]["id"] == "mal-1535",
        "dess note -> mal-1535 in top 3": "mal-1535" in [h["id"] for h in top("dess note")[:3]],
        "ghibli --type MOVIE -> only movies": {h["type"] for h in top("ghibli", types=["MOVIE"])}
        == {"MOVIE"},
        "similar mal:1535 -> other entries": bool(similar_ids) and "mal-1535" not in similar_ids,
    }
    print("\nDone-when checks:")
    for name, passed in checks.items():
        print(f"- {name}: {'PASS' if passed else 'FAIL'}")

    texts = [q["query"] for q in queries]
    latency = {
        "dense": timed([lambda t=t: service.search(t, mode=SearchMode.DENSE) for t in texts], args.repeat),
        "sparse": timed([lambda t=t: service.search(t, mode=SearchMode.SPARSE) for t in texts], args.repeat),
        "hybrid": timed([lambda t=t: service.search(t) for t in texts], args.repeat),
        "hybrid + filters": timed(
            [
                lambda t=t, i=i: service.search(t, FILTER_SETS[i % len(FILTER_SETS)])
                for i, t in enumerate(texts)
            ],
            args.repeat,
        ),
        "similar": timed(
            [
                lambda r=r: service.similar(r)
                for r in [
                    "mal:1535",
                    "mal:1",
                    "mal:9253",
                    "mal:16498",
                    "mal:199",
                    "mal:20583",
                    "mal:5114",
                    "mal:30",
                    "mal:523",
                    "mal:33352",
                ]
            ],
            args.repeat * 10,
        ),
        "fuzzy baseline": timed([lambda t=t: baseline(t, SearchFilters()) for t in texts], 1),
        "query embedding alone": timed(
            [lambda t=t: service.embedder.embed_query(t) for t in texts], args.repeat
        ),
    }
    print("\n| in-process latency | p50 ms | p95 ms | calls |\n|---|---|---|---|")
    for name, figures in latency.items():
        print(f"| {name} | {figures['p50_ms']} | {figures['p95_ms']} | {figures['n']} |")

    hnsw = hnsw_recall(components.backend, service, queries, args.hnsw_sample)
    print("\n| dense search | recall@10 vs exact | p50 ms | p95 ms |\n|---|---|---|---|")
    for name, figures in hnsw.items():
        if isinstance(figures, dict):
            print(f"| {name} | {figures['recall@10']} | {figures['p50_ms']} | {figures['p95_ms']} |")
        else:
            print(f"| {name} | {figures} | | |")

    if args.json:
        args.json.write_text(
            json.dumps({"quality": quality, "checks": checks, "latency": latency, "hnsw": hnsw}, indent=2)
        )
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
