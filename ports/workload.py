"""Benchmark workloads (``anime-mcp bench``): what one workload is, and what it may ask of the configuration
it runs against.

A workload is registered by a plugin (``register_workloads``), names the adapter kinds whose choice changes
its figures (``varies``), and runs one pass over its inputs against a ``WorkloadContext``: the bench runner
builds one context per configuration (one embedder, index, cache or source varied, everything else fixed),
calls ``run`` once to warm up (peak memory is measured then) and ``repeat`` times for the latency samples.
A workload may say otherwise with two optional attributes: ``warm_up = False`` (no untimed first pass: a
load run of a server, a full ingest) and ``passes = N`` (always N timed passes, whatever ``--repeat`` says).
A third, ``parameters`` (name -> "default: meaning"), is what ``bench --list`` shows of its settings, and
``self_contained = True`` says it builds its own home (from ``context.shared_dir``) and needs neither the
configured home nor a model: such a run composes nothing.

Workload settings come from ``bench --param NAME=VALUE`` (``context.param``), each with the workload's
default, so one command line drives every workload and the report records what was asked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from attrs import field, frozen

from anime_mcp.core.filters import SearchFilters, SearchMode
from anime_mcp.ports.catalogue import Catalogue

EMBEDDER = "embedder"
INDEX = "index"
CACHE = "cache"
SOURCE = "source"
ADAPTER_KINDS = (EMBEDDER, INDEX, CACHE, SOURCE)
T = TypeVar("T", str, int, float, bool, Path)


def rank_of_first(found: Sequence[str], relevant: frozenset[str], k: int = 10) -> int | None:
    """The rank (1-based) of the first relevant answer among the first ``k`` found, or None."""
    return next((i for i, anime_id in enumerate(found[:k], 1) if anime_id in relevant), None)


def recall_and_mrr(ranks: Sequence[int | None]) -> dict[str, float]:
    """A judged workload's quality from the rank of each query's first relevant answer: ``recall@10``, the
    share of queries with one in the first 10, and ``mrr``, the mean of 1/rank (0 when none)."""
    if not ranks:
        return {}
    return {
        "recall@10": sum(r is not None for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks if r) / len(ranks),
    }


def entries_with_tags(catalogue: Catalogue, wanted: Sequence[Sequence[str]]) -> list[set[str]]:
    """For each tag list of ``wanted``, the anime ids of the catalogue entries carrying all of its tags (one
    pass over the catalogue): the answers of a judged descriptive query (``relevant_tags``)."""
    found: list[set[str]] = [set() for _ in wanted]
    if not wanted:
        return found
    sets = [set(tags) for tags in wanted]
    for entry in catalogue.entries():
        tags = set(entry.tags)
        for i, needed in enumerate(sets):
            if needed <= tags:
                found[i].add(entry.anime_id)
    return found


@frozen
class WorkloadResult:
    """One pass: seconds per operation, quality figures where the workload is judged (``recall@10``,
    ``mrr``), anything else worth showing in the table (``extra``), and figures too detailed for a table
    cell (``details``: per-kind breakdowns, per-round runs), written to the JSON and the HTML report.
    ``skipped`` says why nothing was measured."""

    samples: tuple[float, ...] = ()
    quality: Mapping[str, float] = field(factory=dict)
    extra: Mapping[str, Any] = field(factory=dict)
    skipped: str | None = None
    details: Mapping[str, Any] = field(factory=dict)


class WorkloadContext(Protocol):
    """One configuration under test, through narrow calls (the runner owns how the adapters are built)."""

    label: str  # the configuration, for people ("all-MiniLM-L6-v2-int8", "redis", ...)
    workdir: Path  # scratch space of this run (temporary homes, samples); kept with ``bench --workdir``
    shared_dir: Path | None  # the folder of real data and recordings (``bench --shared``), when there is one

    @property
    def catalogue(self) -> Catalogue:
        """The catalogue of the configured home (opened on first use)."""
        ...

    def progress(self, line: str) -> None:
        """Say what a long workload is doing (a line on stderr; nothing with ``--json``)."""
        ...

    def param(self, name: str, default: T) -> T:
        """The value of ``bench --param NAME=VALUE``, read as the type of ``default``; ``default`` when
        not given. A value that does not read as that type is a configuration error naming the parameter."""
        ...

    def judged_set(self, name: str) -> Path | None:
        """The judged query file ``name`` (``search_queries.json``), or None when it is not available."""
        ...

    def parse_filters(self, options: Mapping[str, Any]) -> SearchFilters:
        """Filters written with the CLI's option names (``year``, ``type``, ``tag`` ...)."""
        ...

    def search(self, text: str, filters: SearchFilters, mode: SearchMode, limit: int) -> list[str]:
        """The anime ids found, best first."""
        ...

    def similar(self, reference: str, limit: int) -> list[str]: ...

    def ingest_sample(self) -> Mapping[str, float] | None:
        """Ingest the configured sample of a catalogue release into a fresh home and index it with this
        configuration's embedder and index backend: ``entries``, ``store_s`` and ``index_s`` (seconds);
        None when no release is configured (``bench --catalogue FILE``)."""
        ...

    def enrichment_targets(self) -> Sequence[str]:
        """References the replayed sources have answers for (empty: no recordings configured)."""
        ...

    def enrich(self, reference: str) -> Mapping[str, str]:
        """Ask this configuration's sources about ``reference``: each source's outcome (``contributed``,
        ``failed: reason``, ...)."""
        ...

    def cold_start(self) -> float:
        """Seconds from nothing built to the first search answered (a fresh composition of this
        configuration in this process: imports already loaded)."""
        ...


@runtime_checkable
class Workload(Protocol):
    """Registered by plugins: one benchmark workload."""

    # read-only, so a frozen attrs class is a workload
    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def varies(self) -> frozenset[str]:
        """Of ADAPTER_KINDS: the kinds whose choice changes this workload's figures."""
        ...

    @property
    def judged(self) -> bool:
        """Whether it reports recall@10 and MRR."""
        ...

    def run(self, context: WorkloadContext) -> WorkloadResult: ...
