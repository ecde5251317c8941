"""Recorded responses, transports that replay, capture and record them, and the recordings folder.

A ``Recording`` pairs a saved document with the request that produced it (``"GET https://host/path?q=1"``)
and the call that should make that request (``"fetch mal:1535"``, ``"search code geass"``, ...). Matching
ignores the host (the capturing project may have called another host than yours) and requires the path,
every query parameter the recording names (order and comma-list order ignored; your request may add
others) and, for POST, every key of ``json`` in the request body.

A recordings folder (``ANIME_MCP_REPLAY=DIR``) holds ``recordings.jsonl``: one object per line, ``request``,
``file`` (relative to the folder), optional ``status``, ``headers``, ``json``, ``body_contains`` and
``call``; and the files. ``ReplayTransport(..., strict=True)`` serves it to the live sources: a request with
no recording fails as a transport error naming the request (the HTTP client reports it as ``Unavailable``).
``CapturingTransport`` finds the request a call makes (``anime-mcp sources recording add``);
``RecordingTransport`` writes live answers into a folder (``ANIME_MCP_RECORD=DIR``).

For benchmarks and multi-process tests, replay can stand in for a slow upstream: ``latency`` seconds pass
before every answer (``ANIME_MCP_REPLAY_LATENCY``), and ``log`` names a file that gets one JSON line per
request the transport receives (``ANIME_MCP_REPLAY_LOG``; appended with one ``write`` on an ``O_APPEND``
descriptor, so several processes can share it), which counts the upstream requests of a whole deployment.
``faults`` makes a deterministic share of requests fail (``ANIME_MCP_REPLAY_FAULTS``, see ``faults``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import anyio
import httpx
from attrs import define, field, frozen

from anime_mcp.adapters.http.faults import FaultInjector
from anime_mcp.core.errors import SourceError
from anime_mcp.core.models import Season
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.schedule import AirKind
from anime_mcp.ports.source import BatchFetcher, EpisodeLister, ScheduleProvider, SeasonLister, Source

__all__ = [
    "CALL_VERBS",
    "PLACEHOLDER",
    "RECORDINGS_FILE",
    "CallError",
    "CapturingTransport",
    "NoRecording",
    "Recording",
    "RecordingTransport",
    "ReplayTransport",
    "UnmatchedRequest",
    "add_recording",
    "append_line",
    "perform_call",
    "read_recordings",
    "recording_to_line",
    "replay_env",
    "scrub_url",
]

RECORDINGS_FILE = "recordings.jsonl"
PLACEHOLDER = "replay"  # the value of every missing required credential in replay mode

CALL_VERBS = ("fetch", "fetch_many", "search", "season", "schedule", "episodes", "ping")


def _headers(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen
class Recording:
    """One recorded answer.

    ``call``: what makes the request (``fetch PLATFORM:ID [FIELD,FIELD]``, ``fetch_many PLATFORM:ID ...``,
    ``search TITLE``, ``season YEAR SEASON``, ``schedule YYYY-MM-DD [raw|sub|dub]``,
    ``episodes PLATFORM:ID``, ``ping``), or None for a document that
    is only parsed, which then needs ``unused_reason`` (an unused recording is a failure, unless explained).
    ``expect``: the typed error this answer must produce (for error pages).
    """

    file: Path = field(converter=Path)
    request: str
    call: str | tuple[str, ...] | None = None  # several calls may need the same answer
    kind: str = "anime"
    status: int = 200
    headers: Mapping[str, str] = field(factory=dict, converter=_headers)
    json: Mapping[str, Any] | None = None  # keys and values the request's JSON body must contain
    body_contains: str | None = None  # text the request body must contain (e.g. part of a GraphQL query)
    expect: type[SourceError] | None = None
    format: str | None = None
    parse: bool = True  # include in the parse check (False: only meaningful with its HTTP status)
    unused_reason: str | None = None

    def __attrs_post_init__(self) -> None:
        method, _, url = self.request.partition(" ")
        if method.upper() not in ("GET", "POST", "HEAD") or not url.startswith(("http://", "https://")):
            raise ValueError(f"request must look like 'GET https://host/path?query', not {self.request!r}")
        for call in self.calls:
            if call.split(" ", 1)[0] not in CALL_VERBS:
                raise ValueError(f"a call must start with one of {CALL_VERBS}, not {call!r}")

    @property
    def calls(self) -> tuple[str, ...]:
        if self.call is None:
            return ()
        return (self.call,) if isinstance(self.call, str) else tuple(self.call)

    @property
    def method(self) -> str:
        return self.request.partition(" ")[0].upper()

    @property
    def url(self) -> str:
        return self.request.partition(" ")[2]

    def body(self, root: Path | None = None) -> bytes:
        path = self.file if root is None or self.file.is_absolute() else root / self.file
        return path.read_bytes()

    def name(self) -> str:
        return self.file.name

    def matches(self, request: httpx.Request) -> int | None:
        """None when the request is not this recording's; else how many query parameters matched."""
        if request.method.upper() != self.method:
            return None
        wanted = urlsplit(self.url)
        got = request.url
        if wanted.path.rstrip("/") != got.path.rstrip("/"):
            return None
        have = _query(got.query.decode() if isinstance(got.query, bytes) else str(got.query))
        need = _query(wanted.query)
        for key, values in need.items():
            if have.get(key) != values:
                return None
        score = len(need)
        if self.json is not None:
            try:
                sent = json.loads(request.content or b"null")
            except ValueError:
                return None
            if not _contains(sent, self.json):
                return None
            score += 1
        if self.body_contains is not None:
            if self.body_contains not in request.content.decode("utf-8", "replace"):
                return None
            score += 1
        return score


