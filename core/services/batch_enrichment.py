"""Batch enrichment: the enrichment use case over the whole catalogue or a selection, resumable.

- **Selection** (``Selection``): a platform the anime must be on, a season, "missing a field" (asked of the
  enrichment store), a limit. Its key names the run, so the same command resumes the same run.
- **Checkpoints**: the run's plan (the anime ids, cut into batches) is stored when it starts; each batch is
  enriched (its anime concurrently, the sources' rate limits holding them back) and written to the store
  together with its checkpoint in one transaction. A restart skips the finished batches, so stopping or
  ``kill -9`` loses at most the batch in flight. A finished run is closed; the next run starts afresh.
- **ETA**: each source's rate limits give the least time an anime can take (one request per anime and
  source); once batches finish, the observed pace counts too, whichever is slower.
- **On-demand answers** (``remember``): what a live question fetched is written too, so everyone's search
  benefits from it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Set
from typing import Any

import anyio
from attrs import field, frozen

from anime_mcp.core.enriched import StoredValue, values_from_record
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform
from anime_mcp.core.resolution import Resolution
from anime_mcp.core.services.enrichment import ENRICHABLE_FIELDS, Enrichment, enrich
from anime_mcp.ports.catalogue import Catalogue
from anime_mcp.ports.enrichment_store import BatchResult, BatchRun, EnrichmentStore, Filled
from anime_mcp.ports.source import Source

RunSync = Callable[..., Awaitable[Any]]
DEFAULT_BATCH = 20
DEFAULT_CONCURRENCY = 8
DEFAULT_DEADLINE = 30.0  # seconds per anime: a batch waits for rate limits, a person does not
MISSABLE = frozenset({"synopsis", "genres", "themes", "characters", "staff", "streaming", "score"})


@frozen
class Selection:
    """Which catalogue entries a run covers."""

    platform: Platform | None = None
    season: tuple[int, Season] | None = None
    missing: str | None = None  # a stored field the anime must lack
    limit: int | None = None
    sources: tuple[str, ...] = ()  # the sources to ask (empty: every source that can help)
    fields: tuple[str, ...] = ()  # the fields to ask for (empty: the enrichment's default)

    def __attrs_post_init__(self) -> None:
        if self.missing is not None and self.missing not in MISSABLE:
            raise ValueError(f"--missing takes one of {', '.join(sorted(MISSABLE))}, not {self.missing!r}")
        unknown = set(self.fields) - ENRICHABLE_FIELDS
        if unknown:
            known = ", ".join(sorted(ENRICHABLE_FIELDS))
            raise ValueError(f"--fields: no field {', '.join(sorted(unknown))}; one of {known}")
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"--limit must be at least 1, not {self.limit}")

    def key(self) -> str:
        plain = {
            "platform": self.platform,
            "season": [self.season[0], self.season[1].value] if self.season else None,
            "missing": self.missing,
            "limit": self.limit,
            "sources": sorted(self.sources),
            "fields": sorted(self.fields),
        }
        return hashlib.blake2b(json.dumps(plain, sort_keys=True).encode(), digest_size=8).hexdigest()


def select(catalogue: Catalogue, store: EnrichmentStore, selection: Selection) -> list[str]:
    """The anime ids the selection covers, in catalogue order."""
    lacking = store.having(selection.missing) if selection.missing else set()
    chosen: list[str] = []
    seen: set[str] = set()
    for entry in catalogue.entries():
        anime_id = entry.anime_id
        if anime_id in seen or anime_id in lacking:
            continue
        if selection.platform is not None and selection.platform not in entry.ids():
            continue
        if selection.season is not None and (entry.year, entry.season.season) != selection.season:
            continue
        seen.add(anime_id)
        chosen.append(anime_id)
        if selection.limit is not None and len(chosen) >= selection.limit:
            break
    return chosen


def plan_run(anime_ids: Iterable[str], selection: Selection, batch_size: int = DEFAULT_BATCH) -> BatchRun:
    if batch_size < 1:
        raise ValueError(f"the batch size must be at least 1, not {batch_size}")
    return BatchRun(selection.key(), tuple(anime_ids), batch_size)


def seconds_per_anime(sources: Iterable[Source]) -> float:
    """The least time one anime takes under the sources' declared rate limits (one request per source and
    anime; the sources are asked at once, so the slowest sets the pace)."""
    slowest = 0.0
    for source in sources:
        for limit in source.info.rate_limits:
            slowest = max(slowest, limit.per_seconds / limit.requests)
    return slowest


def eta_seconds(remaining: int, per_anime_limit: float, done: int, elapsed: float) -> float:
    """Seconds left: the rate limits' bound, or the pace so far when slower."""
    observed = elapsed / done if done else 0.0
    return remaining * max(per_anime_limit, observed)


@frozen
class BatchProgress:
    done: int  # anime finished (in this run, resumed batches included)
    total: int
    batches_done: int
    batches: int
    eta: float  # seconds


