"""A loopback stand-in for the Hugging Face hub and the catalogue's release host: a threading http.server on
127.0.0.1 and a free port, serving files at the real URL layouts (``/<repo>/resolve/<revision>/<path>``,
``/<owner>/<repo>/releases/download/latest/<file>``), with Range requests, ETags, a request log, and a switch
that cuts one transfer part way (to test resuming)."""

from __future__ import annotations

import hashlib
import http.server
import io
import itertools
import json
import re
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import zstandard
from shared_data import CATALOGUE, MINILM

from anime_mcp.adapters.model_registry import KNOWN_MODELS

MINILM_MODEL = KNOWN_MODELS["all-MiniLM-L6-v2"]
RELEASE_PATH = "/cedya77/anime-offline-database/releases/download/latest/anime-offline-database.jsonl.zst"
_RANGE = re.compile(r"bytes=(\d+)-")


class FileHost:
    def __init__(self) -> None:
        self.files: dict[str, Path] = {}
        self.log: list[tuple[str, str | None]] = []  # (path, Range header)
        self.cut_once: dict[str, int] = {}  # path -> bytes after which the next transfer is cut
        self.no_range = False
        self.server: http.server.ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def serve_model(self, model_dir: Path = MINILM, *, replace: dict[str, Path] | None = None) -> None:
        """The known MiniLM's files, at the hub's layout for its pinned revision."""
        model = MINILM_MODEL
        for remote, local in model.files:
            path = (replace or {}).get(local, model_dir / local)
            self.files[f"/{model.repo}/resolve/{model.revision}/{remote}"] = path


def _handler(host: FileHost) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self._answer(body=False)

        def do_GET(self) -> None:
            self._answer(body=True)

        def _answer(self, *, body: bool) -> None:
            requested = self.headers.get("Range")
            host.log.append((self.path, requested))
            path = host.files.get(self.path)
            if path is None:
                self.send_error(404)
                return
            data = path.read_bytes()
            etag = '"' + hashlib.sha256(data).hexdigest()[:16] + '"'
            start = 0
            match = _RANGE.fullmatch(requested or "")
            if match and not host.no_range:
                start = int(match.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            self.send_header("Content-Length", str(len(data) - start))
            self.send_header("ETag", etag)
            self.end_headers()
            if not body:
                return
            cut = host.cut_once.pop(self.path, None)
            if cut is not None:
                self.wfile.write(data[start : start + cut])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)  # a cut line, not a clean end
                self.close_connection = True
                return
            self.wfile.write(data[start:])

    return Handler


@contextmanager
def file_host() -> Iterator[FileHost]:
    host = FileHost()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(host))
    server.daemon_threads = True
    host.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


def write_catalogue_slice(target: Path, entries: int, *, titles: tuple[str, ...] = ()) -> Path:
    """The metadata line, the first ``entries`` entries of the real catalogue and the entries titled
    ``titles`` (each adds one), as a .jsonl.zst file."""
    wanted = [f'"title":{json.dumps(title)}'.encode() for title in titles]
    with CATALOGUE.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        lines = list(itertools.islice(stream, entries + 1))
        for line in stream if wanted else ():
            if any(key in line for key in wanted):
                lines.append(line)
                wanted = [key for key in wanted if key not in line]
                if not wanted:
                    break
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(zstandard.ZstdCompressor().compress(b"".join(lines)))
    return target


def closed_port_url() -> str:
    """A loopback URL where nothing listens: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
