"""Per-source HTTP settings. Each source ships defaults; configuration may override any of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs
from attrs import field, frozen

from anime_mcp.ports.source import RateLimit

__all__ = ["HttpPolicy"]


def _rate_limits(values: Iterable[RateLimit]) -> tuple[RateLimit, ...]:
    return tuple(values)


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not value > 0:
        raise ValueError(f"{attribute.name} must be > 0, not {value}")


def _non_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must be >= 0, not {value}")


def _cap(_: object, attribute: attrs.Attribute[Any], value: float | None) -> None:
    if value is not None and not value > 0:
        raise ValueError(
            f"{attribute.name} must be > 0 seconds or unset, not {value} "
            "(to turn the response cache off for a source, set cacheable = false)"
        )


@frozen
class HttpPolicy:
    rate_limits: tuple[RateLimit, ...] = field(default=(), converter=_rate_limits)
    header_window: float | None = 60.0  # the window X-RateLimit-* headers speak about (None: ignore them)
    connect_timeout: float = field(default=5.0, validator=_positive)
    read_timeout: float = field(default=20.0, validator=_positive)
    total_timeout: float = field(default=30.0, validator=_positive)  # one attempt, send to last byte
    max_retries: int = field(default=3, validator=_non_negative)  # idempotent calls only
    backoff_base: float = field(default=0.5, validator=_non_negative)
    backoff_max: float = field(default=30.0, validator=_non_negative)
    max_retry_after: float = field(default=120.0, validator=_non_negative)  # longer: give up, report it
    failure_threshold: int = field(default=5, validator=_positive)
    recovery_timeout: float = field(default=60.0, validator=_positive)
    half_open_max_calls: int = field(default=1, validator=_positive)
    max_concurrency: int = field(default=4, validator=_positive)
    max_response_bytes: int = field(default=8 * 1024 * 1024, validator=_positive)
    # The response cache: every source's idempotent answers are cached for the ``[cache]`` lifetime of their
    # kind; ``cache_ttl`` caps it (AniDB asks for at most a day); ``cacheable = False`` opts out entirely.
    cache_ttl: float | None = field(default=None, validator=_cap)  # seconds; None: the kind's lifetime
    cacheable: bool = True
    forbidden_is_auth: bool = False  # 403 means "bad credentials" rather than "banned" (token APIs)
    user_agent: str = "anime-mcp/0.1 (+https://github.com/anime-mcp/anime-mcp)"
    # Scraped sources (``anime_mcp.adapters.scraping``): obey the site's robots.txt for ``user_agent``, and
    # send through cloudscraper (worker threads) where the site sits behind Cloudflare. Both apply only
    # when the runtime reaches the network, never to replayed or mocked answers.
    obey_robots: bool = field(default=True, validator=attrs.validators.instance_of(bool))
    cloudflare: bool = field(default=False, validator=attrs.validators.instance_of(bool))

    def with_overrides(self, overrides: Mapping[str, Any]) -> HttpPolicy:
        """A copy with some settings replaced (unknown names are an error, not silently ignored)."""
        names = {a.name for a in attrs.fields(HttpPolicy)}
        unknown = set(overrides) - names
        if unknown:
            raise ValueError(f"unknown HTTP policy settings: {sorted(unknown)}")
        return attrs.evolve(self, **overrides)
