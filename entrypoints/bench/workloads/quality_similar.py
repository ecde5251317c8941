"""``similar-quality``: hit@10 and precision@10 of similar-anime on the judged seeds
(benchmarks/similar_queries.json), before (the title-document vector with the notability prior) and after
(``core.similarity``, each similarity_type) side by side.

A result counts when it is a judged anime or another entry of a judged anime's franchise; the seed's own
franchise never counts and is left out of both rankings. hit@10 is the share of seeds with a correct answer
in the first 10 (the bench's recall@10), precision@10 the mean share of correct answers among the 10. Every
ranking of one seed runs in turn, then the next seed, so a noisy machine slows them alike; ``cold`` empties
the similar-anime cache before every call. The ``visual`` kind needs poster vectors and is reported as
skipped without them. Seeds (and judged answers) missing from the catalogue are left out and counted.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench.workloads.quality_judged import (
    NOT_BENCH,
    SIMILAR_QUERIES,
    K,
    bench_context,
    judged_path,
)
from anime_mcp.ports.workload import EMBEDDER, INDEX, WorkloadContext, WorkloadResult

if TYPE_CHECKING:
    from anime_mcp.core.services.search import SearchService
    from anime_mcp.entrypoints.bench.context import BenchContext

NO_POSTERS = "skipped: the index holds no poster vectors (anime-mcp index-images)"
Rank = Callable[[str], list[str]]


@frozen
class Seed:
    title: str
    anime_id: str
    relevant: frozenset[str]


def judged_seeds(service: SearchService, raw: Sequence[dict[str, Any]]) -> tuple[list[Seed], int]:
    """The seeds this catalogue holds, each with every entry that counts for it; and how many were left
    out (not in the catalogue)."""
    from anime_mcp.core.services.catalogue import lookup
    from anime_mcp.core.services.search import franchise

    catalogue, platforms = service.catalogue, service.platforms
    seeds = []
    for item in raw:
        try:
            entry = lookup(catalogue, item["seed"], platforms).entry
        except AnimeMcpError:
            continue
        own = franchise(entry, catalogue, platforms=platforms) | {entry.anime_id}
        found: set[str] = set()
        for similar in item["similar"]:
            try:
                judged = lookup(catalogue, similar["ref"], platforms).entry
            except AnimeMcpError:
                continue
            found |= {judged.anime_id} | franchise(judged, catalogue, platforms=platforms)
        seeds.append(Seed(item["title"], entry.anime_id, frozenset(found - own)))
    return seeds, len(raw) - len(seeds)


def summary(seeds: Sequence[Seed], runs: Sequence[tuple[list[str], float]]) -> dict[str, Any]:
    from anime_mcp.entrypoints.bench.workloads.measure import percentile

    hits, precisions, misses = [], [], []
    for seed, (found, _) in zip(seeds, runs, strict=True):
        good = sum(a in seed.relevant for a in found)
        hits.append(good > 0)
        precisions.append(good / K)
        if not good:
            misses.append(seed.title)
    took = [seconds for _, seconds in runs]
    return {
        "hit@10": round(sum(hits) / len(hits), 3),
        "precision@10": round(statistics.fmean(precisions), 3),
        "p50_ms": round(percentile(took, 50) * 1000, 2),
        "p95_ms": round(percentile(took, 95) * 1000, 2),
        "misses": misses,
    }


def rankings(context: BenchContext, service: SearchService, seeds: Sequence[Seed]) -> dict[str, Rank]:
    """``before`` and every similarity kind this index can answer, by name."""
    from anime_mcp.core.filters import SearchFilters
    from anime_mcp.core.services.search import franchise
    from anime_mcp.core.services.similar import SimilarCache
    from anime_mcp.core.similarity import KINDS, SimilarityKind

    store = context.app.enrichment_store()
    cold = context.param("cold", False)

    def before(anime_id: str) -> list[str]:
        entry = service.catalogue.by_anime_id(anime_id)
        assert entry is not None  # a judged seed
        own = franchise(entry, service.catalogue, platforms=service.platforms)
        _, results = service.similar_by_vector(anime_id, SearchFilters(exclude_ids=own), limit=K)
        return [r.entry.anime_id for r in results]

    def after(kind: str) -> Rank:
        def rank(anime_id: str) -> list[str]:
            if cold:
                service._similar = SimilarCache()  # what a fresh snapshot starts with
            _, results = service.similar(anime_id, limit=K, kind=kind, knowledge=store)
            return [r.entry.anime_id for r in results]

        return rank

    service.similar(seeds[0].anime_id, limit=1, knowledge=store)  # the rarity table, counted once per service
    posters = has_posters(service, seeds)
    kinds = [kind for kind in KINDS if kind != SimilarityKind.VISUAL or posters]
    return {"before": before, **{kind: after(kind) for kind in kinds}}


def has_posters(service: SearchService, seeds: Sequence[Seed]) -> bool:
    from anime_mcp.ports.vector_index import IMAGE_VECTOR

    return any(service.index.dense_vector(s.anime_id, using=IMAGE_VECTOR) is not None for s in seeds)


def _timed(rank: Rank, anime_id: str) -> tuple[list[str], float]:
    started = time.perf_counter()
    found = rank(anime_id)[:K]
    return found, time.perf_counter() - started


def shown(context: BenchContext, service: SearchService, seeds: Sequence[Seed], title: str) -> dict[str, Any]:
    """The default ranking's top 10, with its reasons, of the seeds whose title holds ``title``."""
    store = context.app.enrichment_store()
    found: dict[str, Any] = {}
    for seed in seeds:
        if title.casefold() in seed.title.casefold():
            _, results = service.similar(seed.anime_id, limit=K, knowledge=store)
            found[seed.title] = [
                {
                    "anime_id": r.entry.anime_id,
                    "title": r.entry.title,
                    "relevance": round(r.relevance, 3),
                    "reasons": list(r.reasons),
                }
                for r in results
            ]
            for r in results:
                context.progress(f"{seed.title}: {r.entry.anime_id} {r.entry.title[:40]} {r.relevance:.3f}")
    return found


