"""The catalogue update use case (``anime-mcp update``, and the schedule inside ``serve``): fetch the newest
release, judge it against the catalogue in service, swap it in, then bring the enrichment store and the
search index into line.

Each step leaves a whole state behind, so a run killed anywhere is finished by the next one:
- the release is read and diffed before anything is written; a refused release changes nothing;
- the swap is the store's own (a new file renamed over the old one);
- then the enrichment rows of anime the catalogue no longer has are dropped (one transaction), and the index
  is updated incrementally (a new generation, switched to when complete). Both steps compare with the
  catalogue in service rather than with the diff, so a rerun after a crash completes them even when the
  release is by then the catalogue in service (an empty diff).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import structlog
from attrs import evolve, frozen

from anime_mcp.core.catalogue import CatalogueLocation, CatalogueStats
from anime_mcp.core.catalogue_update import (
    CatalogueDiff,
    UpdatePolicy,
    diff_catalogues,
    fingerprints,
    release_problems,
)
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.services.catalogue import ProgressFactory, choose_reader, ingest_file
from anime_mcp.core.services.indexing import IndexReport
from anime_mcp.ports.catalogue import CatalogueFetcher, CatalogueReader, CatalogueStore
from anime_mcp.ports.enrichment_store import EnrichmentStore

log = structlog.get_logger("anime_mcp.catalogue")


@frozen
class UpdateReport:
    location: str
    release: str  # the release's date
    previous_release: str | None
    diff: CatalogueDiff
    problems: tuple[str, ...]  # why the release was refused (empty: accepted)
    swapped: bool  # the catalogue in service is now the release
    dry_run: bool
    enrichment_dropped: int = 0  # enrichment values of anime that left the catalogue
    index: IndexReport | None = None  # None: not indexed (no model installed)
    note: str = ""

    @property
    def refused(self) -> bool:
        return bool(self.problems)


def update_catalogue(
    location: CatalogueLocation,
    fetcher: CatalogueFetcher,
    readers: Sequence[CatalogueReader],
    store: CatalogueStore,
    enrichment: EnrichmentStore,
    *,
    policy: UpdatePolicy,
    index: Callable[[], IndexReport | None],
    dry_run: bool = False,
    progress: ProgressFactory | None = None,
) -> UpdateReport:
    """Fetch, judge and (unless refused or ``dry_run``) apply the release at ``location``; ``index`` brings
    the search index up to date with the store (incrementally) and reports how."""
    fetched = fetcher.fetch(
        location, progress=progress("downloading") if progress and location.is_url else None
    )
    path = Path(fetched.path)
    reader = choose_reader(path, readers)
    current = _stats(store)
    in_service = fingerprints(store.entries()) if current is not None else {}
    watched = [pid for pid in policy.must_keep if current is not None and store.by_platform_id(pid)]
    read = reader.read(path, strict=False, progress=progress("checking") if progress else None)
    diff = diff_catalogues(in_service, read.entries, old_entry=store.by_anime_id, watch=watched)
    previous = current.metadata if current is not None else None
    problems = release_problems(
        diff, policy, malformed=len(read.skipped), release=read.metadata, current=previous, watched=watched
    )
    report = UpdateReport(
        location=location.value,
        release=read.metadata.last_update.isoformat(),
        previous_release=previous.last_update.isoformat() if previous else None,
        diff=diff,
        problems=problems,
        swapped=False,
        dry_run=dry_run,
        note=fetched.note,
    )
    log.info(
        "catalogue.update.judged",
        location=location.value,
        added=diff.added,
        removed=diff.removed,
        changed=diff.changed,
        problems=list(problems),
    )
    if problems or dry_run:
        return report
    swapped = diff.has_changes or previous != read.metadata
    if swapped:
        ingest_file(path, readers, store, source=location.value, note=fetched.note)
    dropped = align_enrichment(store, enrichment)
    indexed = index()
    log.info("catalogue.update.applied", swapped=swapped, enrichment_dropped=dropped)
    return evolve(report, swapped=swapped, enrichment_dropped=dropped, index=indexed)


def align_enrichment(catalogue: CatalogueStore, enrichment: EnrichmentStore) -> int:
    """Drop what the enrichment store holds of anime the catalogue no longer has; keep the rest."""
    gone = [anime_id for anime_id in enrichment.anime_ids() if catalogue.by_anime_id(anime_id) is None]
    return enrichment.forget(gone) if gone else 0


def _stats(store: CatalogueStore) -> CatalogueStats | None:
    try:
        return store.stats()
    except AnimeMcpError:  # nothing ingested yet: the release is the first catalogue
        return None
