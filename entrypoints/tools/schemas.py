"""JSON Schema (2020-12) pieces the tools share; also the components of the OpenAPI document."""

from __future__ import annotations

from typing import Any

from anime_mcp.core.filters import SearchMode
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import Platform
from anime_mcp.core.services.search import MAX_LIMIT

DEFAULT_LIMIT = 5  # small by default: results land in an LLM's context

PLATFORMS = [p.value for p in Platform]
TYPES = [t.value for t in AnimeType if t is not AnimeType.UNKNOWN]
STATUSES = [s.value for s in Status if s is not Status.UNKNOWN]
SEASONS = [s.value for s in Season if s is not Season.UNDEFINED]


def nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


def string_list(description: str, **items: Any) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 200, **items},
        "maxItems": 50,
        "description": description,
    }


FILTERS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Optional filters; every given filter must hold. Leave out what does not matter.",
    "properties": {
        "year_min": {
            "type": "integer",
            "minimum": 1900,
            "maximum": 2100,
            "description": "First year of airing, at least this.",
        },
        "year_max": {
            "type": "integer",
            "minimum": 1900,
            "maximum": 2100,
            "description": "First year of airing, at most this.",
        },
        "seasons": string_list("Any of these seasons of first airing.", enum=SEASONS),
        "types": string_list("Any of these formats.", enum=TYPES),
        "statuses": string_list("Any of these airing statuses.", enum=STATUSES),
        "tags": string_list("Tags (genres, themes) every result must have, e.g. ['psychological']."),
        "exclude_tags": string_list("Tags no result may have."),
        "studios": string_list("Any of these studios, e.g. ['madhouse']; case does not matter."),
        "episodes_min": {"type": "integer", "minimum": 0, "description": "At least this many episodes."},
        "episodes_max": {"type": "integer", "minimum": 0, "description": "At most this many episodes."},
        "min_score": {
            "type": "number",
            "minimum": 0,
            "maximum": 10,
            "description": "Catalogue score (0-10, mean of the platforms' scores) at least this.",
        },
        "platforms": string_list("Only anime with a page on every one of these platforms.", enum=PLATFORMS),
    },
}

LIMIT: dict[str, Any] = {
    "type": "integer",
    "minimum": 1,
    "maximum": MAX_LIMIT,
    "default": DEFAULT_LIMIT,
    "description": f"How many results (1-{MAX_LIMIT}).",
}
DETAIL: dict[str, Any] = {
    "type": "string",
    "enum": ["brief", "full"],
    "default": "brief",
    "description": "brief: ids, title, type, year, episodes, status, score and page URLs; full: also "
    "synonyms, studios, producers, tags, episode length, related anime and pictures.",
}
MODE: dict[str, Any] = {
    "type": "string",
    "enum": [m.value for m in SearchMode],
    "default": SearchMode.HYBRID.value,
    "description": "hybrid (default: titles and meaning), sparse (words of titles and tags only), "
    "dense (meaning only) or story (a plot described: weighted to the synopses).",
}
ANIME_REF: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": 500,
    "description": "Any reference: 'mal:1535', 'anilist:1535', a platform URL "
    "(https://myanimelist.net/anime/1535), an internal id ('mal-1535') or an exact "
    "title or synonym ('Death Note').",
}

ANIME_BRIEF_PROPERTIES: dict[str, Any] = {
    "anime_id": {"type": "string", "description": "Internal id; pass it to the other tools."},
    "title": {"type": "string"},
    "type": {"type": "string", "enum": [t.value for t in AnimeType]},
    "year": nullable("integer"),
    "season": {"type": "string", "enum": [s.value for s in Season]},
    "episodes": {"type": "integer"},
    "status": {"type": "string", "enum": [s.value for s in Status]},
    "score": nullable("number", description="Catalogue score, 0-10."),
    "ids": {
        "type": "object",
        "additionalProperties": {"type": "string"},
        "description": "Platform -> id, e.g. {'mal': '1535'}.",
    },
    "sources": {"type": "array", "items": {"type": "string"}, "description": "The anime's page URLs."},
}
ANIME_FULL_PROPERTIES: dict[str, Any] = {
    "synonyms": {"type": "array", "items": {"type": "string"}},
    "studios": {"type": "array", "items": {"type": "string"}},
    "producers": {"type": "array", "items": {"type": "string"}},
    "tags": {"type": "array", "items": {"type": "string"}},
    "duration_seconds": nullable("integer", description="Length of one episode."),
    "related_anime": {"type": "array", "items": {"type": "string"}},
    "picture": nullable("string"),
    "thumbnail": nullable("string"),
}
ANIME: dict[str, Any] = {
    "type": "object",
    "properties": {**ANIME_BRIEF_PROPERTIES, **ANIME_FULL_PROPERTIES},
    "required": list(ANIME_BRIEF_PROPERTIES),
}
RESULT: dict[str, Any] = {
    "type": "object",
    "properties": {
        **ANIME["properties"],
        "relevance": {"type": "number", "description": "Ranking score; higher is better."},
    },
    "required": [*ANIME["required"], "relevance"],
}


