"""What the quality workloads share: the judged query sets read with their kinds, recall@10 and MRR overall
and per kind, and the composed configuration they search (the bench command's own context).

recall@10 is the share of queries with a correct answer in the first 10, MRR the mean of 1/rank of the first
correct answer (0 when none is in the first 10), as in the standard workloads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from anime_mcp.core.filters import SearchFilters
from anime_mcp.ports.workload import WorkloadContext, entries_with_tags, rank_of_first, recall_and_mrr

if TYPE_CHECKING:
    from anime_mcp.entrypoints.bench.context import BenchContext

SEARCH_QUERIES = "search_queries.json"
STORY_QUERIES = "story_queries.json"
SIMILAR_QUERIES = "similar_queries.json"
K = 10
NOT_BENCH = "runs only under `anime-mcp bench` (it composes the whole application)"

Ranker = Callable[[str, SearchFilters], list[str]]


@frozen
class JudgedQuery:
    text: str
    kind: str
    relevant: frozenset[str]
    filters: SearchFilters = field(factory=SearchFilters)
    listed: tuple[str, ...] = ()  # the answers as the file lists them (a miss is named by its first)


def bench_context(context: WorkloadContext) -> BenchContext | None:
    """The bench command's context, or None under another runner (then the workload says it is skipped)."""
    from anime_mcp.entrypoints.bench.context import BenchContext

    return context if isinstance(context, BenchContext) else None


def judged_path(context: WorkloadContext, name: str, override: str = "") -> Path | str:
    """The judged set ``name`` (or the file ``override`` names), or why it cannot be read."""
    if override:
        path = Path(override).expanduser()
        return path if path.is_file() else f"judged set {path} not found"
    found = context.judged_set(name)
    return found if found is not None else f"judged set {name} not found (bench --judged DIR)"


def read_queries(context: WorkloadContext, path: Path) -> list[JudgedQuery]:
    """Every query of a judged set (search_queries.json or story_queries.json, whose queries have no kind:
    ``story``); a descriptive query's answers are also every catalogue entry carrying all its
    ``relevant_tags``."""
    raw: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["queries"]
    tagged = [i for i, q in enumerate(raw) if q.get("relevant_tags")]
    found = entries_with_tags(context.catalogue, [raw[i]["relevant_tags"] for i in tagged])
    by_tags = dict(zip(tagged, found, strict=True))
    return [
        JudgedQuery(
            q["query"],
            q.get("kind", "story"),
            frozenset(q["relevant"]) | frozenset(by_tags.get(i, ())),
            context.parse_filters(q.get("filters", {})),
            tuple(q["relevant"]),
        )
        for i, q in enumerate(raw)
    ]


def summary(ranks: Sequence[int | None]) -> dict[str, float]:
    return {**{k: round(v, 4) for k, v in recall_and_mrr(ranks).items()}, "n": len(ranks)}


def per_kind(queries: Sequence[JudgedQuery], ranks: Sequence[int | None]) -> dict[str, dict[str, float]]:
    """recall@10 / MRR / n for every kind of query, in the order the kinds first appear."""
    kinds: dict[str, list[int | None]] = {}
    for query, rank in zip(queries, ranks, strict=True):
        kinds.setdefault(query.kind, []).append(rank)
    return {kind: summary(found) for kind, found in kinds.items()}


@frozen
class Judged:
    """One ranking over a judged set: seconds per query, the rank of each first correct answer."""

    samples: tuple[float, ...]
    ranks: tuple[int | None, ...]

    def quality(self) -> dict[str, float]:
        figures = summary(self.ranks) if self.ranks else {}
        return {k: v for k, v in figures.items() if k != "n"}


def judge(queries: Sequence[JudgedQuery], rank: Ranker) -> Judged:
    samples, ranks = [], []
    for query in queries:
        started = time.perf_counter()
        found = rank(query.text, query.filters)
        samples.append(time.perf_counter() - started)
        ranks.append(rank_of_first(found, query.relevant))
    return Judged(tuple(samples), tuple(ranks))


def missed(queries: Sequence[JudgedQuery], ranks: Sequence[int | None]) -> list[str]:
    return [q.text for q, r in zip(queries, ranks, strict=True) if r is None]