def _query(query: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        found.setdefault(key, []).append(",".join(sorted(value.split(","))))
    return {key: sorted(values) for key, values in found.items()}


def _contains(actual: Any, expected: Any) -> bool:
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and _contains(actual[key], value) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_contains(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected or str(actual) == str(expected))


class NoRecording(httpx.TransportError):
    """A request that no recording answers, in replay mode (reported as ``Unavailable`` naming it)."""


class CallError(ValueError):
    """A call that is not in the grammar, or that the source cannot make (no ``season()`` method, ...)."""


@define
class UnmatchedRequest:
    method: str
    url: str
    body: bytes

    def __str__(self) -> str:
        body = f" body={self.body[:300]!r}" if self.body else ""
        return f"{self.method} {self.url}{body}"


@define
class ReplayTransport(httpx.AsyncBaseTransport):
    """Serves recordings; never touches the network. Unmatched requests get HTTP 599 and are remembered,
    or, with ``strict``, fail with ``NoRecording`` naming the request (so a source reports ``Unavailable``
    with that message instead of a made-up 5xx answer)."""

    recordings: Sequence[Recording]
    root: Path | None = None
    strict: bool = False
    latency: float = 0.0  # seconds before every answer (an upstream's round trip, for benchmarks)
    log: Path | None = None  # one JSON line per request received, shared by processes (upstream counts)
    faults: FaultInjector | None = None  # a share of requests fails (ANIME_MCP_REPLAY_FAULTS)
    used: dict[int, int] = field(factory=dict)  # recording index -> times served
    unmatched: list[UnmatchedRequest] = field(factory=list)
    requests: list[httpx.Request] = field(factory=list)

    def match(self, request: httpx.Request) -> int | None:
        """The index of the recording that answers ``request`` best (most conditions met), or None."""
        best: tuple[int, int] | None = None
        for index, recording in enumerate(self.recordings):
            score = recording.matches(request)
            if score is not None and (best is None or score > best[0]):
                best = (score, index)
        return None if best is None else best[1]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        if self.latency > 0:
            await anyio.sleep(self.latency)
        if self.faults is not None and (fault := self.faults.pick(request)) is not None:
            self._log(request, fault.kind)
            return self.faults.answer(fault, request)
        index = self.match(request)
        self._log(request, None if index is None else self.recordings[index].status)
        if index is None:
            return self.no_recording(request)
        self.used[index] = self.used.get(index, 0) + 1
        recording = self.recordings[index]
        return httpx.Response(
            recording.status, headers=recording.headers, content=recording.body(self.root), request=request
        )

    def _log(self, request: httpx.Request, status: int | str | None) -> None:
        if self.log is None:
            return
        line = {"request": f"{request.method} {request.url}", "status": status, "pid": os.getpid()}
        append_line(self.log, json.dumps({**line, "at": round(time.time(), 6)}))

    def no_recording(self, request: httpx.Request) -> httpx.Response:
        missing = UnmatchedRequest(request.method, str(request.url), request.content)
        self.unmatched.append(missing)
        if self.strict:
            where = f" in {self.root / RECORDINGS_FILE}" if self.root is not None else ""
            raise NoRecording(f"no recording of {missing}{where}", request=request)
        return httpx.Response(599, content=b"no recording matches this request", request=request)

    def unused(self) -> list[Recording]:
        return [r for i, r in enumerate(self.recordings) if i not in self.used]


@define
class CapturingTransport(ReplayTransport):
    """Serves the recordings it has; the first request none answers is answered with ``answer`` and kept
    in ``captured`` (the request a call makes, for ``sources recording add``). Later unanswered requests
    get 599, like the conformance kit's."""

    answer: bytes = b""
    answer_status: int = 200
    answer_headers: Mapping[str, str] = field(factory=dict)
    captured: httpx.Request | None = None

    def no_recording(self, request: httpx.Request) -> httpx.Response:
        if self.captured is None:
            self.captured = request
            return httpx.Response(
                self.answer_status, headers=self.answer_headers, content=self.answer, request=request
            )
        return super().no_recording(request)


# --- the recordings folder ----------------------------------------------------------------------------

_LINE_KEYS = ("request", "file", "status", "headers", "json", "body_contains", "call")


def read_recordings(folder: Path) -> list[Recording]:
    """The recordings of ``folder/recordings.jsonl`` (none when the file is absent). A line that is not a
    recording is a ``ValueError`` naming the file and line."""
    path = folder / RECORDINGS_FILE
    if not path.is_file():
        return []
    found: list[Recording] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("not a JSON object")
            unknown = set(item) - set(_LINE_KEYS)
            if unknown:
                raise ValueError(f"unknown keys {sorted(unknown)}; known: {', '.join(_LINE_KEYS)}")
            if not isinstance(item.get("request"), str) or not isinstance(item.get("file"), str):
                raise ValueError("'request' and 'file' must be strings")
            found.append(
                Recording(
                    file=item["file"],
                    request=item["request"],
                    call=item.get("call"),
                    status=int(item.get("status", 200)),
                    headers=item.get("headers") or {},
                    json=item.get("json"),
                    body_contains=item.get("body_contains"),
                )
            )
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: {exc}") from None
    return found


def recording_to_line(recording: Recording) -> str:
    """One line of recordings.jsonl (defaults left out), the inverse of ``read_recordings``."""
    item: dict[str, Any] = {"request": recording.request, "file": recording.file.as_posix()}
    if recording.status != 200:
        item["status"] = recording.status
    if recording.headers:
        item["headers"] = dict(recording.headers)
    if recording.json is not None:
        item["json"] = recording.json
    if recording.body_contains is not None:
        item["body_contains"] = recording.body_contains
    if recording.call is not None:
        item["call"] = recording.call if isinstance(recording.call, str) else list(recording.call)
    return json.dumps(item, ensure_ascii=False, sort_keys=False)


def add_recording(folder: Path, recording: Recording) -> bool:
    """Append ``recording`` to the folder's recordings.jsonl; False (nothing written) when an identical
    line is already there. One ``write`` per line, so concurrent writers do not interleave."""
    folder.mkdir(parents=True, exist_ok=True)
    line = recording_to_line(recording)
    path = folder / RECORDINGS_FILE
    if path.is_file() and line in path.read_text(encoding="utf-8").splitlines():
        return False
    append_line(path, line)
    return True


def append_line(path: Path, line: str) -> None:
    """Append one line with one ``write`` on an ``O_APPEND`` descriptor: writers (even in several
    processes) never interleave."""
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(descriptor, (line + "\n").encode("utf-8"))
    finally:
        os.close(descriptor)


def scrub_url(url: str, secrets: Iterable[str]) -> str:
    """``url`` without the query parameters whose value is one of ``secrets`` (credentials, placeholders):
    a recording never holds a credential, and matching then ignores it (extra parameters are allowed)."""
    hidden = {s for s in secrets if s}
    parts = urlsplit(url)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if v not in hidden]
    return urlunsplit(parts._replace(query=urlencode(kept)))


