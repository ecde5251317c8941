"""Typed domain errors. Every message says what went wrong and, where it helps, what to do next."""

from __future__ import annotations


class AnimeMcpError(Exception):
    """Base class of every error anime-mcp raises on purpose."""


class NotAnAnimeReference(AnimeMcpError, ValueError):
    """Input that cannot be read as any form of anime reference."""


class UnknownAnime(AnimeMcpError, LookupError):
    """A well-formed reference that matches no catalogue entry."""


class CatalogueError(AnimeMcpError):
    """The catalogue file or store cannot be used."""


class CatalogueFormatError(CatalogueError):
    """A catalogue file is not in the anime-offline-database format; names the file and line."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(f"{where}{message}")
        self.path = path
        self.line = line


class CatalogueNotIngested(CatalogueError):
    """No catalogue store exists yet."""


class CatalogueDownloadError(CatalogueError):
    """The catalogue could not be downloaded (offline, HTTP error, truncated transfer)."""


class PluginError(AnimeMcpError):
    """A plugin could not be loaded or registered something invalid."""


class SourceError(AnimeMcpError):
    """A live source could not answer. Plugins raise only these (never raw httpx or parser errors)."""

    def __init__(self, message: str, *, source: str = "") -> None:
        super().__init__(f"{source}: {message}" if source else message)
        self.source = source


class NotFound(SourceError):
    """The platform has no such anime (404, "Anime not found", empty result)."""


class RateLimited(SourceError):
    """The platform asked us to slow down (429, AniDB flood); ``retry_after`` in seconds when known."""

    def __init__(self, message: str, *, source: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, source=source)
        self.retry_after = retry_after


class Unavailable(SourceError):
    """Timeouts, 5xx, connection failures, an open circuit breaker."""


class Blocked(SourceError):
    """A challenge page, anti-leech page or ban (Cloudflare "Just a moment", AniDB "banned")."""


class AuthRequired(SourceError):
    """The source needs credentials that are missing or were refused."""


class ParseError(SourceError):
    """The document does not have the shape this parser understands."""


class JobConflict(AnimeMcpError):
    """A background job (ingest, reindex) is still running; one runs at a time."""


class UnknownJob(AnimeMcpError, LookupError):
    """No job has this id."""


class ImageRejected(AnimeMcpError, ValueError):
    """A picture (bytes or a URL) that is refused before it reaches a model: ``reason`` is a stable code
    (``too_large``, ``too_many_pixels``, ``unsupported_format``, ``malformed``, ``blocked_address``,
    ``bad_url``, ``not_an_image``, ``fetch_failed`` ...), ``field`` the input that carried it."""

    def __init__(self, reason: str, message: str, *, field: str = "image") -> None:
        super().__init__(message)
        self.reason = reason
        self.field = field
