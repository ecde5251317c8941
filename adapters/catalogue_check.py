"""Ask the catalogue's server whether its release differs from the copy downloaded before (no download)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
from attrs import frozen

from anime_mcp.adapters.catalogue_download import _cache_paths, _read_meta
from anime_mcp.core.errors import CatalogueDownloadError


@frozen
class ReleaseCheck:
    url: str
    etag: str
    last_modified: str
    size: int | None
    downloaded: dict[str, str] | None  # what the last download recorded (etag, last_modified, size)
    newer: bool | None  # None: nothing downloaded before to compare with


async def check_release(url: str, download_dir: Path, client: httpx.AsyncClient) -> ReleaseCheck:
    """HEAD the release URL and compare its ETag (else Last-Modified, else size) with the last download's."""
    try:
        response = await client.head(url, follow_redirects=True)
    except httpx.TransportError as exc:
        host = urlsplit(url).hostname or url
        raise CatalogueDownloadError(
            f"cannot reach {host} to check the catalogue ({type(exc).__name__})"
        ) from None
    if response.status_code != 200:
        raise CatalogueDownloadError(
            f"checking {url} failed: HTTP {response.status_code} {response.reason_phrase}"
        )
    etag = response.headers.get("ETag", "")
    modified = response.headers.get("Last-Modified", "")
    length = response.headers.get("Content-Length", "")
    size = int(length) if length.isdigit() else None
    target, meta_path = _cache_paths(url, download_dir)
    meta = _read_meta(meta_path) if target.is_file() else {}
    if meta.get("url") != url:
        return ReleaseCheck(url, etag, modified, size, None, None)
    downloaded = {k: str(meta.get(k, "")) for k in ("etag", "last_modified", "size")}
    if etag and meta.get("etag"):
        newer = etag != meta["etag"]
    elif modified and meta.get("last_modified"):
        newer = modified != meta["last_modified"]
    else:
        newer = size is not None and str(size) != str(meta.get("size"))
    return ReleaseCheck(url, etag, modified, size, downloaded, newer)
