"""The guarded image fetch against a real local HTTP server (the test switch ``allow_loopback`` lets the first
URL be on 127.0.0.1; nothing lets a redirect go there): redirects checked at every hop, content type, size
cap while streaming, the deadline, and the connection pinned to the checked address with the name as Host."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import anyio
import pytest
from test_image_decoding import SEED_PNG

from anime_mcp.adapters.image_fetch import GuardedImageInput
from anime_mcp.core.errors import ImageRejected

SEEN_HOSTS: list[str] = []  # the Host header of each request, in order


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        if "Content_Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self._write(body)

    def _write(self, body: bytes) -> None:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the guard hung up on purpose
            self.wfile.write(body)

    def do_GET(self) -> None:
        SEEN_HOSTS.append(self.headers.get("Host", ""))
        port = self.server.server_address[1]
        routes = {
            "/poster.png": lambda: self._send(200, SEED_PNG(), Content_Type="image/png"),
            "/to-loopback": lambda: self._send(302, Location=f"http://127.0.0.1:{port}/poster.png"),
            "/to-ipv6-loopback": lambda: self._send(301, Location=f"http://[::1]:{port}/poster.png"),
            "/to-private": lambda: self._send(307, Location="http://10.0.0.1/poster.png"),
            "/to-metadata": lambda: self._send(308, Location="http://169.254.169.254/latest/meta-data/"),
            "/to-file": lambda: self._send(302, Location="file:///etc/passwd"),
            "/relative": lambda: self._send(302, Location="/poster.png"),
            "/page": lambda: self._send(200, b"<html></html>", Content_Type="text/html"),
            "/declared-huge": lambda: self._send(
                200, b"", Content_Type="image/png", Content_Length=str(10**9)
            ),
            "/gzip": lambda: self._send(200, b"x", Content_Type="image/png", Content_Encoding="gzip"),
            "/missing": lambda: self._send(404, b"no"),
        }
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()
            for _ in range(200):
                self._write(b"\0" * 4096)
            return
        if self.path == "/slow":
            time.sleep(1.5)
            self._send(200, SEED_PNG(), Content_Type="image/png")
            return
        routes.get(self.path, lambda: self._send(404))()


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="image-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def fetch(url: str, **options: object) -> bytes:
    guard = GuardedImageInput(**{"allow_loopback": True, "timeout": 5.0, **options})  # type: ignore[arg-type]
    return anyio.run(lambda: guard.fetch(url))


def refused(url: str, **options: object) -> ImageRejected:
    with pytest.raises(ImageRejected) as caught:
        fetch(url, **options)
    return caught.value


def test_the_switch_lets_a_test_fetch_a_picture_from_loopback(base: str) -> None:
    assert fetch(f"{base}/poster.png") == SEED_PNG()


def test_without_the_switch_the_same_server_is_refused(base: str) -> None:
    assert refused(f"{base}/poster.png", allow_loopback=False).reason == "blocked_address"


@pytest.mark.parametrize(
    "path", ["/to-loopback", "/to-ipv6-loopback", "/to-private", "/to-metadata", "/relative"]
)
def test_a_redirect_to_a_non_public_address_is_refused_even_with_the_switch(base: str, path: str) -> None:
    rejection = refused(f"{base}{path}")
    assert rejection.reason == "blocked_address" and "leads to" in str(rejection)


def test_a_redirect_to_a_file_url_is_refused(base: str) -> None:
    assert refused(f"{base}/to-file").reason == "bad_url"


def test_redirects_past_the_hop_limit_are_refused(base: str) -> None:
    assert refused(f"{base}/to-loopback", max_redirects=0).reason == "too_many_redirects"


def test_a_page_that_is_not_an_image_is_refused(base: str) -> None:
    rejection = refused(f"{base}/page")
    assert rejection.reason == "not_an_image" and "text/html" in str(rejection)


def test_bodies_over_the_cap_are_refused_declared_or_streamed(base: str) -> None:
    assert refused(f"{base}/declared-huge").reason == "too_large"
    assert refused(f"{base}/endless", max_bytes=100_000).reason == "too_large"


def test_compressed_bodies_errors_and_slowness_are_refused(base: str) -> None:
    assert refused(f"{base}/gzip").reason == "fetch_failed"
    assert "HTTP 404" in str(refused(f"{base}/missing"))
    assert refused(f"{base}/slow", timeout=0.5).reason == "timeout"


def test_the_connection_goes_to_the_checked_address_with_the_name_as_host(base: str) -> None:
    port = base.rsplit(":", 1)[1]
    asked: list[str] = []

    async def resolver(host: str, port: int) -> Sequence[str]:
        asked.append(host)
        return ["127.0.0.1"]

    SEEN_HOSTS.clear()
    assert fetch(f"http://posters.test:{port}/poster.png", resolver=resolver) == SEED_PNG()
    assert asked == ["posters.test"]  # resolved once, then connected to that address
    seen = list(SEEN_HOSTS)
    assert seen == [f"posters.test:{port}"]
