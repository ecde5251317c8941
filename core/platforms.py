"""The anime platforms we know and the identity of one anime on one of them.

The set of platforms is open: ``Platform`` is a string type whose twelve built-in ids are constants
(``Platform.MAL``), and a ``PlatformSpec`` says everything the domain needs about one platform (id syntax,
page URLs, canonical URL, aliases). ``Platforms`` is an immutable registry of specs: ``BUILTIN_PLATFORMS``
holds the built-in ones, and the plugin host builds a larger one from what source plugins declare
(``PluginHost.platforms()``). Reference parsing and URL canonicalisation take the registry as an argument;
nothing here is mutated at import or by plugins.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import ClassVar

from attrs import field, frozen

from anime_mcp.core.errors import NotAnAnimeReference

_PLATFORM_ID = re.compile(r"[a-z][a-z0-9]{0,31}")
_INTERN_LIMIT = 4096


class _PlatformType(type):
    """Iterating ``Platform`` gives the built-in platforms, as iterating the former enum did."""

    def __iter__(cls) -> Iterator[Platform]:
        return iter(_BUILTIN_IDS)

    def __len__(cls) -> int:
        return len(_BUILTIN_IDS)


class Platform(str, metaclass=_PlatformType):
    """A platform id such as ``"mal"``: a ``str`` that validates its syntax (``[a-z][a-z0-9]{0,31}``).

    Equal ids are the same object (``platform is Platform.MAL`` works), as with the former enum. Whether a
    platform is *known* is a question for a ``Platforms`` registry, not for this type.
    """

    __slots__ = ()
    _interned: ClassVar[dict[str, Platform]] = {}

    MAL: ClassVar[Platform]
    ANILIST: ClassVar[Platform]
    KITSU: ClassVar[Platform]
    ANIDB: ClassVar[Platform]
    ANN: ClassVar[Platform]
    ANIMEPLANET: ClassVar[Platform]
    LIVECHART: ClassVar[Platform]
    ANISEARCH: ClassVar[Platform]
    ANIMECOUNTDOWN: ClassVar[Platform]
    ANIMESCHEDULE: ClassVar[Platform]
    NOTIFY: ClassVar[Platform]
    SIMKL: ClassVar[Platform]

    def __new__(cls, value: str) -> Platform:
        if isinstance(value, Platform):
            return value
        interned = cls._interned.get(value) if isinstance(value, str) else None
        if interned is not None:
            return interned
        if not isinstance(value, str) or not _PLATFORM_ID.fullmatch(value):
            raise ValueError(f"{value!r} is not a valid platform id (lowercase letters and digits)")
        made = super().__new__(cls, value)
        if len(cls._interned) < _INTERN_LIMIT:  # a cache of immutable values, bounded against junk input
            cls._interned[value] = made
        return made

    @property
    def value(self) -> str:
        """The plain id, as the former enum's ``.value``."""
        return str.__str__(self)

    @property
    def name(self) -> str:
        """``"MAL"`` for ``Platform.MAL``, as the former enum's ``.name``."""
        return self.value.upper()

    def __str__(self) -> str:
        return self.value

    def __repr__(self) -> str:
        if self in _BUILTIN_IDS:
            return f"Platform.{self.name}"
        return f"Platform({self.value!r})"

    def __reduce__(self) -> tuple[type[Platform], tuple[str]]:
        return (Platform, (self.value,))


_BUILTIN_NAMES = (
    "mal",
    "anilist",
    "kitsu",
    "anidb",
    "ann",
    "animeplanet",
    "livechart",
    "anisearch",
    "animecountdown",
    "animeschedule",
    "notify",
    "simkl",
)
_BUILTIN_IDS: tuple[Platform, ...] = tuple(Platform(n) for n in _BUILTIN_NAMES)
for _platform in _BUILTIN_IDS:
    setattr(Platform, _platform.name, _platform)
del _platform


class IdStyle(enum.StrEnum):
    """How a platform's ids are written canonically (applied before the id pattern is checked)."""

    NUMERIC = "numeric"  # ASCII digits lose leading zeros: "01535" is "1535"
    SLUG = "slug"  # case-insensitive: lower-cased
    NUMERIC_OR_SLUG = "numeric-or-slug"  # digits as NUMERIC, anything else as SLUG (kitsu)
    OPAQUE = "opaque"  # kept exactly as written

    def normalise(self, raw: str) -> str:
        digits = raw.isascii() and raw.isdigit()
        if self is IdStyle.NUMERIC or (self is IdStyle.NUMERIC_OR_SLUG and digits):
            return (raw.lstrip("0") or "0") if digits else raw
        if self is IdStyle.OPAQUE:
            return raw
        return raw.lower()