def object_schema(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


# --- enrichment: provenance, degradation, ratings (get_anime_details, compare_ratings) ---------------------
PROVENANCE: dict[str, Any] = {
    "type": "object",
    "description": "Where a value came from: the source ('catalogue' or a platform), its page, when.",
    "properties": {
        "source": {"type": "string"},
        "url": nullable("string"),
        "fetched_at": nullable(
            "string",
            description="ISO 8601; null for a catalogue of unknown date. From a cache: when it was stored.",
        ),
        "from_cache": {"type": "boolean"},
        "age_seconds": nullable("number", description="From a cache: how old the answer is, in seconds."),
        "stale": {
            "type": "boolean",
            "description": "From a cache, past its freshness: served because the platform failed.",
        },
    },
    "required": ["source", "url", "fetched_at", "from_cache", "age_seconds", "stale"],
}
SOURCE_OUTCOME: dict[str, Any] = {
    "type": "object",
    "properties": {
        "source": {"type": "string"},
        "status": {"type": "string", "enum": ["contributed", "skipped", "failed"]},
        "reason": nullable(
            "string",
            description="Why it did not contribute: 'no credentials', 'rate limited, retry in 30 s', "
            "'breaker open', 'timed out after 3 s', 'blocked by a challenge page', 'not on that platform', "
            "'malformed answer', 'does not provide ...'; null when it contributed.",
        ),
        "retry_after": nullable("number", description="Seconds until the source may be asked again."),
        "from_cache": {"type": "boolean", "description": "It contributed an answer from the cache."},
        "age_seconds": nullable("number", description="From the cache: how old the answer is, in seconds."),
        "stale": {
            "type": "boolean",
            "description": "From the cache, past its freshness: served because the platform failed.",
        },
        "note": nullable(
            "string",
            description="How a cached contribution was served, e.g. 'served from cache, 2 h old, platform "
            "failing'; null when live or not contributed.",
        ),
    },
    "required": ["source", "status", "reason", "retry_after", "from_cache", "age_seconds", "stale", "note"],
}
DEGRADATION: dict[str, Any] = {
    "type": "object",
    "description": "How complete the answer is. level: full (every source wanted answered live), partial "
    "(some did), cache_only (only cached answers), offline (the catalogue alone); outcomes: one per source "
    "considered.",
    "properties": {
        "level": {"type": "string", "enum": ["full", "partial", "cache_only", "offline"]},
        "outcomes": {"type": "array", "items": SOURCE_OUTCOME},
        "deadline_seconds": {"type": "number"},
    },
    "required": ["level", "outcomes", "deadline_seconds"],
}
RATING_ROW: dict[str, Any] = {
    "type": "object",
    "description": "One platform's own score: native value and scale, 0-10 value, votes, provenance.",
    "properties": {
        "source": {"type": "string", "description": "The platform id, or 'catalogue' (its aggregate)."},
        "value": {"type": "number", "description": "The score in the platform's own scale."},
        "scale": {
            "type": "object",
            "properties": {"low": {"type": "number"}, "high": {"type": "number"}},
            "required": ["low", "high"],
        },
        "normalised": {"type": "number", "description": "value * 10 / scale.high, on 0-10."},
        "votes": nullable("integer"),
        "kind": nullable("string", description="Which of the site's scores this is, where it has several."),
        "provenance": PROVENANCE,
    },
    "required": ["source", "value", "scale", "normalised", "votes", "kind", "provenance"],
}
MISSING_RATING: dict[str, Any] = {
    "type": "object",
    "properties": {"platform": {"type": "string"}, "reason": {"type": "string"}},
    "required": ["platform", "reason"],
}
RATING_SUMMARY: dict[str, Any] = {
    "type": ["object", "null"],
    "description": "Statistics over the platforms' normalised values (the catalogue's aggregate excluded); "
    "null when no platform has a score.",
    "properties": {
        "count": {"type": "integer"},
        "mean": {"type": "number"},
        "median": {"type": "number"},
        "minimum": {"type": "number"},
        "maximum": {"type": "number"},
        "spread": {"type": "number"},
        "stdev": {"type": "number", "description": "Population standard deviation."},
        "weighted_mean": nullable("number", description="Weighted by vote count, where known."),
        "weighted_votes": {"type": "integer"},
        "outliers": {"type": "array", "items": {"type": "string"}},
        "outlier_distance": {"type": "number"},
    },
}
