"""The catalogue store measured on its own: a full ingest, opening the store, lookups by platform id, URL and
title against re-reading the release (benchmarks/catalogue.py); and ``seasonal_anime`` answered offline from
it through the tool catalogue (benchmarks/seasonal_offline.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attrs import field, frozen

from anime_mcp.ports.workload import WorkloadContext, WorkloadResult

RELEASE_DEFAULT = "default: the release (bench --catalogue FILE, else SHARED/data/anime-offline-database...)"
SEASONS = ("WINTER", "SPRING", "SUMMER", "FALL")


def _close(store: object) -> None:
    close = getattr(store, "close", None)
    if callable(close):
        close()


def _uncached(store: object) -> Callable[[], None]:
    """Empties the store's memory of entries read (the SQLite store's LRU), so a lookup reads the store."""
    clear = getattr(getattr(store, "_load", None), "cache_clear", None)
    return clear if callable(clear) else lambda: None


@frozen
class CatalogueLookups:
    """Full ingest, store open, lookups cold and warm by id, URL and title; the baseline re-reads the
    release to answer one lookup, as a tool without a store would."""

    name: str = "catalogue"
    description: str = (
        "catalogue store: full ingest, store open, lookups by id / URL / title (cold and warm) "
        "vs re-reading the release"
    )
    varies: frozenset[str] = frozenset()
    judged: bool = False
    warm_up: bool = False  # one ingest of the whole release is the pass
    self_contained: bool = True  # builds its own home: needs no configured home or model
    passes: int = 1
    parameters: Mapping[str, str] = field(
        factory=lambda: {
            "catalogue": RELEASE_DEFAULT,
            "lookups": "3000: entries looked up, each by id, URL and title",
        }
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        import random
        import tempfile
        import time
        from pathlib import Path

        from anime_mcp.core.references import canonical_url
        from anime_mcp.core.services.catalogue import choose_reader, ingest_file, lookup
        from anime_mcp.entrypoints.bench.workloads.data_support import (
            composed,
            fresh_app,
            no_release,
            release,
        )
        from anime_mcp.entrypoints.bench.workloads.measure import summary_ms, time_each

        bench = composed(context)
        if isinstance(bench, WorkloadResult):
            return bench
        path = release(bench)
        if path is None or not path.is_file():
            return no_release()
        count = context.param("lookups", 3000)
        rng = random.Random(1535)
        with tempfile.TemporaryDirectory(prefix="catalogue-", dir=context.workdir) as temp:
            app = fresh_app(bench, Path(temp))
            store, readers = app.catalogue, app.plugins.catalogue_readers()
            context.progress(f"ingesting {path}")
            started = time.perf_counter()
            report = ingest_file(path, readers, store)
            ingest_s = time.perf_counter() - started

            started = time.perf_counter()
            reopened = app.open_catalogue()
            reopened.stats()
            open_ms = (time.perf_counter() - started) * 1e3
            _close(reopened)

            entries = list(store.entries())
            picks = rng.sample(entries, min(count, len(entries)))
            kinds = {
                "platform id": [str(rng.choice(e.sources)) for e in picks],
                "URL": [canonical_url(rng.choice(e.sources)) for e in picks],
                "title": [e.title for e in picks],
            }
            forget = _uncached(store)

            def cold(reference: str) -> object:
                forget()  # the store, not the memory in front of it
                return lookup(store, reference)

            context.progress(f"{len(picks)} lookups by id, URL and title")
            samples: list[float] = []
            by_kind: dict[str, dict[str, float]] = {}
            for kind, references in kinds.items():
                cold_samples = time_each(cold, references)
                warm = summary_ms(time_each(lambda r: lookup(store, r), references))
                first = summary_ms(cold_samples)
                samples += cold_samples
                by_kind[kind] = {
                    "n": first["n"],
                    "cold_median_ms": round(first["median_ms"], 3),
                    "cold_p95_ms": round(first["p95_ms"], 3),
                    "warm_median_ms": round(warm["median_ms"], 3),
                    "warm_p95_ms": round(warm["p95_ms"], 3),
                }

            target = kinds["platform id"][0]
            context.progress(f"the baseline re-reads {path.name} to find {target}")
            started = time.perf_counter()
            for entry in choose_reader(path, readers).read(path, strict=False).entries:
                if target in {str(s) for s in entry.sources}:
                    break
            baseline_ms = (time.perf_counter() - started) * 1e3
            _close(store)
        cold_p95 = by_kind["platform id"]["cold_p95_ms"]
        return WorkloadResult(
            tuple(samples),
            extra={
                "entries": report.stats.entries,
                "ingest_s": round(ingest_s, 2),
                "open_ms": round(open_ms, 2),
                "baseline_ms": round(baseline_ms),
                "baseline_x_cold_p95": round(baseline_ms / cold_p95) if cold_p95 > 0 else None,
            },
            details={
                "release": str(path),
                "entries": report.stats.entries,
                "skipped": report.stats.skipped,
                "lookups": by_kind,
                "baseline": {"reference": target, "ms": round(baseline_ms, 1)},
            },
        )


@frozen
class SeasonalOffline:
    """A past season answered from the catalogue through the tool catalogue, in process, with no source
    plugin loaded; the first call builds the season index (reported apart, not a sample)."""

    name: str = "seasonal-offline"
    description: str = (
        "seasonal_anime offline through the tool catalogue: season index build (first call) apart, then "
        "random past seasons, half with a format filter (target p95 < 50 ms)"
    )
    varies: frozenset[str] = frozenset()
    judged: bool = False
    warm_up: bool = False  # each pass ingests the release into a new home
    self_contained: bool = True  # builds its own home: needs no configured home or model
    passes: int = 1
    parameters: Mapping[str, str] = field(
        factory=lambda: {"catalogue": RELEASE_DEFAULT, "calls": "400: seasonal_anime calls after the first"}
    )

    def run(self, context: WorkloadContext) -> WorkloadResult:
        import random
        import tempfile
        from pathlib import Path

        import anyio

        from anime_mcp.core.services.catalogue import ingest_file
        from anime_mcp.entrypoints.bench.workloads.data_support import (
            composed,
            fresh_app,
            no_release,
            release,
        )
        from anime_mcp.entrypoints.bench.workloads.measure import summary_ms

        bench = composed(context)
        if isinstance(bench, WorkloadResult):
            return bench
        path = release(bench)
        if path is None or not path.is_file():
            return no_release()
        calls = context.param("calls", 400)
        with tempfile.TemporaryDirectory(prefix="seasonal-", dir=context.workdir) as temp:
            home = Path(temp)
            app = fresh_app(bench, home)
            context.progress(f"ingesting {path}")
            report = ingest_file(path, app.plugins.catalogue_readers(), app.catalogue)
            _close(app.catalogue)
            first, plain, filtered = anyio.run(_ask_seasons, home, calls, random.Random(2017))
        kinds = {"past season, 25 by score": plain, "past season, TV, by popularity": filtered}
        summaries = {kind: summary_ms(samples) for kind, samples in kinds.items() if samples}
        p95 = [round(s["p95_ms"], 2) for s in summaries.values()]
        return WorkloadResult(
            (*plain, *filtered),
            extra={
                "entries": report.stats.entries,
                "season_index_s": round(first, 2),
                **dict(zip(("p95_ms_by_score", "p95_ms_tv_by_popularity"), p95, strict=False)),
            },
            details={
                "release": str(path),
                "season_index_s": round(first, 3),
                "calls": {
                    kind: {k: round(v, 3) if isinstance(v, float) else v for k, v in s.items()}
                    for kind, s in summaries.items()
                },
            },
        )


async def _ask_seasons(home: Any, calls: int, rng: Any) -> tuple[float, list[float], list[float]]:
    """(the first call's seconds, plain calls' seconds, filtered calls' seconds) on the home's catalogue,
    composed with no plugin loaded: the offline answer alone."""
    import time

    from anime_mcp.entrypoints.bootstrap import bootstrap
    from anime_mcp.entrypoints.runtime import Runtime
    from anime_mcp.entrypoints.settings import Settings
    from anime_mcp.entrypoints.tools import build_tools

    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""})
    runtime = Runtime(bootstrap(settings))
    tools = build_tools(runtime)

    async def ask(arguments: dict[str, object]) -> float:
        started = time.perf_counter()
        await tools.call(runtime, "seasonal_anime", arguments)
        return time.perf_counter() - started

    try:
        first = await ask({"year": 2017, "season": "FALL"})
        plain: list[float] = []
        filtered: list[float] = []
        for n in range(calls):
            call = {"year": rng.randint(1990, 2024), "season": rng.choice(SEASONS)}
            if n % 2:
                filtered.append(await ask({**call, "type": "TV", "sort": "popularity"}))
            else:
                plain.append(await ask(call))
    finally:
        await runtime.aclose()
        _close(runtime.app.catalogue)
    return first, plain, filtered