_ID = r"(?P<id>[^/?#,]+)"


def _path_pattern(value: str | re.Pattern[str]) -> re.Pattern[str]:
    """``"/anime/{id}"`` -> a pattern matching the start of a page path; compiled patterns pass through."""
    if isinstance(value, re.Pattern):
        if "id" not in value.groupindex:
            raise ValueError(f"URL pattern {value.pattern!r} has no (?P<id>...) group")
        return value
    if value.count("{id}") != 1 or not value.startswith("/"):
        raise ValueError(f"URL path {value!r} must start with '/' and contain '{{id}}' once")
    before, after = value.split("{id}")
    return re.compile(re.escape(before) + _ID + re.escape(after))


def _path_patterns(values: Iterable[str | re.Pattern[str]] | str) -> tuple[re.Pattern[str], ...]:
    return (_path_pattern(values),) if isinstance(values, str) else tuple(_path_pattern(v) for v in values)


def _pattern(value: str | re.Pattern[str]) -> re.Pattern[str]:
    return value if isinstance(value, re.Pattern) else re.compile(value)


def _hosts(values: Iterable[str] | str) -> tuple[str, ...]:
    hosts = (values,) if isinstance(values, str) else tuple(values)
    return tuple(h.lower().removeprefix("www.") for h in hosts)


def _aliases(values: Iterable[str] | str) -> frozenset[str]:
    return frozenset((values.lower(),) if isinstance(values, str) else (v.lower() for v in values))


def _pairs(values: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(dict(values).items()))


@frozen
class QueryUrl:
    """An old query-string page form: ``path?key=<id>`` (plus other required query values)."""

    path: str
    key: str
    required: tuple[tuple[str, str], ...] = field(default=(), converter=_pairs)


def _query_urls(values: Iterable[QueryUrl]) -> tuple[QueryUrl, ...]:
    return tuple(values)


_ALIAS = re.compile(r"[a-z][a-z0-9.-]{0,31}")
_HOST = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")


@frozen
class PlatformSpec:
    """Everything the domain needs to know about one platform.

    ``url_paths`` match the start of a page path on any of ``hosts`` (``"/anime/{id}"``, or a compiled
    pattern with an ``id`` group); what follows the id (a slug, a sub-page) is ignored. ``canonical_url`` is
    a template with one ``{}`` for the id. ``aliases`` are extra names people type before the colon (the
    id itself always works).
    """

    id: Platform = field(converter=Platform)
    name: str
    id_pattern: re.Pattern[str] = field(converter=_pattern)
    canonical_url: str
    hosts: tuple[str, ...] = field(default=(), converter=_hosts)
    url_paths: tuple[re.Pattern[str], ...] = field(default=(), converter=_path_patterns)
    query_urls: tuple[QueryUrl, ...] = field(default=(), converter=_query_urls)
    aliases: frozenset[str] = field(default=frozenset(), converter=_aliases)
    id_style: IdStyle = field(default=IdStyle.NUMERIC, converter=IdStyle)

    def __attrs_post_init__(self) -> None:
        if self.canonical_url.count("{}") != 1 or not self.canonical_url.startswith(("https://", "http://")):
            raise ValueError(f"platform {self.id}: canonical_url must be an http(s) URL with one '{{}}'")
        for alias in self.aliases:
            if not _ALIAS.fullmatch(alias):
                raise ValueError(f"platform {self.id}: alias {alias!r} must match {_ALIAS.pattern}")
        for host in self.hosts:
            if not _HOST.fullmatch(host):
                raise ValueError(f"platform {self.id}: {host!r} is not a host name")

    def names(self) -> frozenset[str]:
        """Every name that selects this platform before a colon: its id and its aliases."""
        return self.aliases | {self.id.value}

    def normalise(self, raw: str) -> str:
        return self.id_style.normalise(raw)

    def valid_id(self, value: str) -> bool:
        return self.id_pattern.fullmatch(value) is not None

    def url(self, platform_id: str) -> str:
        return self.canonical_url.format(platform_id)


def _spec_tuple(values: Iterable[PlatformSpec]) -> tuple[PlatformSpec, ...]:
    return tuple(values)


