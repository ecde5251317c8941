"""The query planner's speed and quality on the judged development set (benchmarks/planner_speed.py, issue
11): the vocabulary built from the full release (timed once), every question scored per key, then planned
once a pass (``bench --repeat N`` plans each N times), and 100 kB of noise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)  # the development set's dates are relative to this
NOISE = "lorem ipsum \x00\ud800 " * 7000  # about 100 kB of text no planner should take long on


@frozen
class PlannerSpeed:
    """Vocabulary build and scoring once per configuration (the first pass), plan time per question in
    every pass."""

    name: str = "planner-speed"
    description: str = (
        "query planner: vocabulary build from the release, per-key accuracy on SHARED/queries/dev.jsonl, "
        "plan time per question (bench --repeat N plans each N times), 100 kB of noise"
    )
    varies: frozenset[str] = frozenset()
    judged: bool = False
    warm_up: bool = False  # the first pass builds the vocabulary: timed, and not under tracemalloc
    self_contained: bool = True  # builds its own home: needs no configured home or model
    parameters: Mapping[str, str] = field(
        factory=lambda: {
            "catalogue": "default: the release the vocabulary is built from (bench --catalogue FILE, "
            "else SHARED/data/anime-offline-database.jsonl.zst)",
            "queries": "default: SHARED/queries/dev.jsonl, the judged development set",
        }
    )
    _built: dict[int, dict[str, Any]] = field(factory=dict, eq=False, repr=False)  # per context

    def run(self, context: WorkloadContext) -> WorkloadResult:
        import time

        from anime_mcp.core.planning import plan

        state = self._built.get(id(context))
        if state is None:
            prepared = _prepare(context)
            if isinstance(prepared, WorkloadResult):
                return prepared
            state = self._built[id(context)] = prepared
        vocabulary, cases = state["vocabulary"], state["cases"]
        samples = []
        for case in cases:
            started = time.perf_counter()
            plan(case["q"], vocabulary=vocabulary, now=NOW)
            samples.append(time.perf_counter() - started)
        state["all"] += samples
        return WorkloadResult(
            tuple(samples),
            quality={"accuracy": state["accuracy"]},
            extra={**state["extra"], "max_ms": round(max(state["all"]) * 1e3, 3)},
            details=state["details"],
        )


def _prepare(context: WorkloadContext) -> dict[str, Any] | WorkloadResult:
    """The vocabulary (timed), the questions and their score, or a skip saying what is missing."""
    import time
    from pathlib import Path

    from anime_mcp.core.planning import plan
    from anime_mcp.core.services.catalogue import choose_reader
    from anime_mcp.entrypoints.bench.workloads.data_support import composed, no_release, release
    from anime_mcp.entrypoints.bench.workloads.planner_scoring import load_cases, score
    from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
    from anime_mcp.testing import FakeCatalogue

    bench = composed(context)
    if isinstance(bench, WorkloadResult):
        return bench
    named = context.param("queries", "")
    queries = (
        Path(named) if named else (bench.shared_dir / "queries" / "dev.jsonl" if bench.shared_dir else None)
    )
    if queries is None or not queries.is_file():
        return WorkloadResult(
            skipped="no judged development set: the shared folder's queries/dev.jsonl (bench --shared DIR) "
            "or --param queries=FILE"
        )
    path = release(bench)
    if path is None or not path.is_file():
        return no_release()
    context.progress(f"reading {path}")
    readers = bench.app.plugins.catalogue_readers()
    catalogue = FakeCatalogue(choose_reader(path, readers).read(path, strict=False).entries)
    entries = catalogue.stats().entries
    # the app's own way to the vocabulary, over the release held in memory (no store to read)
    app = bootstrap(
        bench.settings, overrides=Overrides(plugins=bench.app.plugins, catalogue=lambda: catalogue)
    )
    context.progress(f"building the planner vocabulary of {entries:,} entries")
    started = time.perf_counter()
    vocabulary = app.planner_vocabulary()
    vocabulary_s = time.perf_counter() - started
    cases = load_cases(queries)
    scored = score(cases, lambda q: plan(q, vocabulary=vocabulary, now=NOW).to_json())
    started = time.perf_counter()
    plan(NOISE, vocabulary=vocabulary, now=NOW)
    noise_ms = (time.perf_counter() - started) * 1e3
    passed, total = sum(scored.passed.values()), sum(scored.total.values())
    return {
        "vocabulary": vocabulary,
        "cases": cases,
        "accuracy": scored.accuracy,
        "all": [],
        "extra": {
            "entries": entries,
            "vocabulary_s": round(vocabulary_s, 2),
            "questions": len(cases),
            "keys_passed": f"{passed}/{total}",
            "noise_ms": round(noise_ms, 1),
        },
        "details": {
            "release": str(path),
            "queries": str(queries),
            "per_key": {
                k: {"passed": scored.passed[k], "total": scored.total[k]} for k in sorted(scored.total)
            },
            "failures": [
                {"question": f.question, "key": f.key, "expected": f.expected} for f in scored.failures
            ],
        },
    }
