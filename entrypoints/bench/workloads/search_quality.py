"""The quality group: what benchmarks/search_quality.py, similar_quality.py and story_search.py measured.

Over the judged queries of search_queries.json, one workload per ranking (``ranking-dense``,
``ranking-sparse``, ``ranking-hybrid``, the engine's own fusions ``ranking-rrf`` and ``ranking-dbsf``, and
``fuzzy-baseline``: rapidfuzz WRatio over every title and synonym, as a simple server would do): recall@10
and MRR overall, per kind of query in ``details``, latency per query. ``ranking-hybrid`` also runs the
Done-when checks of issue 3. Latency alone: ``hybrid-filters`` (the queries under four filter sets in turn),
``similar-references`` (ten well-known references), ``query-embedding`` (the model alone). ``hnsw-recall``:
dense HNSW search against exact search (quality_hnsw.py). ``similar-quality`` (quality_similar.py) and the
``story-*`` workloads (quality_story.py) are the other two scripts.

Every query is embedded when it is timed (the bench's search service keeps no query vectors), where the old
script's second and third rounds were answered from the embedder's memory.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.entrypoints.bench.workloads.quality_judged import (
    NOT_BENCH,
    SEARCH_QUERIES,
    Ranker,
    bench_context,
    judge,
    judged_path,
    missed,
    per_kind,
    read_queries,
)
from anime_mcp.ports.workload import EMBEDDER, INDEX, WorkloadContext, WorkloadResult

if TYPE_CHECKING:
    from anime_mcp.core.models import CatalogueEntry
    from anime_mcp.core.services.search import SearchService
    from anime_mcp.entrypoints.bench.context import BenchContext

GROUP = "quality"
SEARCH_PARAMETERS = {"queries": "search_queries.json of bench --judged: a judged file to read instead"}
SIMILAR_REFERENCES = (
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
)


def service_ranker(mode: SearchMode) -> Callable[[BenchContext], Ranker]:
    def make(context: BenchContext) -> Ranker:
        service = context.service()
        return lambda text, filters: [
            r.entry.anime_id for r in service.search(text, filters, limit=10, mode=mode)
        ]

    return make


def engine_fusion(fusion: str) -> Callable[[BenchContext], Ranker]:
    """Dense and sparse fused by the index engine itself (``IndexQuery.fusion``)."""

    def make(context: BenchContext) -> Ranker:
        from anime_mcp.ports.vector_index import IndexQuery

        service = context.service()

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

    return make


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


def fuzzy_baseline(context: BenchContext) -> Ranker:
    return FuzzyBaseline(list(context.catalogue.entries()))


def done_when_checks(context: BenchContext, service: SearchService) -> dict[str, bool]:
    """Issue 3's Done-when checks (each False when its entry is not in this catalogue)."""

    def top(text: str, **options: Any) -> list[CatalogueEntry]:
        return [r.entry for r in service.search(text, context.parse_filters(options), limit=10)]

    try:
        similar_ids = [r.entry.anime_id for r in service.similar("mal:1535", limit=10)[1]]
    except AnimeMcpError:
        similar_ids = []
    death_note = top("death note")
    movies = top("ghibli", type=["MOVIE"])
    return {
        "death note -> mal-1535 first": bool(death_note) and death_note[0].anime_id == "mal-1535",
        "dess note -> mal-1535 in top 3": "mal-1535" in [e.anime_id for e in top("dess note")[:3]],
        "ghibli --type MOVIE -> only movies": bool(movies) and {e.type.value for e in movies} == {"MOVIE"},
        "similar mal:1535 -> other entries": bool(similar_ids) and "mal-1535" not in similar_ids,
    }