@frozen
class BatchSummary:
    key: str
    anime: int  # in the run
    batches: int
    resumed: int  # batches finished by an earlier, interrupted run and not done again
    ran: int  # batches done by this call
    filled: dict[str, int]  # field -> anime that received it (this call)
    anime_filled: int  # anime that received anything (this call and earlier ones of the run)
    values: int  # values written (this call and earlier ones of the run)
    failures: dict[str, int]  # "source: reason" -> anime (whole run)
    failed_anime: tuple[str, ...] = field(default=())  # anime no source could add anything to (this call)
    seconds: float = 0.0


def enrichment_values(result: Enrichment) -> list[StoredValue]:
    """What an enrichment's live answers give the store (records served from a cache were written when
    they were first fetched)."""
    values: list[StoredValue] = []
    for fetched in result.records:
        if fetched.from_cache or fetched.record.cache is not None:
            continue
        values += values_from_record(fetched.record, fetched.record.platform_id.platform.value)
    return values


def remember(store: EnrichmentStore, result: Enrichment) -> int:
    """Write what an on-demand enrichment fetched live; returns the values written."""
    values = enrichment_values(result)
    return store.put([(result.entry.anime_id, values)]) if values else 0


def _failures(result: Enrichment) -> list[tuple[str, str]]:
    return [
        (result.entry.anime_id, f"{o.source}: {o.reason}")
        for o in result.outcomes
        if not o.contributed and o.status.value == "failed"
    ]


async def run_batches(
    run: BatchRun,
    catalogue: Catalogue,
    store: EnrichmentStore,
    sources: Mapping[str, Source],
    *,
    run_sync: RunSync,
    fields: Set[str] = frozenset(),
    only: Collection[str] | None = None,
    ready: Callable[[Source], bool] | None = None,
    deadline: float = DEFAULT_DEADLINE,
    concurrency: int = DEFAULT_CONCURRENCY,
    progress: Callable[[BatchProgress], None] | None = None,
) -> BatchSummary:
    """Enrich every unfinished batch of ``run`` (stored with ``store.open_run`` first), checkpointing each."""
    started = time.perf_counter()
    finished = await run_sync(store.finished_batches, run.key)
    resumed = sum(1 for n in finished if n < run.batches)
    asked = [s for sid, s in sources.items() if only is None or sid in only]
    per_anime = seconds_per_anime(s for s in asked if ready is None or ready(s))
    done = sum(len(run.batch(n)) for n in finished if n < run.batches)
    done_here = 0
    filled: Counter[str] = Counter()
    failed_anime: list[str] = []
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    def tell() -> None:
        if progress is not None:
            remaining = len(run.anime_ids) - done
            eta = eta_seconds(remaining, per_anime, done_here, time.perf_counter() - started)
            progress(BatchProgress(done, len(run.anime_ids), len(finished), run.batches, eta))

    async def one(anime_id: str, out: dict[str, Enrichment | str]) -> None:
        async with limiter:
            entry = await run_sync(catalogue.by_anime_id, anime_id)
            if entry is None:
                out[anime_id] = "no longer in the catalogue"
                return
            out[anime_id] = await enrich(
                Resolution(entry),
                catalogue,
                sources,
                fields=fields,
                only=only,
                deadline=deadline,
                ready=ready,
                run_sync=run_sync,
            )

    tell()
    for number in range(run.batches):
        if number in finished:
            continue
        ids = run.batch(number)
        results: dict[str, Enrichment | str] = {}
        async with anyio.create_task_group() as group:
            for anime_id in ids:
                group.start_soon(one, anime_id, results)
        written: list[Filled] = []
        failures: list[tuple[str, str]] = []
        for anime_id in ids:
            result = results[anime_id]
            if isinstance(result, str):
                failures.append((anime_id, f"catalogue: {result}"))
                continue
            values = enrichment_values(result)
            failures += _failures(result)
            if values:
                written.append((anime_id, values))
                filled.update({v.field for v in values})
            else:
                failed_anime.append(anime_id)
        count = sum(len(v) for _, v in written)
        outcome = BatchResult(number, count, len(written), tuple(failures))
        await run_sync(store.finish_batch, run.key, outcome, written)
        finished[number] = outcome
        done += len(ids)
        done_here += len(ids)
        tell()
    await run_sync(store.close_run, run.key)
    return _summary(run, finished, filled, failed_anime, resumed=resumed, started=started)


def _summary(
    run: BatchRun,
    finished: Mapping[int, BatchResult],
    filled: Counter[str],
    failed_anime: list[str],
    *,
    resumed: int,
    started: float,
) -> BatchSummary:
    failures: Counter[str] = Counter()
    for result in finished.values():
        failures.update(reason for _, reason in result.failures)
    return BatchSummary(
        key=run.key,
        anime=len(run.anime_ids),
        batches=run.batches,
        resumed=resumed,
        ran=len(finished) - resumed,
        filled=dict(sorted(filled.items())),
        anime_filled=sum(r.anime_filled for r in finished.values()),
        values=sum(r.filled for r in finished.values()),
        failures=dict(failures.most_common()),
        failed_anime=tuple(failed_anime),
        seconds=time.perf_counter() - started,
    )
