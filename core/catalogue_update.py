"""A catalogue update, judged before it is applied: what a new release adds, removes and changes against the
catalogue in service, and whether it looks sound enough to swap in (the checks of the weekly update)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping

import attrs
from attrs import field, frozen

from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId

# Anime every full release has carried for years: one missing means a broken release, not a removal.
# Cowboy Bebop, Death Note, Fullmetal Alchemist: Brotherhood, Steins;Gate, Shingeki no Kyojin.
DEFAULT_MUST_KEEP = tuple(PlatformId(Platform.MAL, i) for i in ("1", "1535", "5114", "9253", "16498"))
EXAMPLES = 5  # examples shown per kind of change


@frozen
class UpdatePolicy:
    """What a release must satisfy to replace the catalogue in service."""

    max_drop: float = 0.10  # share of the current entries a release may lose
    max_malformed: float = 0.01  # share of a release's entries that may fail to read (a changed schema)
    must_keep: tuple[PlatformId, ...] = DEFAULT_MUST_KEEP  # anime that, when in service, must stay


@frozen
class EntryChange:
    """One example of a change: which anime, and for a changed one the fields that differ."""

    anime_id: str
    title: str
    fields: tuple[str, ...] = ()


@frozen
class CatalogueDiff:
    before: int  # entries in the current catalogue
    after: int  # entries in the release
    added: int
    removed: int
    changed: int
    unchanged: int
    examples_added: tuple[EntryChange, ...] = ()
    examples_removed: tuple[EntryChange, ...] = ()
    examples_changed: tuple[EntryChange, ...] = ()
    kept: frozenset[PlatformId] = field(factory=frozenset)  # the watched ids the release still has

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def digest(entry: CatalogueEntry) -> bytes:
    """A short fingerprint of every field of an entry (its repr lists them all, in a fixed order)."""
    return hashlib.blake2b(repr(entry).encode("utf-8"), digest_size=12).digest()


def fingerprints(entries: Iterable[CatalogueEntry]) -> dict[str, tuple[str, bytes]]:
    """anime id -> (title, digest): what the diff needs to remember of the current catalogue."""
    return {entry.anime_id: (entry.title, digest(entry)) for entry in entries}


def changed_fields(old: CatalogueEntry, new: CatalogueEntry) -> tuple[str, ...]:
    return tuple(a.name for a in attrs.fields(CatalogueEntry) if getattr(old, a.name) != getattr(new, a.name))


def diff_catalogues(
    current: Mapping[str, tuple[str, bytes]],
    release: Iterator[CatalogueEntry],
    *,
    old_entry: Callable[[str], CatalogueEntry | None],
    watch: Iterable[PlatformId] = (),
    examples: int = EXAMPLES,
) -> CatalogueDiff:
    """Compare the release (streamed once) with the current catalogue's fingerprints; ``old_entry`` looks a
    current entry up, for the changed fields of the examples; ``watch``: ids whose presence to report."""
    watched = frozenset(watch)
    kept: set[PlatformId] = set()
    seen: set[str] = set()
    added: list[EntryChange] = []
    changed: list[EntryChange] = []
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    for entry in release:
        anime_id = entry.anime_id
        if anime_id in seen:
            continue  # the store keeps the first of two entries under one id, and so does the diff
        seen.add(anime_id)
        kept.update(pid for pid in entry.sources if pid in watched)
        known = current.get(anime_id)
        if known is None:
            counts["added"] += 1
            if len(added) < examples:
                added.append(EntryChange(anime_id, entry.title))
        elif known[1] != digest(entry):
            counts["changed"] += 1
            if len(changed) < examples:
                old = old_entry(anime_id)
                fields = changed_fields(old, entry) if old is not None else ()
                changed.append(EntryChange(anime_id, entry.title, fields))
        else:
            counts["unchanged"] += 1
    gone = [(anime_id, title) for anime_id, (title, _) in current.items() if anime_id not in seen]
    return CatalogueDiff(
        before=len(current),
        after=len(seen),
        added=counts["added"],
        removed=len(gone),
        changed=counts["changed"],
        unchanged=counts["unchanged"],
        examples_added=tuple(added),
        examples_removed=tuple(EntryChange(a, t) for a, t in gone[:examples]),
        examples_changed=tuple(changed),
        kept=frozenset(kept),
    )


def release_problems(
    diff: CatalogueDiff,
    policy: UpdatePolicy,
    *,
    malformed: int,
    release: CatalogueMetadata,
    current: CatalogueMetadata | None,
    watched: Iterable[PlatformId],
) -> tuple[str, ...]:
    """Why the release must not replace the current catalogue (empty: it may)."""
    problems = []
    read = diff.after + malformed
    if diff.after == 0:
        problems.append("the release holds no usable entries")
    elif malformed > policy.max_malformed * read:
        problems.append(
            f"{malformed:,} of {read:,} entries do not match the catalogue schema "
            f"(more than {policy.max_malformed:.0%}): has the format changed?"
        )
    if diff.before and diff.after < (1 - policy.max_drop) * diff.before:
        lost = 1 - diff.after / diff.before
        problems.append(
            f"the release has {diff.after:,} entries, {lost:.0%} fewer than the {diff.before:,} in service "
            f"(at most {policy.max_drop:.0%} may go)"
        )
    missing = sorted(str(pid) for pid in set(watched) - diff.kept)
    if missing:
        problems.append(f"anime that must stay are missing: {', '.join(missing)}")
    if current is not None and release.last_update < current.last_update:
        problems.append(
            f"the release ({release.last_update.isoformat()}) is older than the catalogue in service "
            f"({current.last_update.isoformat()})"
        )
    return tuple(problems)
