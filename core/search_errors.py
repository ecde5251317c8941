"""The errors of searching: bad requests, and a search index or embedding model that cannot be used."""

from __future__ import annotations

from anime_mcp.core.errors import AnimeMcpError


class SearchError(AnimeMcpError):
    """A search request or the search index cannot be used."""


class InvalidSearch(SearchError, ValueError):
    """A filter or option has an unusable value (bad range, unknown type, ...)."""


class IndexNotBuilt(SearchError):
    """No search index exists yet."""


class IndexModelMismatch(SearchError):
    """The index was built with another embedding model than the one configured now."""


class EmbedderError(AnimeMcpError):
    """An embedding model cannot be found, loaded or run."""
