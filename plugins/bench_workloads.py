"""Built-in plugin: the standard workloads of ``anime-mcp bench``, registered like any third-party workload.

Each one makes one pass over its inputs against a ``WorkloadContext`` (``ports.workload``); the runner
times, repeats and compares. The judged sets are the project's own (``benchmarks/search_queries.json``,
``benchmarks/story_queries.json``): recall@10 is the share of queries with a correct answer in the first
10, MRR the mean of 1/rank of the first correct answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

from attrs import field, frozen

from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.workload import (
    CACHE,
    EMBEDDER,
    INDEX,
    SOURCE,
    WorkloadContext,
    WorkloadResult,
    entries_with_tags,
    rank_of_first,
    recall_and_mrr,
)

SEARCH_QUERIES = "search_queries.json"
STORY_QUERIES = "story_queries.json"
TITLE_KINDS = frozenset({"title", "romaji-english", "script", "typo", "obscure-title"})
SIMILAR_REFERENCES = 10


@frozen
class JudgedQuery:
    text: str
    relevant: frozenset[str]
    filters: SearchFilters = field(factory=SearchFilters)


def _timed(call: Callable[[], object]) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = call()
    return time.perf_counter() - started, answer


def read_search_queries(
    context: WorkloadContext, path: Path, kinds: Callable[[str], bool]
) -> list[JudgedQuery]:
    """The judged search queries of the kinds wanted; a descriptive query's answers are also every
    catalogue entry carrying all of its ``relevant_tags``."""
    raw = [q for q in json.loads(path.read_text(encoding="utf-8"))["queries"] if kinds(q["kind"])]
    tagged = [i for i, q in enumerate(raw) if q.get("relevant_tags")]
    found = entries_with_tags(context.catalogue, [raw[i]["relevant_tags"] for i in tagged])
    by_tags = dict(zip(tagged, found, strict=True))
    return [
        JudgedQuery(
            q["query"],
            frozenset(q["relevant"]) | frozenset(by_tags.get(i, ())),
            context.parse_filters(q.get("filters", {})),
        )
        for i, q in enumerate(raw)
    ]


@frozen
class JudgedSearch:
    """Search the judged queries of one set in one mode: latency per query, recall@10 and MRR."""

    name: str
    description: str
    queries_file: str
    mode: SearchMode
    kinds: frozenset[str] | None = None  # of search_queries.json; None: every query of the file
    exclude: frozenset[str] = frozenset()
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = True

    def wants(self, kind: str) -> bool:
        return (self.kinds is None or kind in self.kinds) and kind not in self.exclude

    def queries(self, context: WorkloadContext) -> list[JudgedQuery] | str:
        path = context.judged_set(self.queries_file)
        if path is None:
            return f"judged set {self.queries_file} not found (bench --judged DIR)"
        if self.queries_file == STORY_QUERIES:
            raw = json.loads(path.read_text(encoding="utf-8"))["queries"]
            return [JudgedQuery(q["query"], frozenset(q["relevant"])) for q in raw]
        return read_search_queries(context, path, self.wants)

    def run(self, context: WorkloadContext) -> WorkloadResult:
        queries = self.queries(context)
        if isinstance(queries, str):
            return WorkloadResult(skipped=queries)
        samples, ranks = [], []
        for query in queries:
            took, found = _timed(partial(context.search, query.text, query.filters, self.mode, 10))
            samples.append(took)
            ranks.append(rank_of_first(found, query.relevant))
        return WorkloadResult(tuple(samples), recall_and_mrr(ranks), {"queries": len(queries)})


@frozen
class Similar:
    """``similar`` for the judged queries' answers that the catalogue holds (else its first entries)."""

    name: str = "similar"
    description: str = "similar anime of well-known entries (not judged)"
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = False

    def references(self, context: WorkloadContext) -> list[str]:
        wanted: list[str] = []
        path = context.judged_set(SEARCH_QUERIES)
        if path is not None:
            for query in json.loads(path.read_text(encoding="utf-8"))["queries"]:
                wanted += [a for a in query["relevant"] if a not in wanted]
        held = [a for a in wanted if context.catalogue.by_anime_id(a) is not None][:SIMILAR_REFERENCES]
        if len(held) < SIMILAR_REFERENCES:
            held += _first_ids(context.catalogue.entries(), SIMILAR_REFERENCES - len(held), set(held))
        return held

    def run(self, context: WorkloadContext) -> WorkloadResult:
        references = self.references(context)
        samples = [_timed(partial(context.similar, r, 10))[0] for r in references]
        return WorkloadResult(tuple(samples), extra={"references": len(references)})


