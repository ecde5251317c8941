"""The ``CatalogueFetcher`` port: local files as they are, URLs downloaded into a folder with ETag caching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from anime_mcp.core.catalogue import CatalogueLocation, FetchedCatalogue, ReleaseCheck
from anime_mcp.core.errors import CatalogueFormatError
from anime_mcp.ports.catalogue import ByteProgress

# httpx and the download and check code are imported when a URL is fetched or checked: bootstrap makes this
# fetcher for every command, and the start of `anime-mcp mcp` (first search within a second) never uses it.
if TYPE_CHECKING:
    import httpx

DOWNLOAD_TIMEOUT = 30.0
CHECK_TIMEOUT = 15.0


class LocalOrHttpCatalogueFetcher:
    def __init__(self, download_dir: Path, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.download_dir = download_dir
        self._transport = transport  # tests replay the catalogue server

    def fetch(self, location: CatalogueLocation, *, progress: ByteProgress | None = None) -> FetchedCatalogue:
        if not location.is_url:
            path = Path(location.value).expanduser()
            if not path.exists():
                raise CatalogueFormatError("no such file", path=str(path))
            return FetchedCatalogue(str(path))
        import httpx

        from anime_mcp.adapters.catalogue_download import download_catalogue

        with httpx.Client(timeout=DOWNLOAD_TIMEOUT) as client:
            download = download_catalogue(location.value, self.download_dir, client, progress=progress)
        return FetchedCatalogue(str(download.path), download.note)

    async def check(self, location: CatalogueLocation, ingested_at: dt.datetime | None) -> ReleaseCheck:
        if not location.is_url:
            path = Path(location.value).expanduser()
            if not path.is_file():
                raise CatalogueFormatError("the configured catalogue does not exist", path=str(path))
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
            newer = None if ingested_at is None else modified > ingested_at
            return ReleaseCheck(
                location.value, "file", newer, {"modified": modified.isoformat(timespec="seconds")}
            )
        import httpx

        from anime_mcp.adapters.catalogue_check import check_release

        async with httpx.AsyncClient(transport=self._transport, timeout=CHECK_TIMEOUT) as client:
            check = await check_release(location.value, self.download_dir, client)
        details: dict[str, object] = {
            "etag": check.etag,
            "last_modified": check.last_modified,
            "size": check.size,
            "downloaded": check.downloaded,
        }
        return ReleaseCheck(location.value, "url", check.newer, details)
