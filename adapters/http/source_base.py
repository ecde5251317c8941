"""``HttpSource``: the base class of every source that talks HTTP (built-in or third-party).

A subclass declares ``info`` (and, if the defaults do not fit, ``policy``), implements ``_fetch``, names its
parsers per document kind (``record_parsers``/``parsers``, or overrides ``document_parser``) and, for the
capabilities it declares, implements ``_search``/``season``/``schedule``/``episodes``.
The base class does the rest: binding to a runtime, credentials from the environment, provenance time,
how a record was served (``SourceRecord.cache``: set when every answer it was built from came from the
response cache, with ``fetched_at`` the time the oldest was stored), ``ping`` (always live, also when a
subclass overrides it) and the guarantee that only ``SourceError`` subclasses leave a public method.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
from collections.abc import Awaitable, Callable, Mapping, Set
from typing import Any, ClassVar, Protocol, Self, TypeVar

import attrs

from anime_mcp.adapters.http.breaker import BreakerState, CircuitOpen
from anime_mcp.adapters.http.client import ErrorDetector, SourceHttpClient
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.adapters.http.response import HttpResponse
from anime_mcp.adapters.http.runtime import HttpRuntime
from anime_mcp.adapters.http.served import live_answers, live_only, tracking
from anime_mcp.core.errors import AuthRequired, NotFound, ParseError, SourceError, Unavailable
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.sources import Page, SearchCandidate, SourceRecord
from anime_mcp.ports.source import Capability, ParsedDocument, SourceInfo, SourceRuntime

__all__ = ["DocumentParser", "HttpSource", "RecordParser"]

T = TypeVar("T")
DocumentParser = Callable[[bytes], ParsedDocument]
Ping = Callable[[Any], Awaitable[None]]


def _live(ping: Ping) -> Ping:
    """``ping`` checks the platform itself: no cached answer may stand in for it."""

    @functools.wraps(ping)
    async def live_ping(self: Any) -> None:
        with live_answers():
            await ping(self)

    return live_ping


class RecordParser(Protocol):
    """A parser of record documents: ``parse(body, *, fetched_at)`` (``fetched_at``: provenance time)."""

    def __call__(self, body: bytes, /, *, fetched_at: dt.datetime) -> ParsedDocument: ...


class HttpSource:
    info: ClassVar[SourceInfo]
    policy: ClassVar[HttpPolicy] = HttpPolicy()
    ping_id: ClassVar[str | None] = None  # an anime ``ping`` fetches; None: ping checks settings only
    # The default ``document_parser`` looks a kind up here: first the parsers of records (called with
    # ``fetched_at=self.now()``), then the parsers that need the body only.
    record_parsers: ClassVar[Mapping[str, RecordParser]] = {}
    parsers: ClassVar[Mapping[str, DocumentParser]] = {}

    def __init__(self) -> None:
        self._runtime: HttpRuntime | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own_ping = cls.__dict__.get("ping")
        if own_ping is not None:  # a source's own ping (with requests of its own) is live too
            cls.ping = _live(own_ping)  # type: ignore[method-assign]

    # --- binding -----------------------------------------------------------------------------------
    def bind(self, runtime: SourceRuntime) -> Self:
        if not isinstance(runtime, HttpRuntime):
            raise TypeError(f"{type(self).__name__} needs an HttpRuntime, not {type(runtime).__name__}")
        bound = copy.copy(self)
        bound._runtime = runtime
        return bound

    @property
    def bound(self) -> bool:
        return self._runtime is not None

    @property
    def runtime(self) -> HttpRuntime:
        if self._runtime is None:
            raise Unavailable(
                "this source is not bound to an HTTP runtime (the composition root binds it)",
                source=self.info.id,
            )
        return self._runtime

    def http_policy(self) -> HttpPolicy:
        """The class policy, with the declared rate limits when the policy names none."""
        if self.policy.rate_limits:
            return self.policy
        return attrs.evolve(self.policy, rate_limits=self.info.rate_limits)

    @property
    def http(self) -> SourceHttpClient:
        runtime = self.runtime
        # The policy only matters when the client is created: a repeat builds none (attrs validates each).
        found = runtime.existing(self.info.id)
        return found if found is not None else runtime.http(self.info.id, self.http_policy())

    def env(self, name: str) -> str | None:
        value = self._runtime.env.get(name) if self._runtime is not None else None
        return value.strip() or None if value else None

    def require_env(self, name: str) -> str:
        value = self.env(name)
        if value is None:
            described = next((c.description for c in self.info.credentials if c.env == name), "a credential")
            raise AuthRequired(f"set {name} ({described})", source=self.info.id)
        return value

    def now(self) -> dt.datetime:
        """Provenance time: the runtime's clock, or the system time when unbound (``parse`` of a file)."""
        return self._runtime.clock.now() if self._runtime is not None else dt.datetime.now(dt.UTC)

    # --- the Source port ---------------------------------------------------------------------------
    async def fetch(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord:
        if pid.platform is not self.info.platform:
            raise NotFound(f"{pid} is not a {self.info.platform.value} id", source=self.info.id)
        wanted = frozenset(fields)
        kept = self.remembered(pid, wanted)
        if kept is not None:  # the answers behind it are still fresh in the cache: no need to parse
            return kept
        http = self.http
        key = (pid, wanted)
        with tracking() as served:
            try:
                record = await self._guard(lambda: self._fetch(pid, wanted))
            except ParseError:
                await served.forget()  # an unreadable answer must not be served again for days
                raise
            except NotFound as exc:  # a 200 saying "no such anime": cached as not found, briefly
                await served.store_not_found(str(exc))
                raise
        now = self.now()
        cache = served.cache_info()
        keep_until = served.keep_until()
        if keep_until is not None:
            oldest = max(served.ages, default=0.0)
            http.records.put(key, record, stored_at=now.timestamp() - oldest, fresh_until=keep_until)
        if cache is None:
            return record
        stored_at = now - dt.timedelta(seconds=cache.age_seconds)
        return attrs.evolve(record, cache=cache, fetched_at=stored_at)

    def remembered(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord | None:
        """The record a fetch of ``pid`` built, while every answer behind it is fresh in the cache (the
        ``RemembersRecords`` capability): no request, no parse. None when asked for live answers only."""
        if pid.platform is not self.info.platform or live_only():
            return None
        http = self.http
        kept = http.records.get((pid, frozenset(fields)), self.now())
        if kept is not None:
            http.cache_hits += 1
        return kept

    async def search(self, title: str, *, limit: int = 10) -> list[SearchCandidate]:
        if not self.info.supports(Capability.SEARCH):
            raise Unavailable(f"{self.info.id} offers no title search", source=self.info.id)
        title = " ".join(title.split())
        if not title:
            raise NotFound("an empty title matches nothing", source=self.info.id)
        return await self._guard(lambda: self._search(title, max(1, limit)))

    @_live
    async def ping(self) -> None:
        missing = self.info.missing_credentials(self.runtime.env)
        if missing:
            raise AuthRequired(f"missing credentials: set {', '.join(missing)}", source=self.info.id)
        breaker = self.http.breaker
        if breaker.state is BreakerState.OPEN:
            snapshot = breaker.snapshot()
            raise CircuitOpen(
                f"circuit open ({snapshot['last_error']})", source=self.info.id, retry_in=snapshot["retry_in"]
            )
        if self.ping_id is not None:
            await self.fetch(PlatformId(self.info.platform, self.ping_id), frozenset({"title"}))

    def parse(self, document: bytes, *, kind: str = "anime", format: str | None = None) -> ParsedDocument:
        if kind not in self.info.kinds:
            raise ParseError(
                f"{self.info.id} reads {', '.join(self.info.kinds)} documents, not {kind!r}",
                source=self.info.id,
            )
        if format is not None and format not in self.info.formats:
            raise ParseError(
                f"{self.info.id} reads the formats {', '.join(self.info.formats)}, not {format!r}",
                source=self.info.id,
            )
        try:
            return self.document_parser(kind, format, document)(document)
        except SourceError:
            raise
        except Exception as exc:
            raise ParseError(
                f"unexpected document: {type(exc).__name__}: {exc}", source=self.info.id
            ) from exc

    # --- for subclasses ----------------------------------------------------------------------------
    async def _fetch(self, pid: PlatformId, fields: frozenset[str]) -> SourceRecord:
        raise NotImplementedError

    async def _search(self, title: str, limit: int) -> list[SearchCandidate]:
        raise Unavailable(f"{self.info.id} offers no title search", source=self.info.id)

    def document_parser(self, kind: str, format: str | None, document: bytes) -> DocumentParser:
        """The parser for one saved document of ``kind`` (``format`` None: recognise it).

        By default: ``record_parsers[kind]`` given ``fetched_at=self.now()``, else ``parsers[kind]``.
        """
        record_parser = self.record_parsers.get(kind)
        if record_parser is not None:
            fetched_at = self.now()
            return lambda body: record_parser(body, fetched_at=fetched_at)
        parser = self.parsers.get(kind)
        if parser is None:
            raise ParseError(f"{self.info.id} has no parser for {kind!r} documents", source=self.info.id)
        return parser

    @staticmethod
    def detector(detect_error: Callable[..., SourceError | None]) -> ErrorDetector:
        """Adapt a parser's ``detect_error(status, body, *, headers=None)`` to the HTTP client's hook."""

        def detect(status: int, body: bytes, headers: Mapping[str, str]) -> SourceError | None:
            return detect_error(status, body, headers=headers)

        return detect

    async def follow_pages(
        self,
        first_url: str,
        parse_page: Callable[[HttpResponse], Page[T]],
        *,
        limit: int,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        detect_error: ErrorDetector | None = None,
        max_pages: int = 50,
    ) -> list[T]:
        """Items of a paginated list: follow each page's ``next_url`` until ``limit`` items or the end."""
        items: list[T] = []
        url: str | None = first_url
        for _ in range(max_pages):
            if url is None or len(items) >= limit:
                break
            response = await self.http.get(url, params=params, headers=headers, detect_error=detect_error)
            page = parse_page(response)
            items.extend(page.items)
            url, params = page.next_url, None  # the next URL carries its own query
        return items[:limit]

    async def _guard(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            return await call()
        except SourceError:
            raise
        except Exception as exc:
            raise ParseError(f"unexpected failure: {type(exc).__name__}: {exc}", source=self.info.id) from exc
