"""The offline tools: answered from the catalogue store and the search index, no network."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.filters import SearchMode
from anime_mcp.core.services.catalogue import lookup
from anime_mcp.core.services.search import SearchResult
from anime_mcp.core.services.similar import SimilarResult
from anime_mcp.core.similarity import DEFAULT_KIND, KINDS
from anime_mcp.entrypoints.presenters import entry_to_dict
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.anime import details, numbered, one_line
from anime_mcp.entrypoints.tools.base import Tool, ToolInputError
from anime_mcp.entrypoints.tools.filter_grammar import to_filters
from anime_mcp.entrypoints.tools.schemas import (
    ANIME,
    ANIME_REF,
    DETAIL,
    FILTERS,
    LIMIT,
    MODE,
    RESULT,
    object_schema,
)


@contextmanager
def reference_field(field: str) -> Iterator[None]:
    """A reference that cannot be read becomes an input error naming its field."""
    try:
        yield
    except NotAnAnimeReference as exc:
        raise ToolInputError(field, str(exc)) from None


def result_item(result: SearchResult | SimilarResult, detail: str) -> dict[str, Any]:
    return {**entry_to_dict(result.entry, detail), "relevance": round(result.relevance, 6)}


# --- search_anime ----------------------------------------------------------------------------------

SEARCH_ANIME_NAME = "search_anime"


async def search_anime(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    filters = to_filters(args.get("filters"))
    query = " ".join(args["query"].split())
    if not query:
        raise ToolInputError("query", "the search text is empty")
    # a search is the same for every asker until the catalogue or index changes: the same search asked
    # again (a filtered search from a busy REST client, query_anime's own searches) is answered from memory
    cache = runtime.answers(SEARCH_ANIME_NAME)
    key = (
        query,
        json.dumps(args.get("filters"), sort_keys=True),
        args["limit"],
        args["mode"],
        args["detail"],
    )
    snapshot = await runtime.current_snapshot() if cache is not None else None
    if cache is not None:
        found = cache.get(snapshot, key)
        if found is not None:
            return found

    def run() -> list[Any]:
        return runtime.search().search(query, filters, limit=args["limit"], mode=SearchMode(args["mode"]))

    results = await runtime.run_sync(run)
    items = [result_item(r, args["detail"]) for r in results]
    answer = {"query": query, "mode": args["mode"], "count": len(items), "results": items}
    if cache is not None:
        cache.put(snapshot, key, answer)
    return answer


def render_search(output: dict[str, Any]) -> str:
    if not output["results"]:
        return f"No anime found for {output['query']!r} with these filters."
    head = f"{output['count']} result(s) for {output['query']!r}, best first:"
    return "\n".join(
        [head, *numbered(output["results"]), "Use get_anime_by_id with an id in brackets for details."]
    )


SEARCH_ANIME = Tool(
    name=SEARCH_ANIME_NAME,
    title="Search anime",
    description=(
        "Find anime in the offline catalogue (~36,000 anime from MyAnimeList, AniList, Kitsu, AniDB and "
        "others) by title in any language or script (romaji, English, Japanese, typos tolerated) or by a "
        "description of what it is about ('space bounty hunters with jazz'), optionally filtered by year, "
        "season, format, status, tags, studios, episode count, minimum score or platform. Use it when you "
        "do not know the exact anime yet; use get_anime_by_id when you already have an id or URL, and "
        "find_similar_anime for 'anime like X'. Returns the best matches first, each with its internal "
        "anime_id, platform ids, page URLs, type, year, episodes, status, score and a relevance score."
    ),
    input_schema=object_schema(
        {
            "query": {
                "type": "string",
                "minLength": 1,
                "maxLength": 500,
                "description": "Title or description to search for.",
            },
            "filters": FILTERS,
            "limit": LIMIT,
            "mode": MODE,
            "detail": DETAIL,
        },
        ["query"],
    ),
    output_schema=object_schema(
        {
            "query": {"type": "string"},
            "mode": {"type": "string"},
            "count": {"type": "integer"},
            "results": {"type": "array", "items": RESULT},
        },
        ["query", "mode", "count", "results"],
    ),
    handler=search_anime,
    render=render_search,
)


# --- get_anime_by_id -------------------------------------------------------------------------------


async def get_anime_by_id(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    def run() -> dict[str, Any]:
        with reference_field("anime_id"):
            resolution = lookup(runtime.snapshot().store, args["anime_id"], runtime.app.plugins.platforms())
        return {
            "anime": entry_to_dict(resolution.entry, args["detail"]),
            "also_matches": [
                {"anime_id": e.anime_id, "title": e.title, "type": e.type.value, "year": e.year}
                for e in resolution.alternatives[:10]
            ],
        }

    return await runtime.run_sync(run)


def render_anime(output: dict[str, Any]) -> str:
    lines = details(output["anime"])
    if output["also_matches"]:
        others = ", ".join(
            f"{m['title']} ({m['type']} {m['year'] or '?'}) [{m['anime_id']}]" for m in output["also_matches"]
        )
        lines.append(f"the title also names: {others}")
    return "\n".join(lines)


GET_ANIME_BY_ID = Tool(
    name="get_anime_by_id",
    title="Get one anime",
    description=(
        "Look up one anime in the offline catalogue by any reference: a platform id ('mal:1535', "
        "'anilist:1535', 'kitsu:1376', 'anidb:4563'), a page URL from MyAnimeList, AniList, Kitsu, AniDB, "
        "Anime-Planet, ANN, LiveChart and others, an internal anime_id from another tool ('mal-1535'), or "
        "an exact title or synonym. Use it after search_anime, or when the user names a URL or id. Returns "
        "the entry (detail 'full' by default: synonyms, studios, tags, related anime, pictures) and other "
        "entries the same title also names. Fails with a clear message when nothing matches; then try "
        "search_anime."
    ),
    input_schema=object_schema(
        {"anime_id": ANIME_REF, "detail": {**DETAIL, "default": "full"}}, ["anime_id"]
    ),
    output_schema=object_schema(
        {
            "anime": ANIME,
            "also_matches": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "anime_id": {"type": "string"},
                        "title": {"type": "string"},
                        "type": {"type": "string"},
                        "year": {"type": ["integer", "null"]},
                    },
                },
            },
        },
        ["anime", "also_matches"],
    ),
    handler=get_anime_by_id,
    render=render_anime,
)


# --- find_similar_anime ----------------------------------------------------------------------------


async def find_similar_anime(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    filters = to_filters(args.get("filters"))

    def run() -> dict[str, Any]:
        with reference_field("anime_id"):
            entry, results = runtime.search().similar(
                args["anime_id"],
                filters,
                limit=args["limit"],
                exclude_franchise=args["exclude_franchise"],
                kind=args["similarity_type"],
                knowledge=runtime.app.enrichment_store(),
            )
        items = [{**result_item(r, args["detail"]), "reasons": list(r.reasons)} for r in results]
        return {
            "anime": entry_to_dict(entry, "brief"),
            "similarity_type": args["similarity_type"],
            "count": len(items),
            "results": items,
        }

    return await runtime.run_sync(run)


def render_similar(output: dict[str, Any]) -> str:
    head = f"Similar to {one_line(output['anime'])} ({output['similarity_type']}):"
    if not output["results"]:
        return f"{head} nothing found with these filters."
    lines = [head]
    for line, result in zip(numbered(output["results"]), output["results"], strict=True):
        lines.append(line + (f" ({'; '.join(result['reasons'])})" if result["reasons"] else ""))
    return "\n".join(lines)


SIMILARITY_TYPE: dict[str, Any] = {
    "type": "string",
    "enum": list(KINDS),
    "default": DEFAULT_KIND,
    "description": "What 'similar' means: overall (story, genres and themes, community recommendations, "
    "era and format blended), semantic (the story first), genre (shared genres and themes, rare ones "
    "counting most), studio (the same studio first, then genre) or visual (the nearest posters: art style "
    "and character design; needs `anime-mcp index-images`).",
}
SIMILAR_RESULT: dict[str, Any] = {
    **RESULT,
    "properties": {
        **RESULT["properties"],
        "reasons": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Why it is similar: shared genres and themes, recommendations, studio, story, "
            "poster.",
        },
    },
    "required": [*RESULT["required"], "reasons"],
}


FIND_SIMILAR_ANIME = Tool(
    name="find_similar_anime",
    title="Find similar anime",
    description=(
        "Recommend anime similar to one the user names ('anime like Death Note'): similar story and feel, "
        "not similar title. Ranks by the story (synopsis), shared genres and themes (rare ones count most), "
        "the platforms' community recommendations where enrichment stored them, audience, era and format; "
        "never the anime itself nor, by default, its own franchise (sequels, recaps); one entry per other "
        "franchise. similarity_type picks what leads (semantic, genre, studio, visual). Same filters as "
        "search_anime. Use search_anime to find an anime from a description. Returns the reference anime "
        "and the similar ones, most similar first, each with its reasons."
    ),
    input_schema=object_schema(
        {
            "anime_id": ANIME_REF,
            "filters": FILTERS,
            "exclude_franchise": {
                "type": "boolean",
                "default": True,
                "description": "Leave out the anime's sequels, prequels and side stories (false: one of "
                "them at most).",
            },
            "similarity_type": SIMILARITY_TYPE,
            "limit": LIMIT,
            "detail": DETAIL,
        },
        ["anime_id"],
    ),
    output_schema=object_schema(
        {
            "anime": ANIME,
            "similarity_type": {"type": "string"},
            "count": {"type": "integer"},
            "results": {"type": "array", "items": SIMILAR_RESULT},
        },
        ["anime", "similarity_type", "count", "results"],
    ),
    handler=find_similar_anime,
    render=render_similar,
)

CATALOGUE_TOOLS = (SEARCH_ANIME, GET_ANIME_BY_ID, FIND_SIMILAR_ANIME)
