"""The one settings object: every knob of anime-mcp, read once, checked strictly, frozen.

Precedence, highest first: command-line flags, environment variables, ``$ANIME_MCP_HOME/config.toml``,
defaults. A misspelt table or key in config.toml, or a value of the wrong kind anywhere, stops start-up with
a ``ConfigError`` naming it. Only ``bootstrap`` turns these values into adapters.

=================================  ============================  =============================================
environment                        config.toml                   meaning
=================================  ============================  =============================================
``ANIME_MCP_HOME``                 (none)                        store, index, models, downloads, config.toml
``ANIME_MCP_CATALOGUE``            ``[catalogue] source``        catalogue file or URL for ``ingest``
(none)                             ``[catalogue] url``           the upstream release URL
``ANIME_MCP_UPDATE_EVERY``         ``[catalogue] update_every``  hours between catalogue updates inside
                                                                 ``serve`` (unset or 0: never)
(none)                             ``[catalogue] max_drop``      share of entries a release may lose (0.1)
(none)                             ``[catalogue] must_keep``     anime a release must still have (``mal:1535``
                                                                 ...; default: five well-known ones)
``ANIME_MCP_LOG_FORMAT``           ``[log] format``              ``console`` or ``json`` (stderr)
``ANIME_MCP_LOG_LEVEL``            ``[log] level``               ``warning`` by default
``ANIME_MCP_MODEL``                ``[search] model``            model folder, or a name under ``home/models``
``ANIME_MCP_IMAGE_MODEL``          ``[search] image_model``      CLIP model folder (or a name under
                                                                 ``home/models``) of image search; unset: off
``ANIME_MCP_QDRANT_URL``           ``[search] qdrant_url``       a Qdrant server instead of ``home/index``
``ANIME_MCP_QDRANT_API_KEY``       ``[search] qdrant_api_key``   its API key
``ANIME_MCP_QDRANT_ALIAS``         ``[search] qdrant_alias``     collection alias on the server (``anime``)
``ANIME_MCP_EMBED_THREADS``        ``[search] embed_threads``    CPU threads for embedding (cores, <= 8)
``ANIME_MCP_HF_ENDPOINT``          ``[search] hub_url``          Hugging Face hub (or mirror) ``models install
                                                                 NAME`` downloads from
(none)                             ``[search] exact``,           brute-force dense search; HNSW settings
                                   ``hnsw_m``, ``hnsw_ef``,
                                   ``hnsw_ef_construct``
``ANIME_MCP_ADMIN_TOKEN``          ``[serve] admin_token``       bearer token of ``/api/admin/*``
``ANIME_MCP_MAX_BODY_BYTES``       ``[serve] max_body_bytes``    largest request body (1 MiB)
``ANIME_MCP_MAX_IMAGE_BODY_BYTES`` ``[serve] max_image_body_bytes`` largest body of the requests that take a
                                                                 picture (search_by_image, search_anime,
                                                                 /api/query): 28 MiB, 20 MiB in base64
``ANIME_MCP_WORKERS``              ``[serve] workers``           threads running searches and lookups (4)
``ANIME_MCP_ANSWER_CACHE``         ``[serve] answer_cache``      offline answers remembered per process and
                                                                 tool (query_anime, search_anime: 1024 each;
                                                                 ``0``: none)
``ANIME_MCP_TRACING``              ``[serve] tracing``           ``off``, ``console`` or ``otlp``
``ANIME_MCP_WARM_UP``              ``[serve] warm_up``           ``0``: no model/index loading at start-up
``ANIME_MCP_SEARCH_PROCESS``       ``[serve] search_process``    ``0``: ``anime-mcp mcp`` loads the model and
                                                                 the index itself, not in processes beside it
``ANIME_MCP_DEADLINE``             ``[serve] deadline``          seconds live sources get per question (3)
``ANIME_MCP_TIMEZONE``             ``[serve] timezone``          IANA timezone of schedules when a call names
                                                                 none (``UTC``)
``ANIME_MCP_API_KEYS``             ``[serve] api_keys``          REST/MCP API keys by client name (TOML table
                                                                 ``{name = "key"}``, env ``name:key,...``)
``ANIME_MCP_API_KEYS_FILE``        ``[serve] api_keys_file``     file of ``name:key`` lines (``#`` comments)
``ANIME_MCP_API_KEY_RATE``         ``[serve] api_key_rate``      requests per minute per key (unset: no limit)
``ANIME_MCP_ALLOW_UNAUTHENTICATED`` ``[serve] allow_unauthenticated`` serve without keys on a non-loopback
                                                                 address (refused by default)
``ANIME_MCP_CORS_ORIGINS``         ``[serve] cors_origins``      browser origins allowed by CORS (none: off)
``ANIME_MCP_PREWARM``              ``[serve] prewarm``           ``1``: at quiet times, fetch the season's and
                                                                 the most-asked anime into the caches (off)
``ANIME_MCP_PREWARM_QUIET``        ``[serve] prewarm_quiet``     seconds without a request that count as
                                                                 quiet (60)
``ANIME_MCP_PREWARM_EVERY``        ``[serve] prewarm_every``     minutes between pre-warming rounds (60)
(none)                             ``[serve] prewarm_share``     share of each source's budget pre-warming
                                                                 may use (0.5; the rest stays for users)
(none)                             ``[serve] prewarm_top``       most-asked anime counted and pre-warmed (50)
``ANIME_MCP_LOAD_PLUGINS``         ``[plugins] load``            allow-list of plugin names (empty: none)
``ANIME_MCP_DISABLE_PLUGINS``      ``[plugins] disable``         block-list of plugin names
``ANIME_MCP_TRACE_PLUGINS``        ``[plugins] trace``           log registrations and hook calls to stderr
``ANIME_MCP_EMBEDDER``             ``[plugins] embedder``        embedder provider by name (``onnx-text``)
``ANIME_MCP_INDEX``                ``[plugins] index``           vector index provider by name (default: the
                                                                 one that accepts the location)
``ANIME_MCP_PLANNER``              ``[plugins] planner``         planner plugins to ask, in order (default:
                                                                 none, the deterministic planner alone)
``ANIME_MCP_PLANNER_TIMEOUT``      ``[plugins] planner_timeout`` seconds a planner plugin gets (2)
``ANIME_MCP_CACHE_L1_ENTRIES``     ``[cache] l1_entries``        in-process cache: most entries (10000)
``ANIME_MCP_CACHE_L1_BYTES``       ``[cache] l1_bytes``          in-process cache: most bytes (64 MiB)
``ANIME_MCP_REDIS_URL``            ``[cache] redis_url``         shared Redis: L2 cache, rate-limit budgets,
                                                                 in-flight requests (unset: this process only)
``ANIME_MCP_CACHE_NAMESPACE``      ``[cache] namespace``         prefix of every Redis key (deployments that
                                                                 share one Redis but not their answers)
(none)                             ``[cache] ttl_metadata``,     freshness of cached answers: metadata (days,
                                   ``ttl_streaming``,            3), streaming links (hours, 6), schedules and
                                   ``ttl_schedule``,             airing (minutes, 15), not found (days, 1);
                                   ``ttl_not_found``,            stale answers kept for errors (days, 7)
                                   ``stale_grace``
(none)                             ``[sources.<id>]``            HTTP settings of one source (``HttpPolicy``)
``ANIME_MCP_REPLAY``               ``[replay] dir``              live sources answer from this recordings
                                                                 folder, never the network
``ANIME_MCP_RECORD``               ``[replay] record``           live answers are also written to this folder
``ANIME_MCP_REPLAY_LATENCY``       ``[replay] latency``          seconds every replayed answer takes (0)
``ANIME_MCP_REPLAY_LOG``           ``[replay] log``              file that gets one JSON line per replayed
                                                                 request (counts upstream requests)
``ANIME_MCP_REPLAY_FAULTS``        ``[replay] faults``           share of replayed requests that fail, by kind
                                                                 (``503:0.1,429:0.05,timeout:0.05,reset:0.02``)
``ANIME_MCP_REPLAY_FAULT_SEED``    ``[replay] fault_seed``       seed of the injected faults (0)
=================================  ============================  =============================================
"""

