"""The conformance checks, one small async function each. Every check raises ``CheckFailed`` with a
message that says what the source did wrong; the pytest suite (``suite.py``) runs one test per check."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
import socket
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import attrs
import httpx
from attrs import define, field, fields

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import HttpRuntime, make_async_client
from anime_mcp.adapters.http.replay import CallError, perform_call
from anime_mcp.adapters.memory_cache import MemoryCache
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    RateLimited,
    SourceError,
    Unavailable,
)
from anime_mcp.core.platforms import ID_PATTERNS, PlatformId
from anime_mcp.core.schedule import AiringSlot
from anime_mcp.core.sources import Page, SearchCandidate, SourceRecord
from anime_mcp.ports.cache import Cache
from anime_mcp.ports.source import (
    KNOWN_FIELDS,
    RECORD_FIELDS,
    BatchFetcher,
    Capability,
    EpisodeLister,
    ScheduleProvider,
    SeasonLister,
    Source,
    SourceInfo,
    SourceKind,
)
from anime_mcp.testing.replay import Recording, ReplayTransport

__all__ = ["CHECKS", "CheckFailed", "KitConfig"]

CLOUDFLARE_CHALLENGE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    b"<div id=\"challenge-form\"></div><script>window._cf_chl_opt={cvId:'3'};</script></body></html>"
)
# Settings the kit imposes so that failure paths finish quickly (on the virtual clock anyway).
FAST_FAILURE: dict[str, Any] = {
    "max_retries": 1,
    "backoff_base": 0.5,
    "backoff_max": 2.0,
    "total_timeout": 5.0,
    "max_retry_after": 120.0,
    "failure_threshold": 1000,
}


class CheckFailed(AssertionError):
    """A conformance check found the source at fault."""


@define
class KitConfig:
    source: Source
    recordings: Sequence[Recording] = ()
    env: Mapping[str, str] = field(factory=dict)
    root: Path | None = None  # relative recording files are read from here

    def runtime(
        self,
        transport: httpx.AsyncBaseTransport,
        *,
        clock: VirtualClock | None = None,
        env: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
        cache: Cache | None = None,
    ) -> tuple[Source, HttpRuntime]:
        """The source bound to ``transport``. No response cache unless ``cache`` is given: every other
        check (errors, timeouts, bursts, cancellation) is about what goes over the wire."""
        runtime = HttpRuntime(
            client=make_async_client(transport),
            clock=clock or VirtualClock(),
            env=dict(self.env if env is None else env),
            overrides={self.source.info.id: overrides} if overrides else None,
            cache=cache,
        )
        return self.source.bind(runtime), runtime

    def calls(self) -> dict[str, list[Recording]]:
        grouped: dict[str, list[Recording]] = {}
        for recording in self.recordings:
            for call in recording.calls:
                grouped.setdefault(call, []).append(recording)
        return grouped

    def sample_call(self) -> str:
        """A successful ``fetch``/``fetch_many`` call of the recordings (the checks that fabricate answers
        or cancel requests start from it)."""
        for call, recordings in self.calls().items():
            if call.startswith(("fetch ", "fetch_many ")) and all(r.expect is None for r in recordings):
                return call
        raise CheckFailed("no successful 'fetch PLATFORM:ID' recording: the kit needs one real anime answer")

    def sample_pid(self) -> PlatformId:
        return _pid(self.sample_call().split(" ")[1])

    def sample_body(self) -> Recording:
        return self.calls()[self.sample_call()][0]


def _pid(text: str) -> PlatformId:
    platform, _, ident = text.strip().partition(":")
    return PlatformId(platform, ident)


# ------------------------------------------------------------------------------------------- validation
def _filled(value: object) -> bool:
    return value is not None and value not in ((), "")


def validate_record(record: object, config: KitConfig, where: str) -> None:
    info = config.source.info
    if not isinstance(record, SourceRecord):
        raise CheckFailed(f"{where}: expected a SourceRecord, got {type(record).__name__}")
    if record.platform_id.platform is not info.platform:
        raise CheckFailed(f"{where}: record of {record.platform_id} from a {info.platform.value} source")
    if not record.url.startswith(("http://", "https://")):
        raise CheckFailed(f"{where}: the record's url {record.url!r} is not a web address")
    if record.fetched_at.tzinfo is None:
        raise CheckFailed(f"{where}: fetched_at must be timezone-aware")
    unknown = record.fields - KNOWN_FIELDS
    if unknown:
        raise CheckFailed(f"{where}: fields names unknown fields {sorted(unknown)}")
    undeclared = record.fields - info.fields
    if undeclared:
        raise CheckFailed(f"{where}: filled {sorted(undeclared)}, which SourceInfo.fields does not declare")
    for attribute in fields(SourceRecord):
        if (
            attribute.name in RECORD_FIELDS
            and _filled(getattr(record, attribute.name))
            and attribute.name not in record.fields
        ):
            raise CheckFailed(f"{where}: {attribute.name} is filled but not named in fields")
    if "title" in record.fields and not (record.title or "").strip():
        raise CheckFailed(f"{where}: title is named in fields but blank")
    if record.score is not None and not (0 <= record.score.value <= record.score.scale):
        raise CheckFailed(f"{where}: score {record.score} is outside its own scale")
    if record.episodes is not None and record.episodes < 0:
        raise CheckFailed(f"{where}: negative episode count {record.episodes}")
    if record.year is not None and not 1900 <= record.year <= 2200:
        raise CheckFailed(f"{where}: implausible year {record.year}")


def validate_parsed(parsed: object, kind: str, config: KitConfig, where: str) -> None:
    platform = config.source.info.platform
    if kind == "anime":
        if isinstance(parsed, list | tuple):  # a batch document (ANN answers several anime at once)
            if not parsed:
                raise CheckFailed(f"{where}: a batch document parsed into no records")
            for index, record in enumerate(parsed):
                validate_record(record, config, f"{where}[{index}]")
            return
        validate_record(parsed, config, where)
        return
    if kind == "episodes":
        if not isinstance(parsed, Page):
            raise CheckFailed(
                f"{where}: an episodes document must parse into a Page, not {type(parsed).__name__}"
            )
        return
    if not isinstance(parsed, list | tuple):
        raise CheckFailed(f"{where}: a {kind} document must parse into a list, not {type(parsed).__name__}")
    for index, item in enumerate(parsed):
        item_where = f"{where}[{index}]"
        if isinstance(item, SourceRecord):
            validate_record(item, config, item_where)
        elif isinstance(item, SearchCandidate):
            if item.platform_id.platform is not platform or not item.title.strip():
                raise CheckFailed(
                    f"{item_where}: candidate {item.platform_id} {item.title!r} is not valid here"
                )
        elif isinstance(item, AiringSlot) and item.airs_at is not None and item.airs_at.tzinfo is None:
            raise CheckFailed(f"{item_where}: airs_at must be timezone-aware")


# ------------------------------------------------------------------------------------------- calling
async def perform(source: Source, call: str) -> object:
    try:
        return await perform_call(source, call)
    except CallError as exc:
        raise CheckFailed(str(exc)) from None


def validate_result(result: object, call: str, config: KitConfig) -> None:
    verb, _, arg = call.partition(" ")
    if verb == "fetch":
        validate_record(result, config, call)
        assert isinstance(result, SourceRecord)
        ident, _, wanted_fields = arg.partition(" ")
        if result.platform_id != _pid(ident):
            raise CheckFailed(f"{call}: returned the record of {result.platform_id}")
        missing = {f for f in wanted_fields.split(",") if f} - result.fields
        if missing:
            raise CheckFailed(
                f"{call}: asked for {sorted(missing)} but the record does not name them in fields"
            )
    elif verb == "fetch_many":
        if not isinstance(result, dict):
            raise CheckFailed(f"{call}: expected a dict of records, got {type(result).__name__}")
        for pid, record in result.items():
            validate_record(record, config, f"{call} [{pid}]")
            if record.platform_id != pid:
                raise CheckFailed(f"{call}: the record under {pid} is of {record.platform_id}")
    elif verb in ("search", "season", "schedule", "episodes"):
        if not isinstance(result, list):
            raise CheckFailed(f"{call}: expected a list, got {type(result).__name__}")
        validate_parsed(result, "episode_list" if verb == "episodes" else verb, config, call)


@contextlib.contextmanager
def no_sockets() -> Iterator[list[str]]:
    """Any attempt to open a network connection is recorded and refused."""
    attempts: list[str] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append(repr(args[1:] if args and isinstance(args[0], socket.socket) else args)[:200])
        raise OSError("network access is forbidden in the conformance kit")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo = saved  # type: ignore[method-assign]


def _unmatched(transport: ReplayTransport) -> str:
    known = "\n  ".join(r.request for r in transport.recordings) or "(none)"
    asked = "\n  ".join(str(u) for u in transport.unmatched)
    return f"requests with no recording:\n  {asked}\nrecorded:\n  {known}"


async def _expect_error(
    call: Callable[[], Awaitable[object]], expected: type[SourceError], what: str
) -> SourceError:
    try:
        result = await call()
    except expected as exc:
        return exc
    except SourceError as exc:
        raise CheckFailed(f"{what}: expected {expected.__name__}, got {type(exc).__name__}: {exc}") from exc
    except Exception as exc:
        raise CheckFailed(f"{what}: a raw {type(exc).__name__} left the source: {exc}") from exc
    raise CheckFailed(f"{what}: expected {expected.__name__}, got a result: {result!r:.200}")


# ------------------------------------------------------------------------------------------- checks
async def check_metadata(config: KitConfig) -> None:
    source = config.source
    if not isinstance(source, Source):
        raise CheckFailed(f"{type(source).__name__} does not implement the Source port")
    info = source.info
    if info.kind not in (SourceKind.API, SourceKind.SCRAPE):
        raise CheckFailed(f"kind {info.kind!r} is neither api nor scrape")
    if not info.rate_limits:
        raise CheckFailed("declare default rate limits (SourceInfo.rate_limits): every platform has some")
    if not info.formats:
        raise CheckFailed("declare the document formats parse() reads (SourceInfo.formats)")
    protocols: dict[Capability, type] = {
        Capability.SEASON: SeasonLister,
        Capability.SCHEDULE: ScheduleProvider,
        Capability.EPISODES: EpisodeLister,
        Capability.BATCH: BatchFetcher,
    }
    for capability, protocol in protocols.items():
        if capability in info.capabilities and not isinstance(source, protocol):
            raise CheckFailed(f"declares {capability.value!r} but does not implement {protocol.__name__}")
    if _id_pattern(info) is None:
        raise CheckFailed(f"unknown platform {info.platform}: declare it with SourceInfo.platform_spec")
    bound, _ = config.runtime(ReplayTransport(config.recordings, config.root))
    if bound is source or bound.info != info:
        raise CheckFailed("bind() must return a bound copy that keeps the same info")


async def check_parse_recordings(config: KitConfig) -> None:
    source = config.source
    parsed_any = False
    for recording in config.recordings:
        if not recording.parse:
            continue
        where = f"parse {recording.name()} (kind {recording.kind})"
        body = recording.body(config.root)
        if recording.expect is not None:
            parse_it = functools.partial(source.parse, body, kind=recording.kind, format=recording.format)
            await _expect_error(_sync(parse_it), recording.expect, where)
            continue
        try:
            parsed = source.parse(body, kind=recording.kind, format=recording.format)
        except SourceError as exc:
            raise CheckFailed(f"{where}: {type(exc).__name__}: {exc}") from exc
        except Exception as exc:
            raise CheckFailed(f"{where}: a raw {type(exc).__name__} left parse(): {exc}") from exc
        validate_parsed(parsed, recording.kind, config, where)
        parsed_any = True
    if not parsed_any:
        raise CheckFailed("no recording parsed: give the kit at least one real document")


def _sync(function: Callable[[], object]) -> Callable[[], Awaitable[object]]:
    async def call() -> object:
        return function()

    return call


async def check_replay(config: KitConfig) -> None:
    """Every call against the recordings: right results, right errors, no unrecorded or unused requests."""
    transport = ReplayTransport(config.recordings, config.root)
    source, _ = config.runtime(transport)
    started = time.perf_counter()
    with no_sockets() as attempts:
        for call, recordings in config.calls().items():
            expected = next((r.expect for r in recordings if r.expect is not None), None)
            if expected is not None:
                await _expect_error(functools.partial(perform, source, call), expected, call)
                continue
            try:
                result = await perform(source, call)
            except SourceError as exc:
                hint = f"\n{_unmatched(transport)}" if transport.unmatched else ""
                raise CheckFailed(f"{call}: {type(exc).__name__}: {exc}{hint}") from exc
            except CheckFailed:
                raise
            except Exception as exc:
                raise CheckFailed(f"{call}: a raw {type(exc).__name__} left the source: {exc}") from exc
            validate_result(result, call, config)
    if attempts:
        raise CheckFailed(f"the source tried to reach the network: {attempts}")
    if transport.unmatched:
        raise CheckFailed(_unmatched(transport))
    unused = [r for r in transport.unused() if not r.unused_reason]
    if unused:
        raise CheckFailed(
            "recordings never requested (give each a call that uses it, or an unused_reason): "
            + ", ".join(f"{r.name()} ({r.request})" for r in unused)
        )
    for recording in config.recordings:
        if recording.call is None and not (recording.unused_reason or "").strip():
            raise CheckFailed(f"{recording.name()} has no call and no unused_reason")
    if time.perf_counter() - started > 30:
        raise CheckFailed(
            "replaying took more than 30 s of real time: does the source sleep on the real clock?"
        )


async def check_no_network(config: KitConfig) -> None:
    """With a mock transport, nothing may open a socket: not the source, not a client of its own."""
    transport = ReplayTransport(config.recordings, config.root)
    source, _ = config.runtime(transport)
    with no_sockets() as attempts:
        for call in config.calls():
            with contextlib.suppress(SourceError, CheckFailed):
                await perform(source, call)
        with contextlib.suppress(SourceError):
            await source.ping()
    if attempts:
        raise CheckFailed(f"the source opened network connections despite the mock transport: {attempts}")


ERROR_ANSWERS: tuple[tuple[str, int, dict[str, str], bytes, type[SourceError]], ...] = (
    ("404", 404, {"content-type": "text/plain"}, b"Not Found", NotFound),
    ("429 with Retry-After", 429, {"retry-after": "1"}, b"Too Many Requests", RateLimited),
    ("500", 500, {}, b"Internal Server Error", Unavailable),
    ("503", 503, {}, b"Service Unavailable", Unavailable),
    ("Cloudflare challenge (403)", 403, {"content-type": "text/html"}, CLOUDFLARE_CHALLENGE, Blocked),
    ("Cloudflare challenge (503)", 503, {"content-type": "text/html"}, CLOUDFLARE_CHALLENGE, Blocked),
    ("challenge with 200", 200, {"content-type": "text/html"}, CLOUDFLARE_CHALLENGE, Blocked),
)


def _same_answer(answer: httpx.Response, request: httpx.Request) -> httpx.Response:
    return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


async def check_error_mapping(config: KitConfig) -> None:
    pid = config.sample_pid()
    for label, status, headers, body, expected in ERROR_ANSWERS:
        answer = httpx.Response(status, headers=headers, content=body)
        transport = httpx.MockTransport(functools.partial(_same_answer, answer))
        source, _ = config.runtime(transport, overrides=FAST_FAILURE)
        error = await _expect_error(
            functools.partial(source.fetch, pid, frozenset()), expected, f"fetch {pid} answered {label}"
        )
        if expected is RateLimited and getattr(error, "retry_after", None) is None:
            raise CheckFailed(f"{label}: RateLimited must carry the server's retry_after")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"\x00\x01 not a document"))
    source, _ = config.runtime(transport, overrides=FAST_FAILURE)
    await _expect_error(lambda: source.fetch(pid, frozenset()), SourceError, f"fetch {pid} answered garbage")


async def check_timeouts(config: KitConfig) -> None:
    pid = config.sample_pid()
    clock = VirtualClock()

    async def silent(request: httpx.Request) -> httpx.Response:
        await anyio.Event().wait()
        raise AssertionError("unreachable")

    source, runtime = config.runtime(httpx.MockTransport(silent), clock=clock, overrides=FAST_FAILURE)
    await _expect_error(
        lambda: source.fetch(pid, frozenset()), Unavailable, f"fetch {pid} from a silent server"
    )
    client = runtime.existing(source.info.id)
    if client is None:
        raise CheckFailed("the source did not use the runtime's HTTP client")
    policy = client.policy
    bound = (policy.max_retries + 1) * policy.total_timeout + policy.max_retries * policy.backoff_max + 1
    if clock.monotonic() > bound * 4:  # a fetch may make a few requests in sequence
        raise CheckFailed(
            f"gave up after {clock.monotonic():.1f}s (virtual); the timeouts allow {bound:.1f}s"
        )


def _max_in_window(times: list[float], period: float) -> int:
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - period + 1e-9:
            start += 1
        best = max(best, end - start + 1)
    return best


def _id_pattern(info: SourceInfo) -> re.Pattern[str] | None:
    """A built-in platform's id pattern, or the one the source declares for its own platform."""
    spec = info.platform_spec
    return spec.id_pattern if spec is not None else ID_PATTERNS.get(info.platform)