def _first_ids(entries: Iterable[Any], count: int, taken: set[str]) -> list[str]:
    found: list[str] = []
    for entry in entries:
        if len(found) == count:
            break
        if entry.anime_id not in taken:
            found.append(entry.anime_id)
    return found


@frozen
class Enrichment:
    """``get_anime_details`` over the replayed sources of the configuration, per target reference."""

    name: str = "enrichment"
    description: str = "details merged from sources replayed from recordings (injected latency)"
    varies: frozenset[str] = frozenset({CACHE, SOURCE})
    judged: bool = False

    def run(self, context: WorkloadContext) -> WorkloadResult:
        targets = list(context.enrichment_targets())
        if not targets:
            return WorkloadResult(skipped="no replayed recordings (bench --recordings DIR)")
        samples, asked, contributed = [], 0, 0
        failures: dict[str, str] = {}
        for reference in targets:
            took, outcomes = _timed(partial(context.enrich, reference))
            samples.append(took)
            for source, outcome in outcomes.items():
                asked += 1
                if outcome == "contributed":
                    contributed += 1
                else:
                    failures[source] = outcome
        extra: dict[str, Any] = {"contributed": round(contributed / asked, 3) if asked else 0.0}
        if failures:
            extra["not_contributed"] = failures
        return WorkloadResult(tuple(samples), extra=extra)


@frozen
class Ingest:
    """A sample of the catalogue release stored and indexed into a fresh home, per embedder and index."""

    name: str = "ingest"
    description: str = "ingest the first N entries of the release into a fresh home and index them"
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = False

    def run(self, context: WorkloadContext) -> WorkloadResult:
        took, figures = _timed(context.ingest_sample)
        if figures is None:
            return WorkloadResult(skipped="no catalogue release to sample (bench --catalogue FILE)")
        entries = int(figures["entries"])
        return WorkloadResult(
            (took,),
            extra={
                "entries": entries,
                "entries_per_s": round(entries / took, 1) if took > 0 else None,
                "store_s": round(figures["store_s"], 2),
                "index_build_s": round(figures["index_s"], 2),
            },
        )


@frozen
class ColdStart:
    """From nothing built to the first answer: compose the configuration, open the index, load the model."""

    name: str = "cold-start"
    description: str = "compose, open the index, load the model, answer one search (in process)"
    varies: frozenset[str] = frozenset({EMBEDDER})
    judged: bool = False

    def run(self, context: WorkloadContext) -> WorkloadResult:
        return WorkloadResult((context.cold_start(),))


def standard_workloads() -> list[object]:
    title = "title lookup: titles, romaji/English, scripts, typos, obscure titles"
    return [
        JudgedSearch("title-lookup", title, SEARCH_QUERIES, SearchMode.HYBRID, kinds=TITLE_KINDS),
        JudgedSearch(
            "hybrid-search", "every judged search query, hybrid ranking", SEARCH_QUERIES, SearchMode.HYBRID
        ),
        JudgedSearch(
            "filtered-search",
            "judged queries with filters",
            SEARCH_QUERIES,
            SearchMode.HYBRID,
            kinds=frozenset({"filter"}),
        ),
        Similar(),
        JudgedSearch(
            "narrative-search", "judged plot descriptions, story ranking", STORY_QUERIES, SearchMode.STORY
        ),
        Enrichment(),
        Ingest(),
        ColdStart(),
    ]


@hookimpl
def register_workloads(register: Register) -> None:
    for workload in standard_workloads():
        register(workload)
