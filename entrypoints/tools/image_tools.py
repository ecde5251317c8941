"""Image search tools: ``search_by_image`` (anime whose poster looks like a picture) and the picture
arguments of ``search_anime`` (text and picture together), over MCP, REST and the CLI.

A picture comes as ``image`` (base64, a ``data:image/...;base64,`` prefix allowed) or ``image_url`` (a public
http(s) URL, fetched through the SSRF guard of ``ports.image_input``). Whatever is wrong with it (not
base64, both or neither given, a decompression bomb, a truncated file, a private address) is an input error
naming the field: 422 over REST, a tool error over MCP.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from anime_mcp.core.errors import ImageRejected
from anime_mcp.core.filters import SearchMode
from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.core.services.image_search import DEFAULT_IMAGE_WEIGHT, ImageSearch
from anime_mcp.core.services.search import SearchResult
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.tools.anime import numbered
from anime_mcp.entrypoints.tools.base import Tool, ToolInputError
from anime_mcp.entrypoints.tools.catalogue_tools import result_item, search_anime
from anime_mcp.entrypoints.tools.filter_grammar import to_filters
from anime_mcp.entrypoints.tools.schemas import DETAIL, FILTERS, LIMIT, RESULT, object_schema
from anime_mcp.ports.image_embedder import RgbImage
from anime_mcp.ports.vector_index import ImageVectorStore

MAX_BASE64 = 28_000_000  # 20 MiB of picture (the decoder's byte cap) as base64; REST bodies are capped lower
NO_IMAGE_MODEL = (
    "image search needs a CLIP image model, and none is configured: export one from a Hugging Face CLIP "
    "folder with `anime-mcp models export --from CLIP_FOLDER --to DIR` (docs/search.md has the recipe), "
    "install it with `anime-mcp models install DIR` (or set ANIME_MCP_IMAGE_MODEL to the folder), then run "
    "`anime-mcp index-images` to embed the posters"
)
IMAGE_FIELDS: dict[str, Any] = {
    "image": {
        "type": "string",
        "minLength": 1,
        "maxLength": MAX_BASE64,
        "description": "The picture, base64-encoded (PNG, JPEG, WebP or GIF; a data: URL prefix is allowed). "
        "Give this or image_url.",
    },
    "image_url": {
        "type": "string",
        "minLength": 1,
        "maxLength": 2048,
        "description": "A public http(s) URL of the picture (fetched with a size cap and timeout; private "
        "and local addresses are refused). Give this or image.",
    },
}
IMAGE_WEIGHT: dict[str, Any] = {
    "type": "number",
    "minimum": 0,
    "maximum": 1,
    "description": f"With image or image_url: how much the picture counts against the text, 0-1 (default "
    f"{DEFAULT_IMAGE_WEIGHT}; 0 = text only, 1 = picture only).",
}
PICTURE: dict[str, Any] = {
    "type": "object",
    "description": "The picture searched with: where it came from and its size.",
    "properties": {
        "source": {"type": "string", "enum": ["base64", "url"]},
        "width": {"type": "integer"},
        "height": {"type": "integer"},
    },
    "required": ["source", "width", "height"],
}


def given_picture(args: dict[str, Any]) -> str | None:
    """Which picture argument was given ("image", "image_url"), None for neither; both is an input error."""
    given = [name for name in IMAGE_FIELDS if args.get(name) is not None]
    if len(given) > 1:
        raise ToolInputError("image_url", "give either image (base64) or image_url, not both")
    return given[0] if given else None


def decode_base64(text: str) -> bytes:
    if text.startswith("data:"):
        head, _, text = text.partition(",")
        if not head.endswith(";base64"):
            raise ToolInputError("image", "a data: URL must be base64-encoded (data:image/png;base64,...)")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ToolInputError(
            "image", "is not valid base64; encode the file's bytes (e.g. `base64 -w0 poster.png`)"
        ) from None


async def load_picture(runtime: Runtime, args: dict[str, Any], name: str) -> RgbImage:
    """The picture of argument ``name`` decoded (off the event loop), refusals as input errors."""
    images = runtime.app.image_input
    if images is None:
        raise EmbedderError("this installation cannot read pictures (no image input configured)")
    try:
        if name == "image":
            data = decode_base64(args["image"])
        else:
            data = await images.fetch(args["image_url"], field="image_url")
        return await runtime.run_sync(images.decode, data, field=name)
    except ImageRejected as exc:
        raise ToolInputError(exc.field, str(exc)) from None


async def image_search(runtime: Runtime) -> ImageSearch:
    """The image search use case over the current index, or an error saying how to get an image model."""

    def make() -> ImageSearch:
        embedder = runtime.image_embedder()
        if embedder is None:
            raise EmbedderError(NO_IMAGE_MODEL)
        store = runtime.app.search_parts().backend
        posters = store.image_vectors if isinstance(store, ImageVectorStore) else None
        return ImageSearch(runtime.search(), embedder, posters)

    return await runtime.run_sync(make)


def picture(source: str, image: RgbImage) -> dict[str, Any]:
    return {
        "source": "url" if source == "image_url" else "base64",
        "width": image.width,
        "height": image.height,
    }


# --- search_by_image ----------------------------------------------------------------------------------


async def search_by_image(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    source = given_picture(args)
    if source is None:
        raise ToolInputError("image", "give the picture as image (base64) or image_url")
    filters = to_filters(args.get("filters"))
    searcher = await image_search(runtime)  # before fetching: no model, no download
    image = await load_picture(runtime, args, source)
    results: list[SearchResult] = await runtime.run_sync(
        searcher.by_image, image, filters, limit=args["limit"]
    )
    items = [result_item(r, args["detail"]) for r in results]
    return {"image": picture(source, image), "count": len(items), "results": items}


def render_by_image(output: dict[str, Any]) -> str:
    shown = output["image"]
    if not output["results"]:
        return "No anime poster matches with these filters."
    size = f"{shown['width']}x{shown['height']}"
    head = f"{output['count']} anime whose poster looks most like the {size} picture:"
    return "\n".join([head, *numbered(output["results"])])


SEARCH_BY_IMAGE = Tool(
    name="search_by_image",
    title="Search anime by picture",
    description=(
        "Find anime whose poster or key visual looks like a picture (art style, character design, colours, "
        "mood): give the picture as base64 ('image') or a public http(s) URL ('image_url'), optionally with "
        "the same filters as search_anime. Use it when the user shows a picture ('anime with this art "
        "style', 'which anime is this screenshot from?'); add words with search_anime's image argument "
        "instead ('dark anime with this character design'). Returns the closest posters first, each with "
        "its anime_id, platform ids, type, year and a relevance score (cosine)."
    ),
    input_schema=object_schema(
        {**IMAGE_FIELDS, "filters": FILTERS, "limit": LIMIT, "detail": DETAIL},
    ),
    output_schema=object_schema(
        {"image": PICTURE, "count": {"type": "integer"}, "results": {"type": "array", "items": RESULT}},
        ["image", "count", "results"],
    ),
    handler=search_by_image,
    render=render_by_image,
    open_world=True,  # image_url is fetched from the internet
)


# --- search_anime's picture arguments -----------------------------------------------------------------


async def search_with_picture(runtime: Runtime, args: dict[str, Any]) -> dict[str, Any]:
    """search_anime: the text search, or with ``image``/``image_url`` text and picture blended by weight."""
    source = given_picture(args)
    if source is None:
        if args.get("image_weight") is not None:
            raise ToolInputError("image_weight", "applies only with image or image_url")
        return await search_anime(runtime, args)
    query = " ".join(args["query"].split())
    if not query:
        raise ToolInputError("query", "the search text is empty")
    filters = to_filters(args.get("filters"))
    weight = args.get("image_weight")
    weight = DEFAULT_IMAGE_WEIGHT if weight is None else float(weight)
    searcher = await image_search(runtime)
    image = await load_picture(runtime, args, source)

    def run() -> list[SearchResult]:
        return searcher.multimodal(
            query, image, filters, limit=args["limit"], image_weight=weight, mode=SearchMode(args["mode"])
        )

    results = await runtime.run_sync(run)
    items = [result_item(r, args["detail"]) for r in results]
    return {
        "query": query,
        "mode": args["mode"],
        "count": len(items),
        "results": items,
        "image": {**picture(source, image), "weight": weight},
    }


def with_picture(schema: dict[str, Any], description: str) -> tuple[dict[str, Any], str]:
    """search_anime's input schema and description with the picture arguments added."""
    inputs = {**schema, "properties": {**schema["properties"], **IMAGE_FIELDS, "image_weight": IMAGE_WEIGHT}}
    return inputs, description + (
        " Attach a picture (image as base64, or image_url) to search by text and picture together ('dark "
        "anime with this character design'), weighted by image_weight."
    )


MULTIMODAL_PICTURE: dict[str, Any] = {
    **PICTURE,
    "properties": {**PICTURE["properties"], "weight": {"type": "number"}},
    "required": [*PICTURE["required"], "weight"],
}
