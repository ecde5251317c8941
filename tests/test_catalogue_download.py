"""The catalogue downloader against a real HTTP server on 127.0.0.1, with a real httpx client."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import attrs
import httpx
import pytest
import structlog
import zstandard
from click.testing import CliRunner
from shared_data import require_shared

from anime_mcp.adapters.catalogue_download import Download, download_catalogue
from anime_mcp.core.errors import CatalogueDownloadError
from anime_mcp.entrypoints.cli.app import cli

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CATALOGUE = SHARED_DATA / "anime-offline-database.jsonl.zst"
SLICE_LINES = 41  # the metadata line and 40 anime
NAME = "anime-offline-database.jsonl.zst"


# --- a small catalogue and a server for it -------------------------------------------------------------


@pytest.fixture(scope="module")
def catalogue_lines() -> list[bytes]:
    require_shared(CATALOGUE)
    with CATALOGUE.open("rb") as fh:
        stream = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(fh))
        return [stream.readline() for _ in range(SLICE_LINES)]


@pytest.fixture(scope="module")
def release(catalogue_lines: list[bytes]) -> bytes:
    """A valid .jsonl.zst release: the first lines of the shared catalogue (never copied into the repo)."""
    return zstandard.ZstdCompressor().compress(b"".join(catalogue_lines).rstrip(b"\n"))


@pytest.fixture(scope="module")
def other_release(catalogue_lines: list[bytes]) -> bytes:
    return zstandard.ZstdCompressor().compress(b"".join(catalogue_lines[:11]).rstrip(b"\n"))


@attrs.define
class Route:
    body: bytes = b""
    status: int = 200
    etag: str | None = None
    last_modified: str | None = None
    location: str | None = None
    truncate_at: int | None = None  # advertise the whole length, send only this many bytes, close
    content_length: bool = True
    honour_conditionals: bool = True


@attrs.define
class Request:
    path: str
    headers: dict[str, str]


class CatalogueServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()}))
                route = owner.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                if route.location is not None:
                    self.send_response(302)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.status != 200:
                    self.send_error(route.status)
                    return
                if (
                    route.honour_conditionals
                    and route.etag is not None
                    and self.headers.get("If-None-Match") == route.etag
                ):
                    self.send_response(304)
                    self.send_header("ETag", route.etag)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                if route.content_length:
                    self.send_header("Content-Length", str(len(route.body)))
                if route.etag is not None:
                    self.send_header("ETag", route.etag)
                if route.last_modified is not None:
                    self.send_header("Last-Modified", route.last_modified)
                self.end_headers()
                body = route.body if route.truncate_at is None else route.body[: route.truncate_at]
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.running = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.running:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.thread.join(5)
            self.running = False


@pytest.fixture
def server() -> Iterator[CatalogueServer]:
    srv = CatalogueServer()
    yield srv
    srv.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10.0, trust_env=False) as c:
        yield c


def closed_port_url() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/{NAME}"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if "partial" in p.name)


def meta(directory: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((directory / f"{NAME}.download.json").read_text(encoding="utf-8"))
    return data


V1 = '"v1"'
V2 = '"v2"'
LAST_MODIFIED = "Wed, 01 Jul 2026 10:00:00 GMT"


# --- the downloader ------------------------------------------------------------------------------------


def test_first_download_writes_the_file_and_its_metadata(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1, last_modified=LAST_MODIFIED)
    url = server.url(f"/{NAME}")

    download = download_catalogue(url, tmp_path / "downloads", client)

    assert download == Download(tmp_path / "downloads" / NAME, from_cache=False)
    assert download.path.read_bytes() == release
    assert meta(tmp_path / "downloads") == {
        "url": url,
        "etag": V1,
        "last_modified": LAST_MODIFIED,
        "size": len(release),
    }
    (request,) = server.requests
    assert "if-none-match" not in request.headers
    assert "if-modified-since" not in request.headers
    assert leftovers(tmp_path / "downloads") == []


def test_second_run_asks_with_the_etag_and_keeps_the_copy_on_304(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1, last_modified=LAST_MODIFIED)
    url = server.url(f"/{NAME}")
    first = download_catalogue(url, tmp_path, client)
    stamp = first.path.stat().st_mtime_ns

    second = download_catalogue(url, tmp_path, client)

    assert second.from_cache is True
    assert second.path == first.path
    assert second.note
    assert second.path.read_bytes() == release
    assert second.path.stat().st_mtime_ns == stamp
    assert server.requests[-1].headers["if-none-match"] == V1
    assert server.requests[-1].headers["if-modified-since"] == LAST_MODIFIED
    assert leftovers(tmp_path) == []


def test_a_server_ignoring_conditionals_with_the_same_etag_and_size_keeps_the_copy(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1, honour_conditionals=False)
    url = server.url(f"/{NAME}")
    first = download_catalogue(url, tmp_path, client)
    stamp = first.path.stat().st_mtime_ns

    second = download_catalogue(url, tmp_path, client)

    assert second.from_cache is True
    assert "same ETag" in second.note
    assert second.path.stat().st_mtime_ns == stamp


def test_changed_content_with_a_new_etag_is_downloaded_again(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes, other_release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    url = server.url(f"/{NAME}")
    download_catalogue(url, tmp_path, client)
    server.routes[f"/{NAME}"] = Route(other_release, etag=V2)

    again = download_catalogue(url, tmp_path, client)

    assert again.from_cache is False
    assert again.path.read_bytes() == other_release
    assert server.requests[-1].headers["if-none-match"] == V1
    assert meta(tmp_path)["etag"] == V2
    assert meta(tmp_path)["size"] == len(other_release)


def test_a_transfer_cut_short_fails_with_the_byte_counts_and_keeps_the_good_copy(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes, other_release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    url = server.url(f"/{NAME}")
    download_catalogue(url, tmp_path, client)
    cut = len(other_release) // 2
    server.routes[f"/{NAME}"] = Route(other_release, etag=V2, truncate_at=cut)

    with pytest.raises(CatalogueDownloadError) as caught:
        download_catalogue(url, tmp_path, client)

    message = str(caught.value)
    assert f"{cut:,} of {len(other_release):,} bytes" in message
    assert url in message
    assert "seem to be offline" not in message
    assert (tmp_path / NAME).read_bytes() == release
    assert meta(tmp_path)["etag"] == V1
    assert leftovers(tmp_path) == []


def test_a_transfer_cut_short_without_a_previous_copy_leaves_nothing(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1, truncate_at=100)

    with pytest.raises(CatalogueDownloadError, match=f"100 of {len(release):,} bytes"):
        download_catalogue(server.url(f"/{NAME}"), tmp_path, client)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("status", "reason"), [(404, "Not Found"), (500, "Internal Server Error")])
def test_http_errors_name_the_status(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, status: int, reason: str
) -> None:
    server.routes[f"/{NAME}"] = Route(status=status)

    with pytest.raises(CatalogueDownloadError) as caught:
        download_catalogue(server.url(f"/{NAME}"), tmp_path, client)

    assert f"HTTP {status} {reason}" in str(caught.value)
    assert "--source" in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_an_http_error_keeps_a_previous_copy(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    url = server.url(f"/{NAME}")
    download_catalogue(url, tmp_path, client)
    server.routes[f"/{NAME}"] = Route(status=503)

    with pytest.raises(CatalogueDownloadError, match="HTTP 503"):
        download_catalogue(url, tmp_path, client)

    assert (tmp_path / NAME).read_bytes() == release
    assert leftovers(tmp_path) == []


def test_redirects_are_followed(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/latest/{NAME}"] = Route(location=f"/releases/2026-27/{NAME}")
    server.routes[f"/releases/2026-27/{NAME}"] = Route(release, etag=V1)

    download = download_catalogue(server.url(f"/latest/{NAME}"), tmp_path, client)

    assert download.from_cache is False
    assert download.path == tmp_path / NAME
    assert download.path.read_bytes() == release
    assert [r.path for r in server.requests] == [f"/latest/{NAME}", f"/releases/2026-27/{NAME}"]


def test_nothing_listening_means_offline_and_suggests_source(client: httpx.Client, tmp_path: Path) -> None:
    with pytest.raises(CatalogueDownloadError) as caught:
        download_catalogue(closed_port_url(), tmp_path, client)

    message = str(caught.value)
    assert "cannot reach 127.0.0.1" in message
    assert "you seem to be offline" in message
    assert "--source" in message
    assert leftovers(tmp_path) == []


def test_offline_with_a_cached_copy_returns_it_with_a_note(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    url = server.url(f"/{NAME}")
    download_catalogue(url, tmp_path, client)
    server.stop()

    download = download_catalogue(url, tmp_path, client)

    assert download.from_cache is True
    assert download.path.read_bytes() == release
    assert "cannot reach 127.0.0.1" in download.note
    assert "copy downloaded before" in download.note


def test_progress_reports_bytes_and_total(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    calls: list[tuple[int, int | None]] = []

    download_catalogue(server.url(f"/{NAME}"), tmp_path, client, progress=lambda n, t: calls.append((n, t)))

    assert calls
    assert calls[-1] == (len(release), len(release))
    assert {total for _, total in calls} == {len(release)}
    done = [n for n, _ in calls]
    assert done == sorted(done)


def test_progress_without_a_content_length_has_no_total(
    server: CatalogueServer, client: httpx.Client, tmp_path: Path, release: bytes
) -> None:
    server.routes[f"/{NAME}"] = Route(release, content_length=False)
    calls: list[tuple[int, int | None]] = []

    download = download_catalogue(
        server.url(f"/{NAME}"), tmp_path, client, progress=lambda n, t: calls.append((n, t))
    )

    assert download.path.read_bytes() == release
    assert calls[-1] == (len(release), None)


# --- through the command line --------------------------------------------------------------------------


@pytest.fixture
def runner() -> Iterator[CliRunner]:
    yield CliRunner()
    structlog.reset_defaults()  # the CLI pointed structlog at the runner's (now closed) stderr


def cli_env(home: Path) -> dict[str, str | None]:
    env: dict[str, str | None] = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_CATALOGUE": None,
        "ANIME_MCP_LOAD_PLUGINS": None,
        "ANIME_MCP_DISABLE_PLUGINS": None,
        "ANIME_MCP_LOG_FORMAT": None,
        "ANIME_MCP_LOG_LEVEL": None,
    }
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        env[proxy] = None
    return env


def test_cli_ingest_from_a_url_then_get(
    server: CatalogueServer, runner: CliRunner, tmp_path: Path, release: bytes, catalogue_lines: list[bytes]
) -> None:
    server.routes[f"/{NAME}"] = Route(release, etag=V1)
    url = server.url(f"/{NAME}")
    env = cli_env(tmp_path)

    result = runner.invoke(cli, ["ingest", "--source", url, "--json"], env=env)

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["entries"] == SLICE_LINES - 1
    assert summary["skipped"] == 0
    assert summary["source"] == url
    assert (tmp_path / "downloads" / NAME).read_bytes() == release

    anime = json.loads(catalogue_lines[1])
    result = runner.invoke(cli, ["get", anime["sources"][0], "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == anime["title"]

    # A second ingest asks the server and reuses the copy it already has.
    result = runner.invoke(cli, ["ingest", "--source", url, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["note"] == "the cached copy is current"
    assert server.requests[-1].headers["if-none-match"] == V1


def test_cli_ingest_offline_is_one_error_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["ingest", "--source", closed_port_url()], env=cli_env(tmp_path))

    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "--source" in result.stderr
    assert "Traceback" not in result.output
