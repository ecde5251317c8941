"""Rendered catalogue entries (``presenters.entry_to_dict``) as compact text lines for an LLM's context."""

from __future__ import annotations

from typing import Any


def one_line(item: dict[str, Any]) -> str:
    """``Death Note — TV 2006, 37 ep, FINISHED, score 8.62 [mal-1535]``."""
    facts = [item["type"] + (f" {item['year']}" if item.get("year") else "")]
    if item.get("episodes"):
        facts.append(f"{item['episodes']} ep")
    facts.append(item["status"])
    if item.get("score") is not None:
        facts.append(f"score {item['score']:.2f}")
    return f"{item['title']} — {', '.join(facts)} [{item['anime_id']}]"


def numbered(items: list[dict[str, Any]]) -> list[str]:
    return [f"{rank}. {one_line(item)}" for rank, item in enumerate(items, start=1)]


def clip(values: list[str], count: int) -> str:
    shown = ", ".join(values[:count])
    return shown + (f" (+{len(values) - count} more)" if len(values) > count else "")


def details(item: dict[str, Any]) -> list[str]:
    """A few lines: facts, then the lists an answer usually needs, each clipped."""
    lines = [one_line(item)]
    if item.get("season") not in (None, "UNDEFINED"):
        lines.append(f"season: {item['season']} {item.get('year') or ''}".rstrip())
    if item.get("duration_seconds"):
        lines.append(f"episode length: {item['duration_seconds'] // 60} min")
    for name, count in (("studios", 5), ("tags", 15), ("synonyms", 6)):
        if item.get(name):
            lines.append(f"{name}: {clip(item[name], count)}")
    ids = item.get("ids") or {}
    if ids:
        lines.append("ids: " + ", ".join(f"{platform}:{value}" for platform, value in ids.items()))
    return lines