def _fabricated_pids(config: KitConfig, count: int) -> list[PlatformId]:
    platform = config.source.info.platform
    pattern = _id_pattern(config.source.info)
    pids = []
    for n in range(1, count + 1):
        for candidate in (str(n), f"kit-{n}", f"kit{n}"):
            if pattern is not None and pattern.fullmatch(candidate):
                pids.append(PlatformId(platform, candidate))
                break
    return pids


async def check_rate_limits(config: KitConfig) -> None:
    clock = VirtualClock()
    answer = config.sample_body()
    body = answer.body(config.root)
    sent: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(clock.monotonic())
        return httpx.Response(answer.status, headers=answer.headers, content=body)

    source, runtime = config.runtime(httpx.MockTransport(handler), clock=clock)
    limits = source.info.rate_limits
    burst = max(10, min(300, 2 * max(r.requests for r in limits) + 1))
    async with anyio.create_task_group() as tg:
        for pid in _fabricated_pids(config, burst):

            async def one(pid: PlatformId = pid) -> None:
                with contextlib.suppress(SourceError):
                    await source.fetch(pid, frozenset())

            tg.start_soon(one)
    client = runtime.existing(source.info.id)
    if client is None or not sent:
        raise CheckFailed("the source did not send its requests through the runtime's HTTP client")
    # what the source declares must hold, and so must whatever its HTTP policy adds
    for limit in dict.fromkeys((*limits, *client.policy.rate_limits)):
        most = _max_in_window(sent, limit.per_seconds)
        if most > limit.requests:
            raise CheckFailed(f"{most} requests within {limit.per_seconds:g}s; the limit is {limit}")


