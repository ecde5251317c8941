"""Similar-anime quality: hit@10 and precision@10 on the judged set (benchmarks/similar_queries.json, our
own list of what fans and the platforms' recommendation pages name as similar), before (the title-document
vector with the notability prior) and after (core.similarity, each similarity_type) side by side.

A result counts when it is a judged anime or another entry of a judged anime's franchise (a sequel, the
film); the seed's own franchise never counts and is left out of both rankings. Needs a home where
`anime-mcp ingest` indexed the catalogue and `anime-mcp enrich --dump ...` filled the enrichment store:

    ANIME_MCP_HOME=/tmp/enrich-home ANIME_MCP_MODEL=DIR .venv/bin/python benchmarks/similar_quality.py

Times are per call in process (p50 and p95 over the seeds). Each ranking runs seed by seed, all rankings of
one seed in turn, so a noisy machine slows them alike; ``--cold`` empties the similar-anime cache (what the
service reads once per snapshot) before every call. The ``visual`` kind needs poster vectors
(`anime-mcp index-images`) and is reported as not run without them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from anime_mcp.core.filters import SearchFilters
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.services.search import SearchService, franchise
from anime_mcp.core.services.similar import SimilarCache
from anime_mcp.core.similarity import KINDS, SimilarityKind
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.ports.enrichment_store import EnrichmentStore
from anime_mcp.ports.vector_index import IMAGE_VECTOR

QUERIES = Path(__file__).with_name("similar_queries.json")
K = 10


def relevant_ids(service: SearchService, seed: dict[str, Any]) -> tuple[str, set[str]]:
    """The seed's anime id and every entry that counts for it (judged anime and their franchises)."""
    catalogue = service.catalogue
    seed_entry = lookup(catalogue, seed["seed"]).entry
    own = franchise(seed_entry, catalogue) | {seed_entry.anime_id}
    found: set[str] = set()
    for item in seed["similar"]:
        entry = lookup(catalogue, item["ref"]).entry
        found |= {entry.anime_id} | franchise(entry, catalogue)
    return seed_entry.anime_id, found - own


def measure(
    seeds: list[dict[str, Any]], judged: list[tuple[str, set[str]]], rank: Callable[[str], list[str]]
) -> dict[str, Any]:
    """One ranking over every seed (see ``interleaved`` for timing several side by side)."""
    return summary(seeds, judged, [timed(rank, anime_id) for anime_id, _ in judged])


def timed(rank: Callable[[str], list[str]], anime_id: str) -> tuple[list[str], float]:
    started = time.perf_counter()
    found = rank(anime_id)[:K]
    return found, (time.perf_counter() - started) * 1000


def summary(
    seeds: list[dict[str, Any]], judged: list[tuple[str, set[str]]], runs: list[tuple[list[str], float]]
) -> dict[str, Any]:
    hits, precisions, misses = [], [], []
    for seed, (_, relevant), (found, _) in zip(seeds, judged, runs, strict=True):
        good = sum(a in relevant for a in found)
        hits.append(good > 0)
        precisions.append(good / K)
        if not good:
            misses.append(seed["title"])
    took = sorted(ms for _, ms in runs)
    return {
        "hit@10": round(sum(hits) / len(hits), 3),
        "precision@10": round(statistics.fmean(precisions), 3),
        "p50_ms": round(statistics.median(took), 1),
        "p95_ms": round(took[max(0, round(0.95 * len(took)) - 1)], 1),
        "misses": misses,
    }


def interleaved(
    seeds: list[dict[str, Any]],
    judged: list[tuple[str, set[str]]],
    rankings: dict[str, Callable[[str], list[str]]],
) -> dict[str, Any]:
    """Every ranking of one seed in turn, then the next seed: a noisy machine slows them alike."""
    runs: dict[str, list[tuple[list[str], float]]] = {name: [] for name in rankings}
    for anime_id, _ in judged:
        for name, rank in rankings.items():
            runs[name].append(timed(rank, anime_id))
    return {name: summary(seeds, judged, found) for name, found in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--show", metavar="TITLE", help="print the new top 10 of seeds with this in the title"
    )
    parser.add_argument("--cold", action="store_true", help="empty the similar-anime cache before every call")
    args = parser.parse_args(argv)
    seeds: list[dict[str, Any]] = json.loads(QUERIES.read_text(encoding="utf-8"))["seeds"]
    app = bootstrap()
    service = Runtime(app).search()
    store: EnrichmentStore = app.enrichment_store()
    judged = [relevant_ids(service, seed) for seed in seeds]

    def before(anime_id: str) -> list[str]:
        own = franchise(service.catalogue.by_anime_id(anime_id), service.catalogue)  # type: ignore[arg-type]
        _, results = service.similar_by_vector(anime_id, SearchFilters(exclude_ids=own), limit=K)
        return [r.entry.anime_id for r in results]

    def after(kind: str) -> Callable[[str], list[str]]:
        def rank(anime_id: str) -> list[str]:
            if args.cold:
                service._similar = SimilarCache()  # what a fresh snapshot starts with
            _, results = service.similar(anime_id, limit=K, kind=kind, knowledge=store)
            return [r.entry.anime_id for r in results]

        return rank

    service.similar(judged[0][0], limit=1, knowledge=store)  # the rarity table is counted once per service
    kinds = [kind for kind in KINDS if kind != SimilarityKind.VISUAL or has_posters(service, judged)]
    rankings = {"before": before, **{kind: after(kind) for kind in kinds}}
    report: dict[str, Any] = {"seeds": len(seeds), **interleaved(seeds, judged, rankings)}
    if args.show:
        for seed in seeds:
            if args.show.casefold() in seed["title"].casefold():
                _, results = service.similar(seed["seed"], limit=K, knowledge=store)
                print(f"-- {seed['title']}")
                for r in results:
                    why = "; ".join(r.reasons)
                    print(f"   {r.entry.anime_id:12} {r.entry.title[:40]:40} {r.relevance:.3f} {why}")
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"{report['seeds']} seeds; a result counts when it is a judged anime or of its franchise")
    print(f"{'ranking':22} {'hit@10':>7} {'precision@10':>13} {'p50 ms':>8} {'p95 ms':>8}")
    for name in ("before", *KINDS):
        label = "before (title vector)" if name == "before" else f"after: {name}"
        row = report.get(name)
        if row is None:
            print(f"{label:22} not run: the index holds no poster vectors (anime-mcp index-images)")
            continue
        print(
            f"{label:22} {row['hit@10']:7.3f} {row['precision@10']:13.3f} {row['p50_ms']:8.1f} "
            f"{row['p95_ms']:8.1f}"
        )
    print("misses (after: overall):", ", ".join(report["overall"]["misses"]) or "none")
    return 0


def has_posters(service: SearchService, judged: list[tuple[str, set[str]]]) -> bool:
    return any(service.index.dense_vector(a, using=IMAGE_VECTOR) is not None for a, _ in judged)


if __name__ == "__main__":
    sys.exit(main())
