"""Download a catalogue release over HTTP, with progress, ETag/size caching and clear offline errors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from attrs import frozen

from anime_mcp.core.errors import CatalogueDownloadError
from anime_mcp.ports.catalogue import ByteProgress


@frozen
class Download:
    path: Path
    from_cache: bool  # True: the server said our copy is current (or we are offline and kept it)
    note: str = ""


def _cache_paths(url: str, directory: Path) -> tuple[Path, Path]:
    name = Path(urlsplit(url).path).name or "catalogue"
    return directory / name, directory / f"{name}.download.json"


def _read_meta(meta_path: Path) -> dict[str, str]:
    try:
        data = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def download_catalogue(
    url: str,
    directory: Path,
    client: httpx.Client,
    *,
    progress: ByteProgress | None = None,
) -> Download:
    """Fetch ``url`` into ``directory`` unless the cached copy is current.

    The server is asked with ``If-None-Match``/``If-Modified-Since``; a 304, or a 200 whose ETag and size
    match the cached copy, keeps it. The new file is written beside the old and renamed over it only after
    its length is checked, so an interrupted download never replaces a good copy.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target, meta_path = _cache_paths(url, directory)
    meta = _read_meta(meta_path) if target.is_file() else {}
    headers = {"Accept-Encoding": "identity"}
    if meta.get("url") == url:
        if meta.get("etag"):
            headers["If-None-Match"] = meta["etag"]
        if meta.get("last_modified"):
            headers["If-Modified-Since"] = meta["last_modified"]
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 304 and target.is_file():
                return Download(target, from_cache=True, note="the cached copy is current")
            if response.status_code != 200:
                raise CatalogueDownloadError(
                    f"downloading {url} failed: HTTP {response.status_code} {response.reason_phrase}; "
                    "check the URL or pass --source PATH to use a local file"
                )
            total = _content_length(response)
            etag = response.headers.get("ETag", "")
            same_copy = bool(etag) and etag == meta.get("etag") and target.is_file()
            if same_copy and total == target.stat().st_size:
                return Download(target, from_cache=True, note="the cached copy has the same ETag and size")
            received = 0
            try:
                with partial.open("wb") as out:
                    # Chunks as they arrive (not re-buffered), so progress and byte counts are exact.
                    for chunk in response.iter_raw():
                        out.write(chunk)
                        received += len(chunk)
                        if progress is not None:
                            progress(received, total)
            except httpx.TransportError as exc:
                # The server answered, so we are not offline: the transfer broke off part way.
                raise CatalogueDownloadError(_stopped(url, received, total, type(exc).__name__)) from None
            if total is not None and received != total:
                raise CatalogueDownloadError(_stopped(url, received, total, "the connection closed early"))
            os.replace(partial, target)
            meta_path.write_text(
                json.dumps(
                    {
                        "url": url,
                        "etag": etag,
                        "last_modified": response.headers.get("Last-Modified", ""),
                        "size": received,
                    }
                ),
                encoding="utf-8",
            )
            return Download(target, from_cache=False)
    except httpx.TransportError as exc:
        host = urlsplit(url).hostname or url
        if target.is_file() and meta.get("url") == url:
            note = f"cannot reach {host} ({type(exc).__name__}); using the copy downloaded before"
            return Download(target, from_cache=True, note=note)
        raise CatalogueDownloadError(
            f"cannot reach {host} to download the catalogue ({type(exc).__name__}: you seem to be offline). "
            "Pass --source PATH with a local anime-offline-database file, or set ANIME_MCP_CATALOGUE."
        ) from None
    finally:
        partial.unlink(missing_ok=True)


def _stopped(url: str, received: int, total: int | None, reason: str) -> str:
    of_total = f" of {total:,}" if total is not None else ""
    return (
        f"downloading {url} stopped after {received:,}{of_total} bytes ({reason}); any copy downloaded "
        "before is kept; try again"
    )


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length")
    return int(value) if value is not None and value.isdigit() else None