from __future__ import annotations

import os
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from attrs import Factory, field, frozen

from anime_mcp.core.catalogue_update import DEFAULT_MUST_KEEP
from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.platforms import PlatformId
from anime_mcp.core.references import IdReference, parse_reference
from anime_mcp.ports.vector_index import HnswSettings

UPSTREAM_CATALOGUE_URL = (
    "https://github.com/cedya77/anime-offline-database/releases/download/latest/"
    "anime-offline-database.jsonl.zst"
)
DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_HUB_URL = "https://huggingface.co"
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_MAX_IMAGE_BODY = 28 * 1024 * 1024  # the decoder's 20 MiB picture cap, base64 (4/3) and its JSON
DEFAULT_WORKERS = 4
DEFAULT_ANSWER_CACHE = 1024
DEFAULT_DEADLINE = 3.0
DEFAULT_PLANNER_TIMEOUT = 2.0  # seconds a planner plugin gets before the deterministic plan answers
DAY = 86400.0


class ConfigError(AnimeMcpError):
    """The configuration file, an environment variable or a flag has an unusable value."""


N = TypeVar("N", int, float)


# --- value checks: each takes the raw value (TOML value or environment string) and the setting's name ---


def _number(value: object, name: str, convert: Callable[[str], N], what: str) -> N:
    """``value`` (TOML or an environment string) read by ``convert``; booleans and junk name ``what``."""
    if isinstance(value, bool):
        raise ConfigError(f"{name} must be {what}, not {value!r}")
    try:
        return convert(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be {what}, not {value!r}") from None


def positive_int(value: object, name: str) -> int:
    """A setting that must be a whole number above zero, from TOML or from an environment string."""
    number = _number(value, name, int, "a whole number")
    if number <= 0:
        raise ConfigError(f"{name} must be positive, not {number}")
    return number


def _whole(value: object, name: str) -> int:
    """A whole number >= 0 (a seed)."""
    number = _number(value, name, int, "a whole number")
    if number < 0:
        raise ConfigError(f"{name} must be 0 or more, not {number}")
    return number


def _seconds(value: object, name: str) -> float:
    """A positive number of seconds (at most an hour), from TOML or an environment string."""
    seconds = _number(value, name, float, "a number of seconds")
    if not 0 < seconds <= 3600:
        raise ConfigError(f"{name} must be above 0 and at most 3600 seconds, not {value!r}")
    return seconds


def _non_negative_number(value: object, name: str) -> float:
    """A setting that is a number >= 0 (a whole or decimal number in TOML or the environment)."""
    number = _number(value, name, float, "a number")
    if not number >= 0 or number == float("inf"):
        raise ConfigError(f"{name} must be a finite number >= 0, not {value!r}")
    return number


def _text(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, not {value!r}")
    return value


def _path(value: object, name: str) -> Path:
    text = _text(value, name).strip()
    if not text:
        raise ConfigError(f"{name} must name a folder, not an empty string")
    return Path(text).expanduser()


def _flag(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false (1/0), not {value!r}")


def _names(value: object, name: str) -> frozenset[str]:
    """A comma-separated string (environment) or a list of strings (TOML)."""
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return frozenset(item.strip() for item in value if item.strip())
    raise ConfigError(f"{name} must be a list of names (or a comma-separated string), not {value!r}")


def _timezone(value: object, name: str) -> str:
    """An IANA timezone name the standard library knows (``Europe/Berlin``, ``UTC``)."""
    text = _text(value, name).strip()
    try:
        zoneinfo.ZoneInfo(text)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        raise ConfigError(
            f"{name} must be an IANA timezone name such as Europe/Berlin, not {value!r}"
        ) from None
    return text


def _ordered_names(value: object, name: str) -> tuple[str, ...]:
    """Like ``_names``, in the order given (first wins), without repeats."""
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(dict.fromkeys(item.strip() for item in value if item.strip()))
    raise ConfigError(f"{name} must be a list of names (or a comma-separated string), not {value!r}")


def _choice(*allowed: str) -> Callable[[object, str], str]:
    def check(value: object, name: str) -> str:
        text = _text(value, name).lower()
        if text not in allowed:
            raise ConfigError(f"{name} must be {' or '.join(allowed)}, not {value!r}")
        return text

    return check


# Shorter keys are guessable. Make one with: python -c "import secrets; print(secrets.token_urlsafe(24))"
MIN_API_KEY_CHARS = 16


def _key_pairs(pairs: Iterable[tuple[object, object]], name: str) -> tuple[tuple[str, str], ...]:
    found: dict[str, str] = {}
    for client, key in pairs:
        if not isinstance(client, str) or not client.strip() or not isinstance(key, str):
            raise ConfigError(f"{name}: each API key needs a client name and a key (name:key)")
        if len(key.strip()) < MIN_API_KEY_CHARS:
            raise ConfigError(
                f"{name}: the key of {client.strip()!r} is shorter than {MIN_API_KEY_CHARS} characters"
            )
        if key.strip() in found.values():
            raise ConfigError(f"{name}: two clients share the key of {client.strip()!r}")
        found[client.strip()] = key.strip()
    return tuple(found.items())


def _api_keys(value: object, name: str) -> tuple[tuple[str, str], ...]:
    """API keys by client name: a TOML table ``{alice = "key"}`` or ``alice:key,bob:key`` (environment)."""
    if isinstance(value, dict):
        return _key_pairs(value.items(), name)
    if isinstance(value, str):
        pairs = [part.strip().partition(":") for part in value.split(",") if part.strip()]
        return _key_pairs(((client, key if sep else None) for client, sep, key in pairs), name)
    raise ConfigError(
        f"{name} must be a table of client names to keys (or name:key,... text), not a {type(value).__name__}"
    )


def read_api_keys_file(path: Path) -> tuple[tuple[str, str], ...]:
    """``name:key`` lines (blank lines and ``#`` comments ignored) of ``[serve] api_keys_file``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"[serve] api_keys_file: cannot read {path}: {exc.strerror}") from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    pairs = [line.partition(":") for line in lines]
    return _key_pairs(((client, key if sep else None) for client, sep, key in pairs), f"{path}")


def _share(value: object, name: str) -> float:
    share = _number(value, name, float, "a share between 0 and 1")
    if not 0 <= share <= 1:
        raise ConfigError(f"{name} must be a share between 0 and 1 (0.1 is 10%), not {value!r}")
    return share


def _platform_ids(value: object, name: str) -> tuple[PlatformId, ...]:
    """Anime named by platform id (``mal:1535``, a page URL)."""
    found = []
    for text in _ordered_names(value, name):
        reference = parse_reference(text) if text else None
        if not isinstance(reference, IdReference):
            raise ConfigError(f"{name}: {text!r} is not a platform id such as mal:1535")
        found.append(reference.platform_id)
    return tuple(found)


# --- the sections -------------------------------------------------------------------------------------


@frozen
class CatalogueSettings:
    source: str | None = None  # a path or URL chosen by env or config; None means ``url``
    url: str = UPSTREAM_CATALOGUE_URL
    update_every: float | None = None  # hours between updates inside ``serve``; None: never
    max_drop: float = 0.1
    must_keep: tuple[PlatformId, ...] = DEFAULT_MUST_KEEP

    @property
    def location(self) -> str:
        return self.source or self.url


@frozen
class LogSettings:
    format: str = "console"  # "console" or "json"
    level: str = "warning"


@frozen
class SearchSettings:
    home: Path
    model: str | None = None
    image_model: str | None = None  # the CLIP model of image search (None: image search is off)
    qdrant_url: str | None = None
    qdrant_api_key: str | None = None
    qdrant_alias: str = "anime"
    embed_threads: int | None = None
    hnsw: HnswSettings = field(factory=HnswSettings)
    hub_url: str = DEFAULT_HUB_URL  # where `models install NAME` downloads (files at <repo>/resolve/<rev>/)

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    @property
    def index_location(self) -> str:
        return self.qdrant_url or str(self.home / "index")

    @property
    def index_options(self) -> dict[str, str]:
        options = {"alias": self.qdrant_alias}
        if self.qdrant_api_key:
            options["api_key"] = self.qdrant_api_key
        return options


@frozen
class ServeSettings:
    admin_token: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_image_body_bytes: int = DEFAULT_MAX_IMAGE_BODY
    workers: int = DEFAULT_WORKERS
    answer_cache: int = DEFAULT_ANSWER_CACHE  # offline query answers kept (0: none): tools/answer_cache.py
    tracing: str = "off"
    warm_up: bool = True
    # `anime-mcp mcp` searches in a process beside it, started at the launch (adapters/search_link.py)
    search_process: bool = True
    deadline: float = DEFAULT_DEADLINE  # seconds the live sources get, together, to answer one question
    timezone: str = "UTC"  # IANA name: the schedule tools' timezone when a call names none
    # /mcp answers each request as a short event stream instead of one JSON body, so a call with a
    # progress token gets its progress notifications over HTTP too (stdio always gets them).
    mcp_stream: bool = False
    # Access control (entrypoints/rest/access.py): API keys by client name (none: no key asked), each key's
    # requests per minute, serving without keys off loopback, and the origins CORS allows (none: CORS off).
    api_keys: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    api_key_rate: int | None = None
    allow_unauthenticated: bool = False
    cors_origins: tuple[str, ...] = ()
    # Pre-warming (entrypoints/rest/prewarm_schedule.py): off by default; after prewarm_quiet seconds
    # without a request, at most every prewarm_every minutes, within prewarm_share of each source's budget.
    prewarm: bool = False
    prewarm_quiet: float = 60.0
    prewarm_every: float = 60.0
    prewarm_share: float = 0.5
    prewarm_top: int = 50


@frozen
class PluginSettings:
    load: frozenset[str] | None = None  # None: every installed plugin; empty: none
    disable: frozenset[str] = frozenset()
    trace: bool = False
    embedder: str | None = None  # provider names; None: the documented default
    index: str | None = None
    planner: tuple[str, ...] = ()  # planner plugins asked in this order; the first plan wins
    planner_timeout: float = DEFAULT_PLANNER_TIMEOUT  # then the deterministic plan answers


@frozen
class CacheSettings:
    """The response cache: L1 bounds, the optional Redis L2, lifetimes per kind of data (all in seconds)."""

    l1_entries: int = 10_000
    l1_bytes: int = 64 * 1024 * 1024
    redis_url: str | None = None
    namespace: str = ""  # prefix of every Redis key (replay adds its own, see bootstrap)
    ttl_metadata: float = 3 * DAY
    ttl_streaming: float = 6 * 3600.0
    ttl_schedule: float = 15 * 60.0
    ttl_not_found: float = DAY
    stale_grace: float = 7 * DAY


@frozen
class ReplaySettings:
    """Record and replay of the live sources' HTTP answers (``recordings.jsonl`` and files in a folder)."""

    dir: Path | None = None  # replay: every live source answers from this folder; nothing leaves the machine
    record: Path | None = None  # record: live answers are written into this folder as they arrive
    latency: float = 0.0  # seconds every replayed answer takes (an upstream's round trip, for benchmarks)
    log: Path | None = None  # one JSON line per replayed request (upstream counts across processes)
    faults: str = ""  # "503:0.1,timeout:0.05": a share of replayed requests fails (adapters/http/faults.py)
    fault_seed: int = 0


@frozen
class Settings:
    home: Path
    catalogue: CatalogueSettings = field(factory=CatalogueSettings)
    log: LogSettings = field(factory=LogSettings)
    search: SearchSettings = field(
        default=Factory(lambda self: SearchSettings(home=self.home), takes_self=True)
    )
    serve: ServeSettings = field(factory=ServeSettings)
    plugins: PluginSettings = field(factory=PluginSettings)
    cache: CacheSettings = field(factory=CacheSettings)
    replay: ReplaySettings = field(factory=ReplaySettings)
    # [sources.<id>] tables, checked against HttpPolicy (entrypoints/source_settings.py)
    sources: Mapping[str, Mapping[str, Any]] = field(factory=dict)

    @property
    def store_dir(self) -> Path:
        return self.home

    @property
    def download_dir(self) -> Path:
        return self.home / "downloads"

    @classmethod
    def load(
        cls, environ: Mapping[str, str] | None = None, *, flags: Mapping[str, Any] | None = None
    ) -> Settings:
        """Read the environment and config.toml once; ``flags`` are ``{"section.key": value}`` from a command
        line and win over both (``None`` values are ignored: the flag was not given)."""
        env = os.environ if environ is None else environ
        home = Path(env.get("ANIME_MCP_HOME") or _user_data_dir()).expanduser()
        config_path = home / "config.toml"
        config = read_config(config_path)
        raw = _layered(config, env, flags or {}, where=str(config_path))
        return _build(home, raw, config.get("sources", {}), where=str(config_path))


# Each table and key config.toml may hold, the environment variable that overrides it, and its check.
_KEYS: dict[str, dict[str, tuple[str | None, Callable[[object, str], Any]]]] = {
    "catalogue": {
        "source": ("ANIME_MCP_CATALOGUE", _text),
        "url": (None, _text),
        "update_every": ("ANIME_MCP_UPDATE_EVERY", _non_negative_number),  # hours
        "max_drop": (None, _share),
        "must_keep": (None, _platform_ids),
    },
    "log": {
        "format": ("ANIME_MCP_LOG_FORMAT", _choice("console", "json")),
        "level": ("ANIME_MCP_LOG_LEVEL", _choice("debug", "info", "warning", "error", "critical")),
    },
    "search": {
        "model": ("ANIME_MCP_MODEL", _text),
        "image_model": ("ANIME_MCP_IMAGE_MODEL", _text),
        "qdrant_url": ("ANIME_MCP_QDRANT_URL", _text),
        "qdrant_api_key": ("ANIME_MCP_QDRANT_API_KEY", _text),
        "qdrant_alias": ("ANIME_MCP_QDRANT_ALIAS", _text),
        "embed_threads": ("ANIME_MCP_EMBED_THREADS", positive_int),
        "hub_url": ("ANIME_MCP_HF_ENDPOINT", _text),
        "exact": (None, _flag),
        "hnsw_m": (None, positive_int),
        "hnsw_ef": (None, positive_int),
        "hnsw_ef_construct": (None, positive_int),
    },
    "serve": {
        "admin_token": ("ANIME_MCP_ADMIN_TOKEN", _text),
        "max_body_bytes": ("ANIME_MCP_MAX_BODY_BYTES", positive_int),
        "max_image_body_bytes": ("ANIME_MCP_MAX_IMAGE_BODY_BYTES", positive_int),
        "workers": ("ANIME_MCP_WORKERS", positive_int),
        "answer_cache": ("ANIME_MCP_ANSWER_CACHE", _non_negative_number),
        "tracing": ("ANIME_MCP_TRACING", _choice("off", "console", "otlp")),
        "warm_up": ("ANIME_MCP_WARM_UP", _flag),
        "search_process": ("ANIME_MCP_SEARCH_PROCESS", _flag),
        "deadline": ("ANIME_MCP_DEADLINE", _seconds),
        "timezone": ("ANIME_MCP_TIMEZONE", _timezone),
        "mcp_stream": ("ANIME_MCP_MCP_STREAM", _flag),
        "api_keys": ("ANIME_MCP_API_KEYS", _api_keys),
        "api_keys_file": ("ANIME_MCP_API_KEYS_FILE", _path),
        "api_key_rate": ("ANIME_MCP_API_KEY_RATE", positive_int),
        "allow_unauthenticated": ("ANIME_MCP_ALLOW_UNAUTHENTICATED", _flag),
        "cors_origins": ("ANIME_MCP_CORS_ORIGINS", _ordered_names),
        "prewarm": ("ANIME_MCP_PREWARM", _flag),
        "prewarm_quiet": ("ANIME_MCP_PREWARM_QUIET", _seconds),
        "prewarm_every": ("ANIME_MCP_PREWARM_EVERY", _non_negative_number),  # minutes
        "prewarm_share": (None, _share),
        "prewarm_top": (None, positive_int),
    },
    "plugins": {
        "load": ("ANIME_MCP_LOAD_PLUGINS", _names),
        "disable": ("ANIME_MCP_DISABLE_PLUGINS", _names),
        "trace": ("ANIME_MCP_TRACE_PLUGINS", _flag),
        "embedder": ("ANIME_MCP_EMBEDDER", _text),
        "index": ("ANIME_MCP_INDEX", _text),
        "planner": ("ANIME_MCP_PLANNER", _ordered_names),
        "planner_timeout": ("ANIME_MCP_PLANNER_TIMEOUT", _seconds),
    },
    "cache": {
        "l1_entries": ("ANIME_MCP_CACHE_L1_ENTRIES", positive_int),
        "l1_bytes": ("ANIME_MCP_CACHE_L1_BYTES", positive_int),
        "redis_url": ("ANIME_MCP_REDIS_URL", _text),
        "namespace": ("ANIME_MCP_CACHE_NAMESPACE", _text),
        "ttl_metadata": (None, _non_negative_number),  # days
        "ttl_streaming": (None, _non_negative_number),  # hours
        "ttl_schedule": (None, _non_negative_number),  # minutes
        "ttl_not_found": (None, _non_negative_number),  # days
        "stale_grace": (None, _non_negative_number),  # days
    },
    "replay": {
        "dir": ("ANIME_MCP_REPLAY", _path),
        "record": ("ANIME_MCP_RECORD", _path),
        "latency": ("ANIME_MCP_REPLAY_LATENCY", _non_negative_number),  # seconds
        "log": ("ANIME_MCP_REPLAY_LOG", _path),
        "faults": ("ANIME_MCP_REPLAY_FAULTS", _text),  # checked by replay_setup (adapters/http/faults.py)
        "fault_seed": ("ANIME_MCP_REPLAY_FAULT_SEED", _whole),
    },
}
# Environment variables whose empty value means something (an empty allow-list loads no plugin).
_EMPTY_MEANS_SOMETHING = {"ANIME_MCP_LOAD_PLUGINS"}


def _layered(
    config: Mapping[str, Any], env: Mapping[str, str], flags: Mapping[str, Any], *, where: str
) -> dict[str, dict[str, Any]]:
    """``{table: {key: checked value}}`` from config.toml, then the environment, then flags."""
    raw: dict[str, dict[str, Any]] = {table: {} for table in _KEYS}
    for table, values in config.items():
        if table == "sources":
            continue  # one table per source: checked against HttpPolicy in _build
        if table not in _KEYS:
            raise ConfigError(
                f"{where}: unknown table [{table}]; known: {', '.join(sorted([*_KEYS, 'sources']))}"
            )
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [{table}] must be a table")
        for key, value in values.items():
            if key not in _KEYS[table]:
                known = ", ".join(sorted(_KEYS[table]))
                raise ConfigError(f"{where}: [{table}] has an unknown key {key!r}; known: {known}")
            raw[table][key] = _KEYS[table][key][1](value, f"{where}: [{table}] {key}")
    for table, keys in _KEYS.items():
        for key, (variable, check) in keys.items():
            if variable is None or variable not in env:
                continue
            value = env[variable]
            if value == "" and variable not in _EMPTY_MEANS_SOMETHING:
                continue  # an empty variable is unset
            raw[table][key] = check(value, variable)
    for dotted, value in flags.items():
        if value is None:
            continue
        table, _, key = dotted.partition(".")
        if key not in _KEYS.get(table, {}):
            raise ConfigError(f"unknown setting {dotted!r}")  # a programming error in a command's flags
        raw[table][key] = _KEYS[table][key][1](value, f"--{key.replace('_', '-')}")
    return raw


def _build(home: Path, raw: dict[str, dict[str, Any]], sources: object, *, where: str) -> Settings:
    from anime_mcp.entrypoints.source_settings import parse_source_overrides

    search = raw["search"]
    qdrant_url = search.get("qdrant_url") or None
    default = HnswSettings()
    # The embedded catalogue index (36k points) is searched exactly by default: about 2.7 ms, recall 1.0,
    # and no HNSW graph to build at ingest (about 35 s here). A server gets HNSW. docs/benchmarks.md.
    hnsw = HnswSettings(
        m=search.get("hnsw_m", default.m),
        ef_construct=search.get("hnsw_ef_construct", default.ef_construct),
        ef=search.get("hnsw_ef", default.ef),
        exact=search.get("exact", qdrant_url is None),
    )
    serve = raw["serve"]
    plugins = raw["plugins"]
    cache = raw["cache"]
    default_cache = CacheSettings()
    return Settings(
        home=home,
        catalogue=CatalogueSettings(
            source=raw["catalogue"].get("source") or None,
            url=raw["catalogue"].get("url", UPSTREAM_CATALOGUE_URL),
            update_every=raw["catalogue"].get("update_every") or None,
            max_drop=raw["catalogue"].get("max_drop", 0.1),
            must_keep=raw["catalogue"].get("must_keep", DEFAULT_MUST_KEEP),
        ),
        log=LogSettings(format=raw["log"].get("format", "console"), level=raw["log"].get("level", "warning")),
        search=SearchSettings(
            home=home,
            model=search.get("model") or None,
            image_model=search.get("image_model") or None,
            qdrant_url=qdrant_url,
            qdrant_api_key=search.get("qdrant_api_key") or None,
            qdrant_alias=search.get("qdrant_alias") or "anime",
            embed_threads=search.get("embed_threads"),
            hnsw=hnsw,
            hub_url=search.get("hub_url") or DEFAULT_HUB_URL,
        ),
        serve=ServeSettings(
            admin_token=serve.get("admin_token") or None,
            max_body_bytes=serve.get("max_body_bytes", DEFAULT_MAX_BODY),
            max_image_body_bytes=serve.get("max_image_body_bytes", DEFAULT_MAX_IMAGE_BODY),
            workers=serve.get("workers", DEFAULT_WORKERS),
            answer_cache=int(serve.get("answer_cache", DEFAULT_ANSWER_CACHE)),
            tracing=serve.get("tracing", "off"),
            warm_up=serve.get("warm_up", True),
            search_process=serve.get("search_process", True),
            deadline=serve.get("deadline", DEFAULT_DEADLINE),
            timezone=serve.get("timezone", "UTC"),
            mcp_stream=serve.get("mcp_stream", False),
            api_keys=_key_pairs(
                [
                    *serve.get("api_keys", ()),
                    *(read_api_keys_file(serve["api_keys_file"]) if "api_keys_file" in serve else ()),
                ],
                "[serve] api_keys and api_keys_file",
            ),
            api_key_rate=serve.get("api_key_rate"),
            allow_unauthenticated=serve.get("allow_unauthenticated", False),
            cors_origins=serve.get("cors_origins", ()),
            prewarm=serve.get("prewarm", False),
            prewarm_quiet=serve.get("prewarm_quiet", 60.0),
            prewarm_every=serve.get("prewarm_every", 60.0),
            prewarm_share=serve.get("prewarm_share", 0.5),
            prewarm_top=serve.get("prewarm_top", 50),
        ),
        plugins=PluginSettings(
            load=plugins.get("load"),
            disable=plugins.get("disable", frozenset()),
            trace=plugins.get("trace", False),
            embedder=plugins.get("embedder") or None,
            index=plugins.get("index") or None,
            planner=plugins.get("planner", ()),
            planner_timeout=plugins.get("planner_timeout", DEFAULT_PLANNER_TIMEOUT),
        ),
        cache=CacheSettings(
            l1_entries=cache.get("l1_entries", default_cache.l1_entries),
            l1_bytes=cache.get("l1_bytes", default_cache.l1_bytes),
            redis_url=cache.get("redis_url") or None,
            namespace=cache.get("namespace", ""),
            ttl_metadata=cache["ttl_metadata"] * DAY
            if "ttl_metadata" in cache
            else default_cache.ttl_metadata,
            ttl_streaming=(
                cache["ttl_streaming"] * 3600 if "ttl_streaming" in cache else default_cache.ttl_streaming
            ),
            ttl_schedule=cache["ttl_schedule"] * 60
            if "ttl_schedule" in cache
            else default_cache.ttl_schedule,
            ttl_not_found=(
                cache["ttl_not_found"] * DAY if "ttl_not_found" in cache else default_cache.ttl_not_found
            ),
            stale_grace=cache["stale_grace"] * DAY if "stale_grace" in cache else default_cache.stale_grace,
        ),
        replay=ReplaySettings(
            dir=raw["replay"].get("dir"),
            record=raw["replay"].get("record"),
            latency=raw["replay"].get("latency", 0.0),
            log=raw["replay"].get("log"),
            faults=raw["replay"].get("faults", ""),
            fault_seed=raw["replay"].get("fault_seed", 0),
        ),
        sources=parse_source_overrides(sources, where=where),
    )


def _user_data_dir() -> str:
    # platformdirs and tomllib are imported when needed: every command reads the settings, and the start of
    # `anime-mcp mcp` (its first search within a second) often needs neither (ANIME_MCP_HOME, no config.toml)
    import platformdirs

    return platformdirs.user_data_dir("anime-mcp")


def read_config(path: Path) -> dict[str, Any]:
    """The whole ``config.toml`` (empty when there is none); invalid TOML is a ``ConfigError``."""
    if not path.is_file():
        return {}
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
