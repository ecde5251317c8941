"""A plan's filters as the search tools' ``filters`` object, and what those cannot apply themselves.

``any_tags`` (at least one of) and ``exclude_titles`` are applied to the results afterwards
(``PostFilters``, over a larger pool of hits); the adaptation source (``source_material``) is not in the
catalogue, and values outside the filters' ranges cannot be searched: those are named in the answer's
metadata (``unapplied_filters``) rather than silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from attrs import frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.planning import PlanFilters, QueryPlan
from anime_mcp.core.references import normalise_title
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.schemas import SEASONS, STATUSES, TYPES

MAX_TEXT = 500  # the search tool's longest query
MAX_ITEMS = 50  # and its longest list
YEARS = (1900, 2100)
SEASON_ORDER = {"WINTER": 0, "SPRING": 1, "SUMMER": 2, "FALL": 3}


def search_filters(f: PlanFilters) -> tuple[dict[str, Any], PostFilters, list[str]]:
    """The search tools' ``filters`` object, the filters applied afterwards, and the plan filters (by
    their plan name) that neither can apply."""
    raw: dict[str, Any] = {}
    unapplied: list[str] = []
    for key, value in (("year_min", f.year_min), ("year_max", f.year_max)):
        if value is not None:
            raw[key] = min(max(value, YEARS[0]), YEARS[1])
    if raw.get("year_min", YEARS[0]) > raw.get("year_max", YEARS[1]):
        raw.pop("year_min", None), raw.pop("year_max", None)
        unapplied += ["year_min", "year_max"]
    for key, values, allowed in (
        ("seasons", [f.season] if f.season else [], SEASONS),
        ("types", f.types, TYPES),
        ("statuses", f.statuses, STATUSES),
    ):
        known = [v.upper() for v in values if v.upper() in allowed]
        if known:
            raw[key] = sorted(set(known))
        if len(known) < len(values):
            unapplied.append({"seasons": "season"}.get(key, key))
    for key, values in (("tags", f.include_tags), ("exclude_tags", f.exclude_tags), ("studios", f.studios)):
        kept = _names(values)
        if kept:
            raw[key] = kept
    for key, value in (("episodes_min", f.episodes_min), ("episodes_max", f.episodes_max)):
        if value is not None:
            raw[key] = max(value, 0)
    if f.score_min is not None:
        raw["min_score"] = min(max(float(f.score_min), 0.0), 10.0)
    if f.source_material:
        unapplied.append("source_material")
    post = PostFilters(any_tags=tuple(_names(f.any_tags)), exclude_titles=tuple(_names(f.exclude_titles)))
    return raw, post, unapplied


def _names(values: Iterable[str]) -> list[str]:
    return [v[:200] for v in values if v.strip()][:MAX_ITEMS]


@frozen
class PostFilters:
    """What the search cannot filter: at least one of ``any_tags``; none of the ``exclude_titles``."""

    any_tags: tuple[str, ...] = ()
    exclude_titles: tuple[str, ...] = ()
    exclude_ids: frozenset[str] = frozenset()  # the excluded titles' catalogue entries

    @property
    def active(self) -> bool:
        return bool(self.any_tags or self.exclude_titles)

    async def resolved(self, runtime: Runtime) -> PostFilters:
        """With the catalogue entries the excluded titles name (a title it does not know excludes by name)."""
        ids = set()
        for title in self.exclude_titles:
            try:
                ids.add((await runtime.resolve(title)).entry.anime_id)
            except AnimeMcpError:
                continue
        return PostFilters(self.any_tags, self.exclude_titles, frozenset(ids))

    def apply(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = {t.lower() for t in self.any_tags}
        excluded = [k for k in (normalise_title(t) for t in self.exclude_titles) if k]

        def keep(item: dict[str, Any]) -> bool:
            if wanted and not wanted & {t.lower() for t in item.get("tags", ())}:
                return False
            if item["anime_id"] in self.exclude_ids:
                return False
            key = normalise_title(item["title"])
            # "not Naruto": its sequels and side stories too; a short key only as the title's start
            return not any(k in key if len(k) >= 4 else key.startswith(k) for k in excluded)

        return [item for item in items if keep(item)]


def search_text(plan: QueryPlan) -> tuple[str, bool]:
    """What to search for, and whether it is the question's own words (not only the names of its
    filters, or "anime" when the question is all filters)."""
    if plan.keywords and plan.keywords.strip():
        return plan.keywords[:MAX_TEXT], True
    unresolved = [t.text for t in plan.titles if t.anime_id is None]
    if unresolved:
        return " ".join(unresolved)[:MAX_TEXT], True
    f = plan.filters
    named = " ".join([*f.include_tags, *f.any_tags, *f.studios])
    return (named[:MAX_TEXT].strip() or "anime"), False


def rank(items: list[dict[str, Any]], order: str) -> list[dict[str, Any]]:
    """Results in ``order``: relevance (as found), score (best first, unscored last) or newest."""
    if order == "score":
        return sorted(items, key=lambda i: (i.get("score") is None, -(i.get("score") or 0.0)))
    if order == "newest":
        return sorted(
            items,
            key=lambda i: (
                i.get("year") is None,
                -(i.get("year") or 0),
                -SEASON_ORDER.get(str(i.get("season")), -1),
            ),
        )
    return items