async def check_cancellation(config: KitConfig) -> None:
    call = config.sample_call()
    entered = anyio.Event()
    release = anyio.Event()
    transport = ReplayTransport(config.recordings, config.root)

    async def gated(request: httpx.Request) -> httpx.Response:
        if not release.is_set():
            entered.set()
            await release.wait()
        return await transport.handle_async_request(request)

    source, runtime = config.runtime(httpx.MockTransport(gated))
    leaked: list[BaseException] = []

    async def attempt() -> None:
        try:
            await perform(source, call)
        except SourceError:
            pass  # a typed answer is fine; what matters is what happens after the cancellation
        except Exception as exc:  # noqa: BLE001 - reported below
            leaked.append(exc)

    with anyio.move_on_after(5):  # real seconds: only reached if the source never sends a request
        async with anyio.create_task_group() as tg:
            tg.start_soon(attempt)
            tg.start_soon(attempt)
            await entered.wait()
            tg.cancel_scope.cancel()
    if leaked:
        raise CheckFailed(f"a raw {type(leaked[0]).__name__} left the source: {leaked[0]}")
    if not entered.is_set():
        raise CheckFailed(f"{call} never reached the transport")
    release.set()
    client = runtime.existing(source.info.id)
    if client is not None:
        state = client.state()
        if state["in_flight"]:
            raise CheckFailed(f"{state['in_flight']} request(s) still marked in flight after cancellation")
        if state["breaker"]["consecutive_failures"]:
            raise CheckFailed("cancellation was counted as a failure of the platform")
    try:
        with anyio.fail_after(10):
            result = await perform(source, call)
    except TimeoutError as exc:
        raise CheckFailed(
            "after a cancelled call the source hangs (a lock or slot was not released)"
        ) from exc
    except SourceError as exc:
        raise CheckFailed(f"after a cancelled call the source fails: {type(exc).__name__}: {exc}") from exc
    validate_result(result, call, config)


