"""Source port: one anime platform that answers live questions, declared rather than guessed.

A source says what it is (``SourceInfo``: id, platform, kind, the fields it can fill, its default rate
limits, the credentials it needs, its optional capabilities, the document formats its parser reads and, for
a platform anime-mcp does not know, that platform's ``PlatformSpec``) and
answers ``fetch``, ``search``, ``ping`` and ``parse``. Optional capabilities are separate protocols
(``SeasonLister``, ``ScheduleProvider``, ``EpisodeLister``) that a source implements *and* names in
``info.capabilities``; callers check the declaration, never ``hasattr``.

Sources are registered unbound (the ``register_sources`` hook runs at start-up, before any I/O exists);
the composition root hands each one a ``SourceRuntime`` (HTTP client, clock, environment) with ``bind``,
which returns a bound copy. Every failure a source reports is a ``SourceError`` subclass.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any, Protocol, runtime_checkable

import attrs
from attrs import field, frozen

from anime_mcp.core.models import Season
from anime_mcp.core.platforms import Platform, PlatformId, PlatformSpec
from anime_mcp.core.schedule import AiringSlot, AirKind
from anime_mcp.core.sources import Episode, Page, SearchCandidate, SourceRecord
from anime_mcp.ports.clock import Clock


class SourceKind(enum.StrEnum):
    API = "api"  # a documented API answering JSON or XML
    SCRAPE = "scrape"  # HTML pages meant for browsers


class Capability(enum.StrEnum):
    """What a source can do besides ``fetch`` and ``ping``."""

    SEARCH = "search"  # search(title) -> candidates
    SEASON = "season"  # SeasonLister: the anime of one season
    SCHEDULE = "schedule"  # ScheduleProvider: airing times (weekly timetables, daily schedules)
    EPISODES = "episodes"  # EpisodeLister: the episode list of one anime
    BATCH = "batch"  # BatchFetcher: several anime in one request (ANN's encyclopedia API)


# Field names a source may declare, and the names a ``SourceRecord.fields`` may contain: every data
# attribute of ``SourceRecord`` (derived, so additions to the record are known at once), plus richer data
# that capabilities or later record versions carry.
_NOT_DATA = frozenset({"platform_id", "url", "fetched_at", "fields", "cache"})  # about the record
RECORD_FIELDS = frozenset(a.name for a in attrs.fields(SourceRecord) if a.name not in _NOT_DATA)
# What the detail page of every anime platform gives; a source declares these plus its own extras.
ESSENTIAL_FIELDS = frozenset(
    {"title", "titles", "type", "episodes", "status", "start_date", "season", "year", "score"}
    | {"synopsis", "picture", "duration_seconds"}
)
KNOWN_FIELDS = RECORD_FIELDS | frozenset(
    {
        "characters",
        "staff",
        "schedule",
        "reviews",
        "recommendations",
        "pictures",
        "news",
        "episode_list",
    }
)

_SOURCE_ID = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_FORMAT = re.compile(r"[a-z0-9][a-z0-9.+-]*")


def _check_source_id(_: object, __: object, value: str) -> None:
    if not _SOURCE_ID.fullmatch(value):
        raise ValueError(f"source id {value!r} must match {_SOURCE_ID.pattern}")


@frozen
class RateLimit:
    """At most ``requests`` requests in any window of ``per_seconds`` seconds."""

    requests: int
    per_seconds: float

    def __attrs_post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError(f"a rate limit needs requests >= 1 and per_seconds > 0, not {self}")

    def __str__(self) -> str:
        per = f"{self.per_seconds:g}s"
        return f"{self.requests}/{per}"


@frozen
class Credential:
    """One setting a source reads from the environment (API key, client id, bearer token)."""

    env: str
    description: str
    required: bool = True

    def __attrs_post_init__(self) -> None:
        if not _ENV_NAME.fullmatch(self.env):
            raise ValueError(f"credential environment variable {self.env!r} must be UPPER_SNAKE_CASE")


def _frozenset_of_str(values: Iterable[str] | str) -> frozenset[str]:
    if isinstance(values, str):
        return frozenset((values,))
    return frozenset(str(v) for v in values)


def _capabilities(values: Iterable[str]) -> frozenset[Capability]:
    return frozenset(Capability(v) for v in values)


def _rate_limits(values: Iterable[RateLimit]) -> tuple[RateLimit, ...]:
    return tuple(values)


def _credentials(values: Iterable[Credential]) -> tuple[Credential, ...]:
    return tuple(values)


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return (values,) if isinstance(values, str) else tuple(values)


@frozen
class SourceInfo:
    """What a source declares about itself, so the planner need not guess."""

    id: str = field(validator=_check_source_id)
    platform: Platform = field(converter=Platform)
    kind: SourceKind = field(converter=SourceKind)
    fields: frozenset[str] = field(converter=_frozenset_of_str)
    name: str = ""
    homepage: str = ""
    rate_limits: tuple[RateLimit, ...] = field(default=(), converter=_rate_limits)
    credentials: tuple[Credential, ...] = field(default=(), converter=_credentials)
    capabilities: frozenset[Capability] = field(default=frozenset(), converter=_capabilities)
    formats: tuple[str, ...] = field(default=(), converter=_strings)  # what ``parse`` reads, e.g. "jikan-v4"
    kinds: tuple[str, ...] = field(default=("anime",), converter=_strings)  # document kinds ``parse`` reads
    # A platform anime-mcp does not know yet (``core.platforms.BUILTIN_PLATFORMS``): its id syntax, page
    # URLs and aliases, so references to it (``animeflix:42``, its page URLs) resolve once the plugin loads.
    platform_spec: PlatformSpec | None = None

    def __attrs_post_init__(self) -> None:
        if not self.fields:
            raise ValueError(f"source {self.id!r} declares no fields")
        if self.platform_spec is not None and self.platform_spec.id != self.platform:
            raise ValueError(
                f"source {self.id!r}: platform_spec describes {self.platform_spec.id}, not {self.platform}"
            )
        unknown = self.fields - KNOWN_FIELDS
        if unknown:
            raise ValueError(f"source {self.id!r} declares unknown fields {sorted(unknown)}")
        for fmt in self.formats:
            if not _FORMAT.fullmatch(fmt):
                raise ValueError(f"source {self.id!r}: format name {fmt!r} must match {_FORMAT.pattern}")

    def supports(self, capability: Capability | str) -> bool:
        return Capability(capability) in self.capabilities

    def missing_credentials(self, environ: Mapping[str, str]) -> list[str]:
        """Required credentials not set (empty values count as unset)."""
        return [c.env for c in self.credentials if c.required and not environ.get(c.env)]


# What ``Source.parse`` returns: one record for a detail document, candidates for a search or season list,
# a ``Page`` of episodes, airing slots for a schedule, credits for characters/staff documents.
ParsedDocument = SourceRecord | Page[Any] | Sequence[Any]


class SourceRuntime(Protocol):
    """What a bound source does I/O with. The HTTP side is the adapters' concern (see adapters/http)."""

    clock: Clock
    env: Mapping[str, str]


