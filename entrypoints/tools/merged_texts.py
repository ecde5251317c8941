"""Renderings of the merged fields that are lists of many items, kept compact for an LLM's context: titles
and synopses per language (``core.merging.LanguageTexts``), characters and staff (capped, with a count)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from anime_mcp.core.merging import LanguageTexts
from anime_mcp.core.sources import CharacterCredit, PersonCredit

CREDITS_SHOWN = 25  # characters or staff of the chosen source
ALTERNATIVE_CREDITS_SHOWN = 5  # of every other source: enough to compare
VOICE_ACTORS_SHOWN = 3
TEXTS_SHOWN = 10  # texts per language
CREDIT_FIELDS = ("characters", "staff")
# The languages the text rendering names first; the JSON has them all.
PREFERRED_LANGUAGES = ("en", "ja-Latn", "ja")


def _person(person: PersonCredit) -> dict[str, Any]:
    return {"name": person.name, "roles": list(person.roles), "language": person.language, "url": person.url}


def _character(character: CharacterCredit) -> dict[str, Any]:
    actors = character.voice_actors[:VOICE_ACTORS_SHOWN]
    return {
        "name": character.name,
        "role": character.role,
        "url": character.url,
        "voice_actors": [{"name": a.name, "language": a.language} for a in actors],
    }


def credits_to_list(value: Sequence[Any], limit: int = CREDITS_SHOWN) -> list[dict[str, Any]]:
    """The first ``limit`` credits, compact (no pictures; at most three voice actors a character)."""
    return [_character(c) if isinstance(c, CharacterCredit) else _person(c) for c in value[:limit]]


def texts_to_dict(groups: Sequence[LanguageTexts]) -> dict[str, Any]:
    """Language tag -> its texts (best first, at most ``TEXTS_SHOWN``), each with the sources that gave it."""
    return {
        group.language: {
            "texts": [
                {"text": t.text, "sources": list(t.sources), "kinds": list(t.kinds)}
                for t in group.texts[:TEXTS_SHOWN]
            ],
            "count": len(group.texts),
        }
        for group in groups
    }


# --- schemas ---------------------------------------------------------------------------------------------
_CREDIT_ITEM: dict[str, Any] = {
    "type": "object",
    "description": "A character (name, role, voice actors) or a staff member (name, roles).",
    "properties": {"name": {"type": "string"}},
    "required": ["name"],
}
CREDITS_VALUE: dict[str, Any] = {
    "type": "array",
    "items": _CREDIT_ITEM,
    "description": f"characters/staff: at most {CREDITS_SHOWN} (alternatives {ALTERNATIVE_CREDITS_SHOWN}); "
    "'count' gives the full number.",
}
TEXTS_BY_LANGUAGE: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "Language (BCP 47: en, ja, ja-Latn = romaji, zh-Hans ...; 'und' = not stated) -> its "
    f"texts, best first (at most {TEXTS_SHOWN}; 'count' gives all), each with the sources that gave it "
    "and how they rank it (main, official, synonym, short). Null when not wanted.",
    "additionalProperties": {
        "type": "object",
        "properties": {
            "texts": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "text": {"type": "string"},
                        "sources": {"type": "array", "items": {"type": "string"}},
                        "kinds": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["text", "sources", "kinds"],
                },
            },
            "count": {"type": "integer"},
        },
        "required": ["texts", "count"],
    },
}


def shorten(text: str, width: int, placeholder: str = " ...") -> str:
    """``textwrap.shorten(text, width, placeholder=placeholder)``: the whitespace collapsed, cut at a word
    boundary with the placeholder when something was left out; without wrapping the whole text first (a
    long synopsis cost textwrap 0.7 ms): only a head long enough to decide is read."""
    size = width * 2
    while True:
        head = text[:size]
        collapsed = " ".join(head.split())
        if len(head) == len(text) or len(collapsed) > width:
            break
        size *= 2
    if len(collapsed) <= width:  # the whole text, collapsed, fits
        return collapsed
    room = width - len(placeholder)
    cut = collapsed[: room + 1]
    space = cut.rfind(" ")
    kept = cut[:space].rstrip() if space > 0 else ""  # a first word longer than the room: nothing fits
    return (kept + placeholder) if kept else placeholder.strip()


# --- text rendering --------------------------------------------------------------------------------------
def shown_credits(value: list[dict[str, Any]], count: int) -> str:
    names = [f"{c['name']} ({c['role']})" if c.get("role") else c["name"] for c in value[:12]]
    return ", ".join(names) + (f" (+{count - len(names)} more)" if count > len(names) else "")


def shown_texts(name: str, by_language: dict[str, Any], width: int) -> list[str]:
    """One line per preferred language present, then a count of the others."""
    languages = [lang for lang in PREFERRED_LANGUAGES if lang in by_language] or list(by_language)[:3]
    lines = []
    for language in languages:
        best = by_language[language]["texts"][0]
        text = shorten(best["text"], width)
        lines.append(f"{name} [{language}]: {text} [{', '.join(best['sources'])}]")
    others = len(by_language) - len(languages)
    if others > 0:
        lines.append(
            f"{name}: {others} more language(s): {', '.join(sorted(set(by_language) - set(languages)))}"
        )
    return lines
