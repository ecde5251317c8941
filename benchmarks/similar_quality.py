"""Similar-anime quality: hit@10 and precision@10 on the judged set (benchmarks/similar_queries.json, our
own list of what fans and the platforms' recommendation pages name as similar), before (the title-document
vector with the notability prior) and after (core.similarity, each similarity_type) side by side.

A result counts when it is a judged anime or another entry of a judged anime's franchise (a sequel, the
film); the seed's own franchise never counts and is left out of both rankings. Needs a home where
`anime-mcp ingest` indexed the catalogue and `anime-mcp enrich --dump ...` filled the enrichment store:

    ANIME_MCP_HOME=/tmp/enrich-home ANIME_MCP_MODEL=DIR .venv/bin/python benchmarks/similar_quality.py
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
from anime_mcp.core.similarity import KINDS
from anime_mcp.entrypoints.bootstrap import bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.ports.enrichment_store import EnrichmentStore

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
    hits, precisions, took, misses = [], [], [], []
    for seed, (anime_id, relevant) in zip(seeds, judged, strict=True):
        started = time.perf_counter()
        found = rank(anime_id)[:K]
        took.append((time.perf_counter() - started) * 1000)
        good = sum(a in relevant for a in found)
        hits.append(good > 0)
        precisions.append(good / K)
        if not good:
            misses.append(seed["title"])
    return {
        "hit@10": round(sum(hits) / len(hits), 3),
        "precision@10": round(statistics.fmean(precisions), 3),
        "p50_ms": round(statistics.median(took), 1),
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--show", metavar="TITLE", help="print the new top 10 of seeds with this in the title"
    )
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
            _, results = service.similar(anime_id, limit=K, kind=kind, knowledge=store)
            return [r.entry.anime_id for r in results]

        return rank

    service.similar(judged[0][0], limit=1, knowledge=store)  # the rarity table is counted once per service
    report: dict[str, Any] = {"seeds": len(seeds), "before": measure(seeds, judged, before)}
    for kind in KINDS:
        report[kind] = measure(seeds, judged, after(kind))
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
    print(f"{'ranking':22} {'hit@10':>7} {'precision@10':>13} {'p50 ms':>8}")
    for name in ("before", *KINDS):
        row = report[name]
        label = "before (title vector)" if name == "before" else f"after: {name}"
        print(f"{label:22} {row['hit@10']:7.3f} {row['precision@10']:13.3f} {row['p50_ms']:8.1f}")
    print("misses (after: overall):", ", ".join(report["overall"]["misses"]) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
