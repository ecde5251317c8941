"""Recorded responses, and a transport that replays them by request matching.

A ``Recording`` pairs a saved document with the request that produced it (``"GET https://host/path?q=1"``)
and the call that should make that request (``"fetch mal:1535"``, ``"search code geass"``, ...). Matching
ignores the host (the capturing project may have called another host than yours) and requires the path,
every query parameter the recording names (order and comma-list order ignored; your request may add
others) and, for POST, every key of ``json`` in the request body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from attrs import define, field, frozen

from anime_mcp.core.errors import SourceError

__all__ = ["Recording", "ReplayTransport", "UnmatchedRequest"]

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
    """Serves recordings; never touches the network. Unmatched requests get HTTP 599 and are remembered."""

    recordings: Sequence[Recording]
    root: Path | None = None
    used: dict[int, int] = field(factory=dict)  # recording index -> times served
    unmatched: list[UnmatchedRequest] = field(factory=list)
    requests: list[httpx.Request] = field(factory=list)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.requests.append(request)
        best: tuple[int, int] | None = None
        for index, recording in enumerate(self.recordings):
            score = recording.matches(request)
            if score is not None and (best is None or score > best[0]):
                best = (score, index)
        if best is None:
            self.unmatched.append(UnmatchedRequest(request.method, str(request.url), request.content))
            return httpx.Response(599, content=b"no recording matches this request", request=request)
        index = best[1]
        self.used[index] = self.used.get(index, 0) + 1
        recording = self.recordings[index]
        return httpx.Response(
            recording.status, headers=recording.headers, content=recording.body(self.root), request=request
        )

    def unused(self) -> list[Recording]:
        return [r for i, r in enumerate(self.recordings) if i not in self.used]
