"""The catalogue picture fetcher of ``index-images`` against an httpx mock transport: what is kept on disk,
what is retried (429 and 5xx, Retry-After honoured), what is "missing" at once, and the byte cap."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import httpx

from anime_mcp.adapters.picture_fetcher import CachedPictureFetcher

Handler = Callable[[httpx.Request], httpx.Response]


def fetcher(tmp_path: Path, handler: Handler, **options: object) -> CachedPictureFetcher:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    options = {"per_host_rate": 0, "backoff": 0.0, **options}
    return CachedPictureFetcher(tmp_path / "pictures", client=client, **options)  # type: ignore[arg-type]


def test_pictures_and_gone_answers_are_kept_and_never_asked_again(tmp_path: Path) -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return {
            "/a.png": httpx.Response(200, content=b"picture a"),
            "/gone.png": httpx.Response(404),
            "/private.png": httpx.Response(403),
        }.get(request.url.path, httpx.Response(410))

    urls = [f"https://cdn.example/{name}" for name in ("a.png", "gone.png", "private.png", "old.png")]
    found = fetcher(tmp_path, handler).fetch([*urls, urls[0], "file:///etc/passwd", "ftp://x/y.png"])
    assert found == {urls[0]: b"picture a"} | dict.fromkeys(
        [*urls[1:], "file:///etc/passwd", "ftp://x/y.png"], None
    )
    assert sorted(asked) == ["/a.png", "/gone.png", "/old.png", "/private.png"]  # once each, no file://
    again = fetcher(tmp_path, handler)
    assert again.fetch(urls) == {u: found[u] for u in urls} and again.fetched == 0


def test_429_and_5xx_are_retried_honouring_retry_after(tmp_path: Path) -> None:
    answers = {
        "/busy.png": [httpx.Response(429, headers={"Retry-After": "0.3"}), httpx.Response(200, content=b"b")],
        "/flaky.png": [httpx.Response(503), httpx.Response(502), httpx.Response(200, content=b"f")],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return answers[request.url.path].pop(0)

    started = time.monotonic()
    pictures = fetcher(tmp_path, handler, retries=3)
    found = pictures.fetch(["https://cdn.example/busy.png", "https://cdn.example/flaky.png"])
    assert found == {"https://cdn.example/busy.png": b"b", "https://cdn.example/flaky.png": b"f"}
    assert pictures.fetched == 5 and time.monotonic() - started >= 0.3


def test_a_host_that_keeps_failing_is_not_remembered(tmp_path: Path) -> None:
    calls = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls <= 3:
            raise httpx.ConnectError("down", request=request)
        return httpx.Response(200, content=b"back")

    url = "https://cdn.example/p.png"
    assert fetcher(tmp_path, handler, retries=2).fetch([url]) == {url: None}
    assert calls == 3  # one try and two retries
    assert fetcher(tmp_path, handler, retries=2).fetch([url]) == {url: b"back"}  # a later run tries again


def test_a_body_is_read_up_to_the_byte_cap_only(tmp_path: Path) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=iter([b"x" * 4096] * 64))  # 256 kB, streamed

    url = "https://cdn.example/huge.png"
    found = fetcher(tmp_path, handler, max_bytes=10_000).fetch([url])
    assert len(found[url] or b"") == 10_001  # one byte over: the decoder refuses it as too large