@runtime_checkable
class Source(Protocol):
    """One anime platform that can answer live questions about an anime."""

    info: SourceInfo

    def bind(self, runtime: SourceRuntime) -> Source:
        """A copy of this source that does its I/O through ``runtime``."""
        ...

    async def fetch(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord:
        """The record for one anime; ``fields`` says what the caller needs (empty: the default set)."""
        ...

    async def search(self, title: str, *, limit: int = 10) -> list[SearchCandidate]:
        """Candidates for a title (only when ``info`` declares ``Capability.SEARCH``)."""
        ...

    async def ping(self) -> None:
        """Return when the source can answer; raise the ``SourceError`` that says why not."""
        ...

    def parse(self, document: bytes, *, kind: str = "anime", format: str | None = None) -> ParsedDocument:
        """Parse one saved response of this platform (format recognised when not given). Pure: no I/O."""
        ...


@runtime_checkable
class RemembersRecords(Protocol):
    def remembered(self, pid: PlatformId, fields: Set[str] = frozenset()) -> SourceRecord | None:
        """What ``fetch`` would answer right now without any I/O (its parsed answer kept while the answers
        behind it are fresh in the cache, with its age), or None. Lets a repeat skip the fan-out's tasks."""
        ...


@runtime_checkable
class SeasonLister(Protocol):
    async def season(self, year: int, season: Season, *, limit: int = 100) -> list[SearchCandidate]:
        """The anime of one season, as the platform lists them."""
        ...


@runtime_checkable
class ScheduleProvider(Protocol):
    async def schedule(self, *, day: dt.date | None = None, kind: AirKind = AirKind.SUB) -> list[AiringSlot]:
        """Airings in the week containing ``day`` (default: today), in one version where the site says."""
        ...


@runtime_checkable
class BatchFetcher(Protocol):
    async def fetch_many(
        self, pids: Sequence[PlatformId], fields: Set[str] = frozenset()
    ) -> dict[PlatformId, SourceRecord]:
        """Records of several anime in as few requests as the platform allows; unknown ids are absent."""
        ...


@runtime_checkable
class EpisodeLister(Protocol):
    async def episodes(self, pid: PlatformId, *, limit: int = 500) -> list[Episode]:
        """The episode list of one anime, following the platform's pagination up to ``limit`` episodes."""
        ...
