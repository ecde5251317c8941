"""The public source toolkit: what every source plugin needs between the HTTP path and a ``SourceRecord``.

Built-in sources and third-party plugins use the same functions (see docs/plugins.md, "The source
toolkit"). Nothing here does I/O; every function is pure and reports failures only as the typed
``SourceError`` subclasses of ``anime_mcp.core.errors``:

- guards: :func:`guarded` and :func:`guarded_detector` make sure nothing else leaves a parser;
- documents: :func:`load_json`, :func:`load_xml` (defused, via ``adapters.xml_safety``) and
  :func:`load_html`, each with a size limit and challenge-page detection;
- errors: :func:`detect_http_error` and :func:`retry_after`, which apply the one error policy of
  ``anime_mcp.adapters.http.errors``; :func:`detect_json_error` and :func:`load_json_checked` for JSON
  APIs that state their errors in the body;
- wire models: :func:`wire_converter` (strict cattrs), :func:`camel` and :func:`structure_list`;
- values, dates, ids: small rules the platforms share (:func:`clean_str`, :func:`partial_date`,
  :func:`require_id`, ...);
- records: :class:`RecordBuilder`, which remembers which fields a document really stated.
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, ParamSpec, TypeVar, get_args, get_origin

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, override

from anime_mcp.adapters.http.errors import (
    challenge_reason,
    error_for_status,
    looks_like_html,
    parse_retry_after,
)
from anime_mcp.adapters.strict_converter import describe_error, make_converter
from anime_mcp.adapters.xml_safety import MAX_XML_BYTES, Element, parse_xml
from anime_mcp.core.errors import Blocked, NotAnAnimeReference, ParseError, SourceError
from anime_mcp.core.models import AnimeType, Season, Status
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platform, PlatformId, Platforms, PlatformSpec
from anime_mcp.core.references import canonical_url, parse_source_url
from anime_mcp.core.sources import SourceRecord
from anime_mcp.ports.clock import Clock

__all__ = [
    "MAX_HTML_BYTES",
    "MAX_JSON_BYTES",
    "MAX_XML_BYTES",
    "Element",
    "PartialDate",
    "RecordBuilder",
    "anime_type",
    "as_bytes",
    "camel",
    "challenge_reason",
    "clean_str",
    "date_parts",
    "dedupe",
    "detect_http_error",
    "detect_json_error",
    "float_from_text",
    "guarded",
    "guarded_detector",
    "html_to_text",
    "id_from_url",
    "int_from_text",
    "japan_date",
    "json_object_or_none",
    "load_html",
    "load_json",
    "load_json_checked",
    "load_xml",
    "looks_like_html",
    "parse_datetime",
    "partial_date",
    "platform_id_or_none",
    "positive_int",
    "require_id",
    "retry_after",
    "season_named",
    "season_of",
    "status_from_dates",
    "structure_list",
    "wire_converter",
    "with_platform",
]

MAX_JSON_BYTES = 32 * 1024 * 1024  # Kitsu's largest real answer (One Piece, included[]) is ~0.45 MB
MAX_HTML_BYTES = 8 * 1024 * 1024  # a page is at most what the HTTP path lets through by default

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")


# --------------------------------------------------------------------------------------------- guards


def guarded(source: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Wrap a parse function so that only ``SourceError`` subclasses ever leave it."""

    def decorate(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            try:
                return fn(*args, **kwargs)
            except SourceError:
                raise
            except Exception as exc:
                raise ParseError(f"unexpected document shape: {_one_line(exc)}", source=source) from exc

        return wrapper

    return decorate


def guarded_detector(
    source: str,
) -> Callable[[Callable[_P, SourceError | None]], Callable[_P, SourceError | None]]:
    """Wrap a ``detect_error`` function so that it never raises: it *returns* the typed error.

    A typed error raised inside is returned; anything unexpected becomes a returned ``ParseError`` (an
    answer that cannot even be classified cannot be parsed either).
    """

    def decorate(fn: Callable[_P, SourceError | None]) -> Callable[_P, SourceError | None]:
        @functools.wraps(fn)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> SourceError | None:
            try:
                return fn(*args, **kwargs)
            except SourceError as exc:
                return exc
            except Exception as exc:  # noqa: BLE001 - see guarded()
                return ParseError(f"unclassifiable answer: {_one_line(exc)}", source=source)

        return wrapper

    return decorate


def _one_line(exc: BaseException) -> str:
    text = describe_error(exc) if isinstance(exc, Exception) else repr(exc)
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


# --------------------------------------------------------------------------------------------- documents


def as_bytes(body: bytes | bytearray | memoryview | str) -> bytes:
    """A response body as bytes (``str`` is encoded as UTF-8); anything else is a ``TypeError``."""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body)
    raise TypeError(f"expected the response body as bytes, got {type(body).__name__}")