@frozen
class Platforms:
    """An immutable registry of platform specs: ids, aliases and page hosts are unique across it."""

    specs: tuple[PlatformSpec, ...] = field(converter=_spec_tuple)
    _by_id: dict[str, PlatformSpec] = field(init=False, repr=False, eq=False)
    _by_name: dict[str, PlatformSpec] = field(init=False, repr=False, eq=False)
    _by_host: dict[str, PlatformSpec] = field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        by_id: dict[str, PlatformSpec] = {}
        by_name: dict[str, PlatformSpec] = {}
        by_host: dict[str, PlatformSpec] = {}
        for spec in self.specs:
            if spec.id in by_id:
                raise ValueError(f"platform {spec.id} is declared twice")
            by_id[spec.id] = spec
            for name in sorted(spec.names()):
                if name in by_name:
                    raise ValueError(f"platform name {name!r} of {spec.id} already names {by_name[name].id}")
                by_name[name] = spec
            for host in spec.hosts:
                if host in by_host:
                    raise ValueError(f"host {host} of {spec.id} already belongs to {by_host[host].id}")
                by_host[host] = spec
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "_by_host", by_host)

    def __iter__(self) -> Iterator[PlatformSpec]:
        return iter(self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    def __contains__(self, platform: object) -> bool:
        return platform in self._by_id

    def __getitem__(self, platform: str) -> PlatformSpec:
        spec = self._by_id.get(platform)
        if spec is None:
            known = ", ".join(self.ids())
            raise KeyError(f"unknown platform {platform!r}; known platforms: {known}")
        return spec

    def get(self, platform: str) -> PlatformSpec | None:
        return self._by_id.get(platform)

    def ids(self) -> tuple[Platform, ...]:
        return tuple(spec.id for spec in self.specs)

    def by_name(self, name: str) -> PlatformSpec | None:
        """The platform an id or alias names (``"myanimelist"``, ``"mal"``), ignoring case."""
        return self._by_name.get(name.lower())

    def by_host(self, host: str) -> PlatformSpec | None:
        """The platform whose pages live on ``host`` (without ``www.``/``m.``)."""
        return self._by_host.get(host.lower())

    def names(self) -> dict[str, Platform]:
        """Every name people may type before the colon, and the platform it selects."""
        return {name: spec.id for name, spec in self._by_name.items()}

    def with_specs(self, specs: Iterable[PlatformSpec]) -> Platforms:
        """A new registry with ``specs`` added; a spec equal to one already there is ignored.

        Raises ``ValueError`` when a spec reuses an id, alias or host of another platform.
        """
        added = [s for s in dict.fromkeys(specs) if s not in self.specs]
        return Platforms((*self.specs, *added)) if added else self

    def conflicts(self, spec: PlatformSpec) -> str | None:
        """Why ``spec`` cannot join this registry, or None when it can (or is already in it)."""
        try:
            self.with_specs((spec,))
        except ValueError as exc:
            return str(exc)
        return None


# What an id looks like on each platform. Numeric platforms get canonical digits (no leading zeros),
# so "mal:01535" and "mal:1535" are one id.
_NUMERIC = re.compile(r"[1-9][0-9]{0,11}")
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,255}")  # real slugs may end with "-"
# An all-digit kitsu id is a numeric id (canonical digits), never a slug: "007" is not a second form of "7".
_KITSU = re.compile(r"[1-9][0-9]{0,11}|(?![0-9]+$)[a-z0-9][a-z0-9-]{0,255}")
_NOTIFY = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ANIME_PAGE = re.compile(rf"/anime/{_ID}")

