"""Catalogue pictures for ``index-images``: downloaded with a per-host pace, retried, kept on disk.

Every picture (and every "not there" answer) is kept under ``$ANIME_MCP_HOME/pictures``, named by the hash
of its URL, so a rerun or a resumed run fetches nothing twice. Several hosts are fetched in parallel; one
host gets at most ``per_host_rate`` requests a second. 429 and 5xx answers and network errors are retried
with backoff (``Retry-After`` honoured up to ``MAX_WAIT``, read by the live sources' own
``parse_retry_after``); 404 and 410 are "missing" at once. A body is read up to the decoder's byte cap and
one byte more, so an endless or huge answer costs at most that (the decoder then refuses it: "broken").

Why this is not the live sources' HTTP path (``adapters/http``): see docs/architecture.md, "Pictures".
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

from anime_mcp.adapters.clock import SystemClock
from anime_mcp.adapters.http.errors import parse_retry_after
from anime_mcp.adapters.image_decoding import MAX_IMAGE_BYTES
from anime_mcp.ports.clock import Clock

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
        max_bytes: int = MAX_IMAGE_BYTES,
        clock: Clock | None = None,
    ) -> None:
        self.cache_dir = cache_dir
        self._client = client or httpx.Client(
            timeout=httpx.Timeout(20.0), follow_redirects=True, headers={"User-Agent": "anime-mcp"}
        )
        self._pace = _HostPace(per_host_rate)
        self._workers = workers
        self._retries = retries
        self._backoff = backoff
        self._max_bytes = max_bytes
        self._clock = clock or SystemClock()
        self._count = threading.Lock()
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
            with self._count:
                self.fetched += 1
            try:
                status, retry_after, body = self._get(url)
            except httpx.HTTPError:
                wait = self._backoff * 2**attempt
            else:
                if status == 200:
                    return body
                if status in GONE:
                    return MISSING
                if status != 429 and status < 500:
                    return MISSING  # 403 and the like: not worth asking again
                wait = parse_retry_after(retry_after, self._clock) or self._backoff * 2**attempt
            if attempt < self._retries:
                time.sleep(min(wait, MAX_WAIT))
        return None

    def _get(self, url: str) -> tuple[int, str | None, bytes]:
        """Status, Retry-After and the body (200 only), read up to ``max_bytes`` + 1."""
        with self._client.stream("GET", url) as response:
            if response.status_code != 200:
                return response.status_code, response.headers.get("Retry-After"), b""
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self._max_bytes:
                    break  # the decoder refuses it as too large; the rest is never read
            return 200, None, bytes(body[: self._max_bytes + 1])

    def close(self) -> None:
        self._client.close()
