"""Catalogue pictures for ``index-images``: downloaded with a per-host pace, retried, kept on disk.

Every picture (and every "not there" answer) is kept under ``$ANIME_MCP_HOME/pictures``, named by the hash
of its URL, so a rerun or a resumed run fetches nothing twice. Several hosts are fetched in parallel; one
host gets at most ``per_host_rate`` requests a second. 429 and 5xx answers and network errors are retried
with backoff (``Retry-After`` honoured up to ``MAX_WAIT``); 404 and 410 are "missing" at once.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import httpx

MISSING = b""  # what the cache holds for a picture that is not there
GONE = frozenset({404, 410})
MAX_WAIT = 30.0


class _HostPace:
    """At most ``rate`` request starts a second per host, shared by the worker threads."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next.get(host, now))
            self._next[host] = start + self._interval
        if start > now:
            time.sleep(start - now)


class CachedPictureFetcher:
    """Implements ``PictureSource``."""

    def __init__(
        self,
        cache_dir: Path,
        *,
        client: httpx.Client | None = None,
        per_host_rate: float = 5.0,
        workers: int = 8,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.cache_dir = cache_dir
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(20.0), follow_redirects=True, headers={"User-Agent": "anime-mcp"}
        )
        self._pace = _HostPace(per_host_rate)
        self._workers = workers
        self._retries = retries
        self._backoff = backoff
        self.fetched = 0  # requests that went out (a rerun over a full cache makes none)

    def _path(self, url: str) -> Path:
        digest = hashlib.sha256(url.encode()).hexdigest()
        return self.cache_dir / digest[:2] / digest

    def fetch(self, urls: Sequence[str]) -> dict[str, bytes | None]:
        unique = list(dict.fromkeys(urls))
        with ThreadPoolExecutor(max_workers=self._workers) as pool:
            found = dict(zip(unique, pool.map(self._one, unique), strict=True))
        return found

    def _one(self, url: str) -> bytes | None:
        path = self._path(url)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            fetched = self._download(url)
            if fetched is None:
                return None  # unreachable now: not remembered, a later run tries again
            data = fetched
            self._keep(path, data)
        return data or None

    def _keep(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def _download(self, url: str) -> bytes | None:
        """The body, ``MISSING`` for 404/410 or a non-http URL, None when it kept failing."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return MISSING
        for attempt in range(self._retries + 1):
            self._pace.wait(parts.hostname)
            self.fetched += 1
            try:
                response = self._client.get(url)
            except httpx.HTTPError:
                wait = self._backoff * 2**attempt
            else:
                if response.status_code == 200:
                    return response.content
                if response.status_code in GONE:
                    return MISSING
                if response.status_code != 429 and response.status_code < 500:
                    return MISSING  # 403 and the like: not worth asking again
                wait = _retry_after(response) or self._backoff * 2**attempt
            if attempt < self._retries:
                time.sleep(min(wait, MAX_WAIT))
        return None

    def close(self) -> None:
        self._client.close()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None