def request_recording(
    request: httpx.Request,
    file: str | Path,
    *,
    secrets: Iterable[str] = (),
    call: str | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Recording:
    """The recording that answers ``request`` with ``file``: its request line (credentials scrubbed) and,
    for a JSON POST, the body to match (a GraphQL body: its ``variables``)."""
    body: Mapping[str, Any] | None = None
    if request.method.upper() == "POST" and request.content:
        try:
            sent = json.loads(request.content)
        except ValueError:
            sent = None
        if isinstance(sent, dict):
            variables = sent.get("variables")
            body = {"variables": variables} if "query" in sent and isinstance(variables, dict) else sent
    line = f"{request.method.upper()} {scrub_url(str(request.url), secrets)}"
    return Recording(
        file=file, request=line, call=call, status=status, headers=dict(headers or {}), json=body
    )


@define
class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes every request to ``inner`` and writes each answer into ``folder`` (a file per answer and a
    line of recordings.jsonl; credentials in query parameters are left out of the request line)."""

    inner: httpx.AsyncBaseTransport
    folder: Path
    secrets: frozenset[str] = frozenset()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        await response.aclose()
        name = _file_name(request)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / name).write_bytes(content)
        kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after")}
        add_recording(
            self.folder,
            request_recording(request, name, secrets=self.secrets, status=response.status_code, headers=kept),
        )
        return httpx.Response(
            response.status_code,
            headers=[(k, v) for k, v in response.headers.items() if k.lower() not in _DECODED_HEADERS],
            content=content,
            request=request,
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


_DECODED_HEADERS = ("content-encoding", "content-length", "transfer-encoding")


def _file_name(request: httpx.Request) -> str:
    """A readable, unique file name: host, path, a hash of the whole request, a timestamp."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{request.url.host}{request.url.path}").strip("_")[:80]
    digest = hashlib.sha256(f"{request.method} {request.url}".encode() + request.content).hexdigest()[:10]
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{slug}_{digest}_{stamp}.body"


