"""Injected upstream faults for replay (``ANIME_MCP_REPLAY_FAULTS="503:0.1,429:0.05,timeout:0.05"``): a
share of replayed requests answers with an error status, times out or has its connection reset, so the
retries, breaker, rate limiter and caches are measured under the failures real platforms have.

The draw is deterministic: it hashes the seed, the request (method, URL, body) and how many times that same
request arrived before. The same run gives the same faults whatever the order of concurrent requests, and a
retried request draws again (a retry can succeed, as it would upstream).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import httpx
from attrs import define, field, frozen

TIMEOUT = "timeout"
RESET = "reset"
_NAMED = (TIMEOUT, RESET)
# A 429 says when to come back, as platforms do; short, so a benchmark measures backing off, not waiting.
_HEADERS: Mapping[int, Mapping[str, str]] = {429: {"Retry-After": "1"}}


@frozen
class Fault:
    """One kind of fault (an HTTP status from 400 to 599, ``timeout`` or ``reset``) and its share."""

    kind: str
    share: float


def parse_faults(text: str) -> tuple[Fault, ...]:
    """``"503:0.1,timeout:0.05"`` to faults; ``ValueError`` names the bad item (shares add to 1 at most)."""
    faults: list[Fault] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        kind, sep, share_text = item.partition(":")
        kind = kind.strip().lower()
        if not sep:
            raise ValueError(f"{item!r}: write KIND:SHARE, e.g. 503:0.1 or timeout:0.05")
        if kind not in _NAMED and not (kind.isdigit() and 400 <= int(kind) <= 599):
            raise ValueError(f"{item!r}: the kind is an HTTP status 400-599, 'timeout' or 'reset'")
        try:
            share = float(share_text)
        except ValueError:
            raise ValueError(f"{item!r}: the share is a number from 0 to 1") from None
        if not 0 <= share <= 1:
            raise ValueError(f"{item!r}: the share is a number from 0 to 1")
        faults.append(Fault(kind, share))
    if sum(f.share for f in faults) > 1 + 1e-9:
        raise ValueError(f"{text!r}: the shares add up to more than 1")
    return tuple(faults)


def describe(faults: tuple[Fault, ...]) -> str:
    return ",".join(f"{f.kind}:{f.share:g}" for f in faults)


@define
class FaultInjector:
    """Decides, per request, whether it fails and how; counts what it injected (``injected``)."""

    faults: tuple[Fault, ...]
    seed: int = 0
    _seen: dict[str, int] = field(factory=dict)
    injected: dict[str, int] = field(factory=dict)

    def pick(self, request: httpx.Request) -> Fault | None:
        key = f"{request.method} {request.url}\0{hashlib.sha256(request.content).hexdigest()}"
        nth = self._seen.get(key, 0)
        self._seen[key] = nth + 1
        digest = hashlib.sha256(f"{self.seed}\0{nth}\0{key}".encode()).digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        edge = 0.0
        for fault in self.faults:
            edge += fault.share
            if draw < edge:
                self.injected[fault.kind] = self.injected.get(fault.kind, 0) + 1
                return fault
        return None

    def answer(self, fault: Fault, request: httpx.Request) -> httpx.Response:
        """The fault as the HTTP client meets it: an error status, or a timeout / reset it catches."""
        if fault.kind == TIMEOUT:
            raise httpx.ReadTimeout("injected fault: read timed out", request=request)
        if fault.kind == RESET:
            raise httpx.ReadError("injected fault: connection reset by peer", request=request)
        status = int(fault.kind)
        content = f"injected fault: HTTP {status}".encode()
        return httpx.Response(status, headers=_HEADERS.get(status, {}), content=content, request=request)