def _check_size(raw: bytes, *, what: str, source: str, max_bytes: int) -> None:
    if len(raw) > max_bytes:
        raise ParseError(
            f"{what} document of {len(raw)} bytes exceeds the {max_bytes}-byte limit", source=source
        )
    if not raw.strip():
        raise ParseError(f"empty document where {what} was expected", source=source)


def _refuse_html(raw: bytes, *, what: str, source: str) -> None:
    if looks_like_html(raw):
        reason = challenge_reason(raw)
        if reason:
            raise Blocked(reason, source=source)
        raise ParseError(f"an HTML page came back where {what} was expected", source=source)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def load_json(body: bytes | str, *, source: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """Decode a JSON document, refusing oversize, empty, HTML (challenge: ``Blocked``) and NaN documents."""
    raw = as_bytes(body)
    _check_size(raw, what="JSON", source=source, max_bytes=max_bytes)
    _refuse_html(raw, what="JSON", source=source)
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except RecursionError:
        raise ParseError("JSON nests too deeply", source=source) from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ParseError(f"not valid JSON: {_one_line(exc)}", source=source) from None


def json_object_or_none(body: bytes | str, *, source: str) -> Any:
    """The body decoded as JSON when it looks like a JSON object, else None (for error detectors)."""
    raw = as_bytes(body)
    if raw.lstrip()[:1] != b"{":
        return None
    try:
        return load_json(raw, source=source)
    except SourceError:
        return None


def load_xml(body: bytes | str, *, source: str, max_bytes: int = MAX_XML_BYTES) -> Element:
    """Parse an XML document safely (no DTDs or entities, bounded size and depth); HTML is refused."""
    raw = as_bytes(body)
    _check_size(raw, what="XML", source=source, max_bytes=max_bytes)
    _refuse_html(raw, what="XML", source=source)
    return parse_xml(raw, source=source, max_bytes=max_bytes)


def load_html(body: bytes | str, *, source: str, max_bytes: int = MAX_HTML_BYTES) -> str:
    """An HTML page as text (UTF-8, bad bytes replaced); a challenge page is ``Blocked``."""
    raw = as_bytes(body)
    _check_size(raw, what="HTML", source=source, max_bytes=max_bytes)
    reason = challenge_reason(raw)
    if reason:
        raise Blocked(reason, source=source)
    return raw.decode("utf-8", errors="replace")


# --------------------------------------------------------------------------------------------- errors


def retry_after(headers: Mapping[str, str] | None, clock: Clock | None = None) -> float | None:
    """The ``Retry-After`` wait in seconds from response headers (any case), by the one HTTP parser."""
    if not headers:
        return None
    value = next((str(v) for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    return parse_retry_after(value, clock)


def detect_http_error(
    status: int,
    body: bytes | str,
    *,
    source: str,
    headers: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    html_expected: bool = False,
) -> SourceError | None:
    """A source's ``detect_error`` fallback: the one HTTP error policy, then HTML where data was due.

    ``adapters.http.errors.error_for_status`` decides (challenge pages, 4xx, 5xx, ...); a 2xx HTML page is
    a ``ParseError`` unless ``html_expected``. Without a ``clock``, an HTTP-date ``Retry-After`` leaves
    ``retry_after`` None and the HTTP client fills it in.
    """
    raw = as_bytes(body)
    error = error_for_status(status, raw, source=source, retry_after=retry_after(headers, clock))
    if error is None and not html_expected and looks_like_html(raw):
        return ParseError("an HTML page came back where API data was expected", source=source)
    return error


def detect_json_error(
    status: int,
    body: bytes | str,
    *,
    source: str,
    document_error: Callable[..., SourceError | None],
    headers: Mapping[str, str] | None = None,
    by_status: Callable[[int, Any, bytes], SourceError | None] | None = None,
) -> SourceError | None:
    """A JSON API's ``detect_error``: the error its body states, else ``by_status``, else the HTTP policy.

    ``document_error(doc, headers=headers)`` reads the platform's own error object (``doc``: the body as a
    JSON object, or None); ``by_status(status, doc, raw)`` maps the statuses the platform uses its own way
    (None: it has none); :func:`detect_http_error` decides the rest.
    """
    raw = as_bytes(body)
    doc = json_object_or_none(raw, source=source)
    error = document_error(doc, headers=headers)
    if error is None and by_status is not None:
        error = by_status(status, doc, raw)
    if error is not None:
        return error
    return detect_http_error(status, raw, source=source, headers=headers)


def load_json_checked(
    body: bytes | str, *, source: str, document_error: Callable[..., SourceError | None]
) -> Any:
    """:func:`load_json`, then raise the error the document itself states (``document_error(doc)``)."""
    doc = load_json(body, source=source)
    error = document_error(doc)
    if error is not None:
        raise error
    return doc


# --------------------------------------------------------------------------------------------- wire models


def camel(name: str) -> str:
    """``start_date`` -> ``startDate``; a trailing ``_`` (``from_``) is dropped."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_converter(*, rename: Callable[[str], str] | None = None) -> cattrs.Converter:
    """A strict converter for one source's wire models.

    On top of :func:`make_converter`'s strict primitives: attrs classes accept only JSON objects, tuples
    only JSON arrays, dicts only JSON objects (cattrs would otherwise read a string as a list of
    characters, or ``"title" in "subtitle"`` as a present key). ``rename`` maps attribute names to the
    wire's keys (``camel`` for camelCase APIs); a trailing underscore always goes (``from_`` -> ``from``).
    """
    converter = make_converter()
    key_of = rename or (lambda name: name.rstrip("_"))

    def attrs_factory(cls: type) -> Callable[[Any, type], Any]:
        overrides: dict[str, Any] = {
            a.name: override(rename=key_of(a.name)) for a in attrs.fields(cls) if key_of(a.name) != a.name
        }
        inner: Callable[[Any, type], Any] = make_dict_structure_fn(cls, converter, **overrides)

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object for {cls.__name__}, got {type(value).__name__}")
            return inner(value, cls)

        return structure

    def is_homogeneous_tuple(tp: Any) -> bool:
        args = get_args(tp)
        return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis and args[0] is not str

    def tuple_factory(tp: Any) -> Callable[[Any, type], Any]:
        item_type = get_args(tp)[0]

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, list):
                raise TypeError(f"expected a list, got {type(value).__name__}")
            return tuple(converter.structure(item, item_type) for item in value)

        return structure

    def is_str_dict(tp: Any) -> bool:
        return get_origin(tp) is dict and get_args(tp)[:1] == (str,)

    def dict_factory(tp: Any) -> Callable[[Any, type], Any]:
        value_type = get_args(tp)[1]

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, dict):
                raise TypeError(f"expected an object, got {type(value).__name__}")
            return {str(k): converter.structure(v, value_type) for k, v in value.items()}

        return structure

    converter.register_structure_hook_factory(attrs.has, attrs_factory)
    converter.register_structure_hook_factory(is_homogeneous_tuple, tuple_factory)
    converter.register_structure_hook_factory(is_str_dict, dict_factory)
    return converter


def structure_list(
    converter: cattrs.Converter, doc: object, cls: type[_T], *, source: str, not_a_list: str
) -> Iterator[_T]:
    """The items of a JSON array as ``cls``, one by one; anything else is ``ParseError(not_a_list)``."""
    if not isinstance(doc, list):
        raise ParseError(not_a_list, source=source)
    return (converter.structure(item, cls) for item in doc)


# --------------------------------------------------------------------------------------------- values


def clean_str(value: object) -> str | None:
    """A non-blank string, stripped; anything else is None."""
    if isinstance(value, str):
        text = value.strip()
        return text or None
    return None


def dedupe(values: Iterable[str | None]) -> tuple[str, ...]:
    """Stripped, non-empty strings in first-seen order without repeats."""
    seen: dict[str, None] = {}
    for value in values:
        text = clean_str(value)
        if text is not None and text not in seen:
            seen[text] = None
    return tuple(seen)


def positive_int(value: object) -> int | None:
    """An int > 0 (bools refused); 0 and negatives mean "unknown" on every platform we read."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value > 0 else None


def int_from_text(value: object) -> int | None:
    """An int, or a string of at most 12 digits read as one; anything else (bools too) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 12:
        return int(value.strip())
    return None


def float_from_text(value: object) -> float | None:
    """A finite float from a number or a numeric string; anything else (bools, NaN, junk) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_P_END = re.compile(r"</p\s*>", re.IGNORECASE)
_TAG = re.compile(r"<[^<>]{0,2000}>")


def html_to_text(value: str | None) -> str | None:
    """Description HTML (``<br>``, ``<i>``, entities) as plain text with line breaks; blank -> None."""
    if value is None:
        return None
    text = _BR.sub("\n", value)
    text = _P_END.sub("\n\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.strip() for line in text.split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text or None


# --------------------------------------------------------------------------------------------- dates


@attrs.frozen
class PartialDate:
    """A date the source may know only to the year or month."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def full(self) -> dt.date | None:
        """The date when year, month and day are known."""
        return dt.date(self.year, self.month, self.day) if self.month and self.day else None

    def earliest(self) -> dt.date:
        """The first day the date may mean."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    def latest(self) -> dt.date:
        """The last day the date may mean."""
        if self.month is None:
            return dt.date(self.year, 12, 31)
        if self.day is None:
            following = dt.date(self.year + (self.month == 12), self.month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        return dt.date(self.year, self.month, self.day)


_DATE_PREFIX = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def partial_date(value: object, *, sentinels: Iterable[str] = ()) -> PartialDate | None:
    """Read ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an ISO datetime's date part; junk, sentinels -> None."""
    text = clean_str(value)
    if text is None or text in set(sentinels):
        return None
    match = _DATE_PREFIX.match(text)
    if not match:
        return None
    year = int(match.group(1))
    month = int(match.group(2)) if match.group(2) else None
    day = int(match.group(3)) if match.group(3) else None
    return date_parts(year, month, day)


def date_parts(year: object, month: object = None, day: object = None) -> PartialDate | None:
    """Validated year/month/day (any part may be missing from the right); impossible dates -> None."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1800 <= year <= 2200:
        return None
    m = month if isinstance(month, int) and not isinstance(month, bool) and 1 <= month <= 12 else None
    d = day if m is not None and isinstance(day, int) and not isinstance(day, bool) else None
    if d is not None:
        try:
            dt.date(year, m or 1, d)
        except ValueError:
            d = None
    return PartialDate(year, m, d)


def parse_datetime(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC assumed when no offset); sentinel years -> None."""
    text = clean_str(value)
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.year < 1800:  # AnimeSchedule's "no date" is 0001-01-01 (and 0002-01-01 for jpnTime)
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


_JST = dt.timezone(dt.timedelta(hours=9), "JST")


def japan_date(value: object) -> dt.date | None:
    """The Japanese calendar date of an ISO timestamp (broadcast dates are Japan dates written in UTC)."""
    when = parse_datetime(value)
    return when.astimezone(_JST).date() if when else None


_SEASON_OF_MONTH = {
    **dict.fromkeys((1, 2, 3), Season.WINTER),
    **dict.fromkeys((4, 5, 6), Season.SPRING),
    **dict.fromkeys((7, 8, 9), Season.SUMMER),
    **dict.fromkeys((10, 11, 12), Season.FALL),
}


def season_of(date: PartialDate | None) -> Season | None:
    """The season a date's month falls in (January-March: WINTER, ...); None without a month."""
    return _SEASON_OF_MONTH.get(date.month) if date is not None and date.month else None


def season_named(value: object) -> Season | None:
    """A season word (``"spring"``, ``"AUTUMN"``) as a ``Season``; anything else is None."""
    text = clean_str(value)
    if text is None:
        return None
    text = text.upper()
    if text == "AUTUMN":
        text = "FALL"
    return Season(text) if text in Season.__members__ and text != "UNDEFINED" else None


def status_from_dates(
    start: PartialDate | None, end: PartialDate | None, today: dt.date, *, open_end_means_ongoing: bool = True
) -> Status | None:
    """Status from air dates, for sources that state none (AniDB, ANN).

    ``open_end_means_ongoing``: whether a missing end date after a past start means "still airing" (AniDB
    leaves the end date out while an anime airs; ANN's single-date vintages are mere release dates).
    """
    if start is None:
        return None
    if start.earliest() > today:
        return Status.UPCOMING
    if start.latest() > today:
        return None  # starts within this month or year: maybe not yet, cannot tell
    if end is None:
        return Status.ONGOING if open_end_means_ongoing else None
    if end.earliest() >= today:
        return Status.ONGOING
    if end.latest() < today:
        return Status.FINISHED
    return None  # ends within this month or year: cannot tell


# --------------------------------------------------------------------------------------------- types


_TYPE_WORDS: dict[str, AnimeType] = {
    "tv": AnimeType.TV,
    "tv series": AnimeType.TV,
    "tv short": AnimeType.TV,
    "tv_short": AnimeType.TV,
    "movie": AnimeType.MOVIE,
    "film": AnimeType.MOVIE,
    "ova": AnimeType.OVA,
    "oav": AnimeType.OVA,
    "ona": AnimeType.ONA,
    "web": AnimeType.ONA,
    "special": AnimeType.SPECIAL,
    "tv special": AnimeType.SPECIAL,
    "tv_special": AnimeType.SPECIAL,
    "music": AnimeType.SPECIAL,
    "music video": AnimeType.SPECIAL,
    "cm": AnimeType.SPECIAL,
    "pv": AnimeType.SPECIAL,
    "other": AnimeType.SPECIAL,
    "unknown": AnimeType.UNKNOWN,
}


def anime_type(value: object) -> AnimeType | None:
    """The platforms' type words on the catalogue's scale (music, CM and PV count as SPECIAL)."""
    text = clean_str(value)
    return _TYPE_WORDS.get(text.lower()) if text is not None else None


# --------------------------------------------------------------------------------------------- ids


def platform_id_or_none(platform: Platform, raw: object) -> PlatformId | None:
    """A valid id on that platform, or None for junk (an id we cannot use is no id)."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        raw = str(raw)
    text = clean_str(raw)
    if text is None:
        return None
    if platform in (Platform.ANIMEPLANET, Platform.ANIMESCHEDULE) or (
        platform is Platform.KITSU and not text.isdigit()
    ):
        text = text.lower()
    try:
        return PlatformId(platform, text)
    except NotAnAnimeReference:
        return None


def require_id(platform: Platform, raw: object, *, source: str) -> PlatformId:
    """The document's own id on ``platform``; a missing or invalid one is a ``ParseError``."""
    pid = platform_id_or_none(platform, raw)
    if pid is None:
        raise ParseError(
            f"the document has no valid {platform.value} id (got {str(raw)[:40]!r})", source=source
        )
    return pid


def id_from_url(url: object, platforms: Platforms = BUILTIN_PLATFORMS) -> PlatformId | None:
    """The anime a platform URL names (``anidb.net/anime/23``, ``//kitsu.io/anime/1``), or None; pass
    ``platforms`` (e.g. ``with_platform(spec)``) to read the URLs of a platform your plugin declares."""
    text = clean_str(url)
    if text is None or len(text) > 2000:
        return None
    try:
        return parse_source_url(text, platforms)
    except (NotAnAnimeReference, ValueError):
        return None


def _unique_ids(
    ids: Iterable[PlatformId | None], *, besides: PlatformId | None = None
) -> tuple[PlatformId, ...]:
    seen: dict[PlatformId, None] = {}
    for pid in ids:
        if pid is not None and pid != besides:
            seen.setdefault(pid, None)
    return tuple(seen)


# --------------------------------------------------------------------------------------------- records


def with_platform(spec: PlatformSpec) -> Platforms:
    """The built-in platforms plus the one a plugin declares, for ``RecordBuilder`` and ``id_from_url``."""
    return BUILTIN_PLATFORMS.with_specs([spec])


class RecordBuilder:
    """Collects a record's values and remembers which fields the document really stated.

    ``set`` ignores None and blank strings (the source said nothing). ``set_list`` records a list the
    source stated, even an empty one (the source said "none"); pass None when the document had no list.
    """

    def __init__(self, pid: PlatformId, platforms: Platforms = BUILTIN_PLATFORMS) -> None:
        self.pid = pid
        self.platforms = platforms  # where the canonical URL comes from (a plugin's platform: with_platform)
        self._values: dict[str, Any] = {}

    def set(self, name: str, value: object) -> None:
        """Record one stated value (None and blank strings mean "not stated")."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        self._values[name] = value.strip() if type(value) is str else value

    def set_list(self, name: str, values: Iterable[Any] | None) -> None:
        """Record a stated list, deduplicated (empty: the source said "none"; None: it said nothing)."""
        if values is None:
            return
        items = list(values)
        if all(isinstance(item, str) or item is None for item in items):
            unique = dedupe(items)
            if name == "studios":  # "MADHOUSE" and "Madhouse" are one studio
                unique = tuple({s.casefold(): s for s in reversed(unique)}.values())[::-1]
            self._values[name] = unique
        else:
            self._values[name] = tuple(dict.fromkeys(item for item in items if item is not None))

    def has(self, name: str) -> bool:
        """Whether ``name`` was stated."""
        return name in self._values

    def build(self, *, fetched_at: dt.datetime, url: str | None = None) -> SourceRecord:
        """The ``SourceRecord``, its ``fields`` being exactly the stated names (url: the canonical one)."""
        values = dict(self._values)
        if "titles" in values and "title" in values:
            values["titles"] = tuple(t for t in values["titles"] if t != values["title"])
        if "cross_ids" in values:
            values["cross_ids"] = _unique_ids(values["cross_ids"], besides=self.pid)
        return SourceRecord(
            platform_id=self.pid,
            url=url or canonical_url(self.pid, self.platforms),
            fetched_at=fetched_at,
            fields=frozenset(values),
            **values,
        )
