"""Built-in plugin: the Qdrant search index, embedded (Qdrant Edge, a folder) or a server (by URL).

The Qdrant libraries are imported only on connect: qdrant-client alone takes about a second to import.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from anime_mcp.core.search_errors import SearchError
from anime_mcp.ports import hookimpl
from anime_mcp.ports.hookspecs import Register
from anime_mcp.ports.vector_index import HnswSettings, VectorIndexBackend


class QdrantEdgeProvider:
    """Any local folder: the Qdrant engine in-process, no server to run."""

    name = "qdrant-edge"

    def accepts(self, location: str) -> bool:
        return "://" not in location and location != ":memory:"

    def connect(
        self, location: str, *, hnsw: HnswSettings | None = None, options: Mapping[str, str] | None = None
    ) -> VectorIndexBackend:
        from anime_mcp.adapters.qdrant_edge_index import EdgeBackend

        return EdgeBackend(Path(location).expanduser(), hnsw=hnsw)


class QdrantServerProvider:
    """``http(s)://`` URLs of a Qdrant server or cluster; ``:memory:`` is qdrant-client's local mode."""

    name = "qdrant-server"

    def accepts(self, location: str) -> bool:
        return location.startswith(("http://", "https://")) or location == ":memory:"

    def connect(
        self, location: str, *, hnsw: HnswSettings | None = None, options: Mapping[str, str] | None = None
    ) -> VectorIndexBackend:
        try:
            from qdrant_client import QdrantClient

            from anime_mcp.adapters.qdrant_server_index import ServerBackend
        except ImportError:
            raise SearchError(
                f"{location} needs qdrant-client: pip install 'anime-mcp[qdrant-server]' "
                "(or unset ANIME_MCP_QDRANT_URL to use the embedded index)"
            ) from None

        options = options or {}
        if location == ":memory:":
            client = QdrantClient(location=":memory:")
        else:
            client = QdrantClient(
                url=location,
                api_key=options.get("api_key") or None,
                timeout=int(options.get("timeout", "30")),
            )
        return ServerBackend(client, location=location, alias=options.get("alias", "anime"), hnsw=hnsw)


@hookimpl
def register_vector_indexes(register: Register) -> None:
    register(QdrantEdgeProvider())
    register(QdrantServerProvider())