def replay_env(env: Mapping[str, str], sources: Iterable[Source]) -> dict[str, str]:
    """``env`` with every missing required credential of ``sources`` set to ``PLACEHOLDER``: in replay
    mode nothing leaves the machine, so no source may refuse to run for want of a key. Optional ones stay
    as they are (setting one can change what a source asks, e.g. MAL's Jikan URL)."""
    filled = dict(env)
    for source in sources:
        for credential in source.info.credentials:
            if credential.required and not filled.get(credential.env):
                filled[credential.env] = PLACEHOLDER
    return filled


# --- the call grammar ---------------------------------------------------------------------------------


def _pid(text: str) -> PlatformId:
    platform, _, ident = text.strip().partition(":")
    return PlatformId(platform, ident)


async def perform_call(source: Source, call: str) -> object:
    """Make ``call`` (``fetch PLATFORM:ID [FIELD,...]``, ``fetch_many PLATFORM:ID ...``, ``search TITLE``,
    ``season YEAR SEASON``, ``schedule YYYY-MM-DD [raw|sub|dub]``, ``episodes PLATFORM:ID``, ``ping``) on
    ``source``; ``CallError`` when the call is malformed or the source cannot make it."""
    verb, _, arg = call.strip().partition(" ")
    arg = arg.strip()
    try:
        if verb == "fetch":
            ident, _, wanted = arg.partition(" ")
            return await source.fetch(_pid(ident), frozenset(f for f in wanted.split(",") if f))
        if verb == "fetch_many":
            if not isinstance(source, BatchFetcher):
                raise CallError(f"call {call!r}: the source has no fetch_many() method")
            return await source.fetch_many([_pid(p) for p in arg.split()])
        if verb == "search":
            return await source.search(arg)
        if verb == "ping":
            await source.ping()
            return None
        if verb == "season":
            if not isinstance(source, SeasonLister):
                raise CallError(f"call {call!r}: the source has no season() method")
            year, _, season = arg.partition(" ")
            return await source.season(int(year), Season(season.strip().upper()))
        if verb == "schedule":
            if not isinstance(source, ScheduleProvider):
                raise CallError(f"call {call!r}: the source has no schedule() method")
            day, _, kind = arg.partition(" ")
            return await source.schedule(day=dt.date.fromisoformat(day), kind=AirKind(kind.strip() or "sub"))
        if verb == "episodes":
            if not isinstance(source, EpisodeLister):
                raise CallError(f"call {call!r}: the source has no episodes() method")
            return await source.episodes(_pid(arg))
    except CallError:
        raise
    except SourceError:
        raise
    except ValueError as exc:  # a bad year, date, season or air kind in the call
        raise CallError(f"call {call!r}: {exc}") from None
    raise CallError(f"unknown call {call!r}; a call starts with one of {', '.join(CALL_VERBS)}")