async def check_ping(config: KitConfig) -> None:
    transport = ReplayTransport(config.recordings, config.root)
    source, _ = config.runtime(transport)
    try:
        await source.ping()
    except SourceError as exc:
        hint = f"\n{_unmatched(transport)}" if transport.unmatched else ""
        raise CheckFailed(f"ping() failed: {type(exc).__name__}: {exc}{hint}") from exc
    if transport.unmatched:
        raise CheckFailed(f"ping() made unrecorded requests\n{_unmatched(transport)}")


CACHED_AGE = 60.0  # seconds between the two calls of the cache check (virtual)


async def check_cache(config: KitConfig) -> None:
    """Given a response cache, a repeated call is answered from it: no request goes out again, and a
    fetched record says so (``SourceRecord.cache`` with its age, ``fetched_at`` when it was stored). The
    repeat runs in a second runtime sharing the cache, as another process would: the answers themselves
    must be reusable, not only the record this runtime keeps parsed; a third call in the first runtime
    (its kept record) must say the same."""
    call = config.sample_call()
    clock = VirtualClock()
    transport = ReplayTransport(config.recordings, config.root)
    cache = MemoryCache(clock)
    source, runtime = config.runtime(transport, clock=clock, cache=cache)
    first = await perform(source, call)
    client = runtime.existing(source.info.id)
    if client is not None and not client.policy.cacheable:
        return  # the source says its answers must always be live
    sent = len(transport.requests)
    clock.advance(CACHED_AGE)
    other, _ = config.runtime(transport, clock=clock, cache=cache)
    second = await perform(other, call)
    kept = await perform(source, call)
    again = transport.requests[sent:]
    if again:
        raise CheckFailed(
            f"{call} repeated went upstream again ({', '.join(str(r.url) for r in again)}): make requests "
            "the cache can recognise (no timestamps or random values), or set HttpPolicy(cacheable=False)"
        )
    if not isinstance(first, SourceRecord) or not isinstance(second, SourceRecord):
        return  # fetch_many: its records do not say how they were served
    if first.cache is not None:
        raise CheckFailed(f"{call}: the first, live record says it came from the cache: {first.cache}")
    if second.cache is None or second.cache.age_seconds != CACHED_AGE or second.cache.stale:
        raise CheckFailed(
            f"{call}: the repeat came from the cache but the record says {second.cache!r}, not "
            f"CacheInfo(age_seconds={CACHED_AGE:g}, stale=False): did fetch() bypass HttpSource.fetch?"
        )
    stored_at = clock.now() - dt.timedelta(seconds=CACHED_AGE)
    if second.fetched_at != stored_at:
        raise CheckFailed(f"{call}: a cached record's fetched_at must be when it was stored ({stored_at})")
    if attrs.evolve(second, cache=None, fetched_at=first.fetched_at) != first:
        raise CheckFailed(f"{call}: the record from the cache differs from the live one")
    if kept != second:
        raise CheckFailed(f"{call}: the record kept parsed differs from the one the cache gives: {kept!r}")


async def check_credentials(config: KitConfig) -> None:
    required = [c.env for c in config.source.info.credentials if c.required]
    if not required:
        return
    transport = ReplayTransport(config.recordings, config.root)
    env = {k: v for k, v in config.env.items() if k not in required}
    source, _ = config.runtime(transport, env=env)
    await _expect_error(source.ping, AuthRequired, f"ping() without {', '.join(required)}")
    await _expect_error(
        lambda: source.fetch(config.sample_pid(), frozenset()),
        AuthRequired,
        f"fetch without {', '.join(required)}",
    )
    if transport.requests:
        raise CheckFailed(f"sent {len(transport.requests)} request(s) without the required credentials")


CHECKS: dict[str, Callable[[KitConfig], Awaitable[None]]] = {
    "metadata": check_metadata,
    "parse_recordings": check_parse_recordings,
    "replay": check_replay,
    "error_mapping": check_error_mapping,
    "timeouts": check_timeouts,
    "rate_limits": check_rate_limits,
    "no_network": check_no_network,
    "cancellation": check_cancellation,
    "ping": check_ping,
    "credentials": check_credentials,
    "cache": check_cache,
}