BUILTIN_SPECS: tuple[PlatformSpec, ...] = (
    PlatformSpec(
        Platform.MAL,
        "MyAnimeList",
        _NUMERIC,
        "https://myanimelist.net/anime/{}",
        hosts=("myanimelist.net",),
        url_paths=(_ANIME_PAGE,),
        query_urls=(QueryUrl("/anime.php", "id"),),
        aliases=("myanimelist",),
    ),
    PlatformSpec(
        Platform.ANILIST,
        "AniList",
        _NUMERIC,
        "https://anilist.co/anime/{}",
        hosts=("anilist.co",),
        url_paths=(_ANIME_PAGE,),
    ),
    PlatformSpec(
        Platform.KITSU,
        "Kitsu",
        _KITSU,  # numeric ids in catalogues; slugs in user-typed URLs
        "https://kitsu.app/anime/{}",
        hosts=("kitsu.app", "kitsu.io"),
        url_paths=(_ANIME_PAGE,),
        id_style=IdStyle.NUMERIC_OR_SLUG,
    ),
    PlatformSpec(
        Platform.ANIDB,
        "AniDB",
        _NUMERIC,
        "https://anidb.net/anime/{}",
        hosts=("anidb.net",),
        url_paths=(_ANIME_PAGE, re.compile(r"/a(?P<id>[0-9]+)/?$")),
        query_urls=(QueryUrl("/perl-bin/animedb.pl", "aid", {"show": "anime"}), QueryUrl("/anime/", "aid")),
    ),
    PlatformSpec(
        Platform.ANN,
        "Anime News Network",
        _NUMERIC,
        "https://animenewsnetwork.com/encyclopedia/anime.php?id={}",
        hosts=("animenewsnetwork.com", "animenewsnetwork.cc"),
        query_urls=(QueryUrl("/encyclopedia/anime.php", "id"),),
        aliases=("animenewsnetwork",),
    ),
    PlatformSpec(
        Platform.ANIMEPLANET,
        "Anime-Planet",
        _SLUG,
        "https://anime-planet.com/anime/{}",
        hosts=("anime-planet.com",),
        url_paths=(_ANIME_PAGE,),
        aliases=("anime-planet", "ap"),
        id_style=IdStyle.SLUG,
    ),
    PlatformSpec(
        Platform.LIVECHART,
        "LiveChart.me",
        _NUMERIC,
        "https://livechart.me/anime/{}",
        hosts=("livechart.me",),
        url_paths=(_ANIME_PAGE,),
    ),
    PlatformSpec(
        Platform.ANISEARCH,
        "aniSearch",
        _NUMERIC,
        "https://anisearch.com/anime/{}",
        hosts=("anisearch.com", "anisearch.de"),
        url_paths=(_ANIME_PAGE,),  # /anime/3633,death-note
    ),
    PlatformSpec(
        Platform.ANIMECOUNTDOWN,
        "AnimeCountdown",
        _NUMERIC,
        "https://animecountdown.com/{}",
        hosts=("animecountdown.com",),
        url_paths=(re.compile(rf"/{_ID}"),),
    ),
    PlatformSpec(
        Platform.ANIMESCHEDULE,
        "AnimeSchedule",
        _SLUG,
        "https://animeschedule.net/anime/{}",
        hosts=("animeschedule.net",),
        url_paths=(_ANIME_PAGE,),
        id_style=IdStyle.SLUG,
    ),
    PlatformSpec(
        Platform.NOTIFY,
        "Notify.moe",
        _NOTIFY,
        "https://notify.moe/anime/{}",
        hosts=("notify.moe",),
        url_paths=(_ANIME_PAGE,),
        aliases=("notify.moe", "notifymoe"),
        id_style=IdStyle.OPAQUE,  # case-sensitive opaque ids: "007" is not "7"
    ),
    PlatformSpec(
        Platform.SIMKL,
        "Simkl",
        _NUMERIC,
        "https://simkl.com/anime/{}",
        hosts=("simkl.com",),
        url_paths=(_ANIME_PAGE,),
    ),
)

BUILTIN_PLATFORMS = Platforms(BUILTIN_SPECS)

# The built-in tables in their former shape (read-only by convention; use a ``Platforms`` registry to
# include plugin platforms).
ID_PATTERNS: dict[Platform, re.Pattern[str]] = {spec.id: spec.id_pattern for spec in BUILTIN_SPECS}
# Names people type before the colon ("myanimelist:1535", "anime-planet:death-note").
PLATFORM_ALIASES: dict[str, Platform] = BUILTIN_PLATFORMS.names()

# The ids of platforms no registry at hand describes (plugin platforms) must at least be one URL path
# segment of visible characters; the registry that parsed them checked the platform's own pattern.
_ANY_ID = re.compile(r"[^\s/?#,]{1,256}")


def _check_id(instance: PlatformId, attribute: object, value: str) -> None:
    spec = BUILTIN_PLATFORMS.get(instance.platform)
    valid = spec.valid_id(value) if spec is not None else _ANY_ID.fullmatch(value) is not None
    if not valid:
        raise NotAnAnimeReference(f"{value!r} is not a valid {instance.platform.value} id")


@frozen(order=True)
class PlatformId:
    """One anime on one platform, e.g. ``PlatformId(Platform.MAL, "1535")``."""

    platform: Platform = field(converter=Platform)
    id: str = field(validator=_check_id)

    def __str__(self) -> str:
        return f"{self.platform.value}:{self.id}"