@frozen
class SimilarQuality:
    name: str = "similar-quality"
    description: str = "similar anime of the judged seeds: hit@10, precision@10, before and per kind"
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = True
    parameters: dict[str, str] = field(
        factory=lambda: {
            "cold": "false: empty the similar-anime cache before every call",
            "show": "(none): also give the default ranking's top 10 of seeds with this in the title",
        }
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        bench = bench_context(context)
        if bench is None:
            return WorkloadResult(skipped=NOT_BENCH)
        path = judged_path(context, SIMILAR_QUERIES)
        if isinstance(path, str):
            return WorkloadResult(skipped=path)
        service = bench.service()
        seeds, left_out = judged_seeds(service, json.loads(path.read_text(encoding="utf-8"))["seeds"])
        if not seeds:
            return WorkloadResult(skipped="none of the judged seeds is in this catalogue")
        ranked = rankings(bench, service, seeds)
        runs: dict[str, list[tuple[list[str], float]]] = {name: [] for name in ranked}
        for seed in seeds:  # every ranking of one seed in turn: a noisy machine slows them alike
            for name, rank in ranked.items():
                runs[name].append(_timed(rank, seed.anime_id))
        figures: dict[str, Any] = {name: summary(seeds, found) for name, found in runs.items()}
        details: dict[str, Any] = {"seeds": len(seeds), "seeds_not_in_catalogue": left_out, **figures}
        details.setdefault("visual", NO_POSTERS)
        if title := context.param("show", ""):
            details["shown"] = shown(bench, service, seeds, title)
        overall = figures["overall"]
        return WorkloadResult(
            tuple(seconds for _, seconds in runs["overall"]),
            {
                "hit@10": overall["hit@10"],
                "recall@10": overall["hit@10"],
                "precision@10": overall["precision@10"],
            },
            {
                "seeds": len(seeds),
                "before hit@10": figures["before"]["hit@10"],
                "before precision@10": figures["before"]["precision@10"],
            },
            details=details,
        )