@frozen
class Ranking:
    """One ranking over every judged search query: recall@10 and MRR, per kind in ``details``."""

    name: str
    description: str
    ranker: Callable[[BenchContext], Ranker]
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = True
    checks: bool = False  # also run issue 3's Done-when checks
    passes: int | None = None  # None: bench --repeat
    parameters: dict[str, str] = field(factory=lambda: dict(SEARCH_PARAMETERS))
    # the ranker made for each configuration (the fuzzy baseline's title list is built once)
    _made: weakref.WeakKeyDictionary[BenchContext, Ranker] = field(
        factory=weakref.WeakKeyDictionary, eq=False, repr=False, alias="_made"
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        bench = bench_context(context)
        if bench is None:
            return WorkloadResult(skipped=NOT_BENCH)
        path = judged_path(context, SEARCH_QUERIES, context.param("queries", ""))
        if isinstance(path, str):
            return WorkloadResult(skipped=path)
        queries = read_queries(context, path)
        if bench not in self._made:
            self._made[bench] = self.ranker(bench)
        judged = judge(queries, self._made[bench])
        details: dict[str, Any] = {
            "per_kind": per_kind(queries, judged.ranks),
            "misses": missed(queries, judged.ranks),
        }
        extra: dict[str, Any] = {"queries": len(queries)}
        if self.checks:
            checks = done_when_checks(bench, bench.service())
            details["done_when"] = {name: "PASS" if ok else "FAIL" for name, ok in checks.items()}
            extra["done_when"] = f"{sum(checks.values())}/{len(checks)} pass"
        return WorkloadResult(judged.samples, judged.quality(), extra, details=details)


def filter_sets() -> list[SearchFilters]:
    """The four filter sets ``hybrid-filters`` cycles through."""
    from anime_mcp.entrypoints.tools.filter_grammar import cli_filters, to_filters

    return [
        to_filters(cli_filters(types=["TV"], years="2000-2015")),
        to_filters(cli_filters(min_score=7.5, exclude_tags=["kids"])),
        to_filters(cli_filters(types=["MOVIE"], platforms=["anilist"])),
        to_filters(cli_filters(tags=["comedy"], seasons=["FALL", "SPRING"], episodes="1-26")),
    ]


Calls = list[Callable[[], object]]


def hybrid_filtered(context: BenchContext, texts: Sequence[str]) -> Calls:
    service, sets = context.service(), filter_sets()
    return [partial(service.search, t, sets[i % len(sets)]) for i, t in enumerate(texts)]


def similar_references(context: BenchContext, texts: Sequence[str]) -> Calls:
    from anime_mcp.core.services.catalogue import lookup

    service = context.service()
    held = []
    for reference in SIMILAR_REFERENCES:
        try:
            lookup(context.catalogue, reference, context.app.plugins.platforms())
        except AnimeMcpError:
            continue  # not in this catalogue (a slice)
        held.append(reference)
    rounds = context.param("similar_rounds", 10)
    return [partial(service.similar, r) for _ in range(rounds) for r in held]


def query_embedding(context: BenchContext, texts: Sequence[str]) -> Calls:
    service = context.service()
    embedder = service.embedder
    return [partial(embedder.embed_query, t) for t in texts]


@frozen
class Latency:
    """Latency alone: each call ``calls`` makes of the judged queries' texts, timed."""

    name: str
    description: str
    calls: Callable[[BenchContext, Sequence[str]], Calls]
    varies: frozenset[str] = frozenset({EMBEDDER, INDEX})
    judged: bool = False
    parameters: dict[str, str] = field(factory=lambda: dict(SEARCH_PARAMETERS))

    def run(self, context: WorkloadContext) -> WorkloadResult:
        from anime_mcp.entrypoints.bench.workloads.measure import time_each

        bench = bench_context(context)
        if bench is None:
            return WorkloadResult(skipped=NOT_BENCH)
        path = judged_path(context, SEARCH_QUERIES, context.param("queries", ""))
        if isinstance(path, str):
            return WorkloadResult(skipped=path)
        calls = self.calls(bench, [q.text for q in read_queries(context, path)])
        if not calls:
            return WorkloadResult(skipped="none of its references is in this catalogue")
        return WorkloadResult(tuple(time_each(lambda call: call(), calls)), extra={"calls": len(calls)})


def search_quality_workloads() -> list[object]:
    """What benchmarks/search_quality.py ran, in its order."""
    from anime_mcp.entrypoints.bench.workloads.quality_hnsw import HnswRecall

    judged = "judged search queries"
    similar = {"similar_rounds": "10: rounds over the ten references per pass"}
    return [
        Ranking("ranking-dense", f"{judged}, dense vector only", service_ranker(SearchMode.DENSE)),
        Ranking(
            "ranking-sparse", f"{judged}, sparse (lexical) vector only", service_ranker(SearchMode.SPARSE)
        ),
        Ranking(
            "ranking-hybrid",
            f"{judged}, hybrid (the default ranking); issue 3's Done-when checks",
            service_ranker(SearchMode.HYBRID),
            checks=True,
        ),
        Ranking("ranking-rrf", f"{judged}, the engine's RRF fusion", engine_fusion("rrf")),
        Ranking("ranking-dbsf", f"{judged}, the engine's DBSF fusion", engine_fusion("dbsf")),
        Ranking(
            "fuzzy-baseline",
            f"{judged}, rapidfuzz WRatio over every title and synonym (one timed pass)",
            fuzzy_baseline,
            varies=frozenset(),
            passes=1,
        ),
        Latency("hybrid-filters", f"{judged}, hybrid under four filter sets in turn", hybrid_filtered),
        Latency(
            "similar-references",
            "similar anime of ten well-known references",
            similar_references,
            parameters=similar,
        ),
        Latency(
            "query-embedding",
            f"{judged}: the query embedding alone",
            query_embedding,
            varies=frozenset({EMBEDDER}),
        ),
        HnswRecall(),
    ]


def workloads() -> list[object]:
    """Every workload of the group (frozen attrs classes: they satisfy ``Workload`` at run time, but mypy
    reads the protocol's attributes as settable, hence ``object`` as the plugin's own list does)."""
    from anime_mcp.entrypoints.bench.workloads.quality_similar import SimilarQuality
    from anime_mcp.entrypoints.bench.workloads.quality_story import story_workloads

    return [*search_quality_workloads(), SimilarQuality(), *story_workloads()]
