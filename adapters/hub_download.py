"""Fetch files over HTTP into a folder, resumably: bytes land in ``<file>.part`` and a later run asks for the
rest with a Range request; the file gets its final name only once complete."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

from anime_mcp.core.search_errors import EmbedderError
from anime_mcp.ports.catalogue import ByteProgress

_CONTENT_RANGE = re.compile(r"bytes (?:(\d+)-\d+|\*)/(\d+|\*)")


class ModelDownloadError(EmbedderError):
    """A model file could not be downloaded (offline, firewall, HTTP error, cut transfer)."""


def hub_file_url(endpoint: str, repo: str, revision: str, path: str) -> str:
    """The hub's layout for one file of one revision: ``<endpoint>/<repo>/resolve/<revision>/<path>``."""
    return f"{endpoint.rstrip('/')}/{repo}/resolve/{revision}/{quote(path)}"


def unreachable_message(url: str, exc: Exception) -> str:
    host = urlsplit(url).netloc or url
    return (
        f"cannot reach {host} to download {url} ({type(exc).__name__}: offline or behind a firewall?). "
        "Set ANIME_MCP_HF_ENDPOINT to a reachable mirror, or install a model folder you have: "
        "`anime-mcp models install --from DIR` (an ONNX export with its tokenizer.json)"
    )


def download_file(
    url: str, target: Path, client: httpx.Client, *, progress: ByteProgress | None = None
) -> int:
    """Download ``url`` to ``target``, resuming ``target.part`` when an earlier run was cut; returns the bytes
    fetched now. A cut transfer keeps the part file and says to run again."""
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    headers = {"Accept-Encoding": "identity"}
    if have:
        headers["Range"] = f"bytes={have}-"
    received = 0
    total: int | None = None
    try:
        with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 416 and have:  # the part file may be whole already
                total = _total(response.headers.get("Content-Range", ""))
                if total != have:
                    part.unlink()
                    raise ModelDownloadError(f"{url}: the server refused to resume; run the command again")
            elif response.status_code == 206 and have:
                total = _total(response.headers.get("Content-Range", ""))
                if _start(response.headers.get("Content-Range", "")) != have:
                    raise ModelDownloadError(f"{url}: the server resumed at the wrong offset; try again")
            elif response.status_code == 200:
                have = 0  # no Range support (or a fresh start): begin again
                length = response.headers.get("Content-Length")
                total = int(length) if length and length.isdigit() else None
            else:
                raise ModelDownloadError(
                    f"downloading {url} failed: HTTP {response.status_code} {response.reason_phrase}; "
                    "check the model name and ANIME_MCP_HF_ENDPOINT, or install a local folder with "
                    "`anime-mcp models install --from DIR`"
                )
            if response.status_code != 416:
                target.parent.mkdir(parents=True, exist_ok=True)
                with part.open("ab" if have else "wb") as out:
                    for chunk in response.iter_raw():
                        out.write(chunk)
                        received += len(chunk)
                        if progress is not None:
                            progress(have + received, total)
    except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
        raise ModelDownloadError(unreachable_message(url, exc)) from None
    except httpx.TransportError as exc:
        raise ModelDownloadError(_cut(url, have + received, total, type(exc).__name__)) from None
    size = part.stat().st_size
    if total is not None and size != total:
        raise ModelDownloadError(_cut(url, size, total, "the connection closed early"))
    os.replace(part, target)
    return received


def _cut(url: str, done: int, total: int | None, reason: str) -> str:
    of_total = f" of {total:,}" if total is not None else ""
    return (
        f"downloading {url} stopped after {done:,}{of_total} bytes ({reason}); run the same command "
        "again to resume"
    )


def _start(content_range: str) -> int | None:
    match = _CONTENT_RANGE.fullmatch(content_range.strip())
    return int(match.group(1)) if match and match.group(1) else None


def _total(content_range: str) -> int | None:
    match = _CONTENT_RANGE.fullmatch(content_range.strip())
    return int(match.group(2)) if match and match.group(2) != "*" else None
