"""The public source toolkit: loaders with size limits, typed errors only, dates, records, its surface."""

from __future__ import annotations

import datetime as dt
import email.utils
from typing import Any

import attrs
import pytest

import anime_mcp.adapters.source_toolkit as toolkit
from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.source_toolkit import (
    PartialDate,
    RecordBuilder,
    date_parts,
    detect_http_error,
    detect_json_error,
    guarded,
    guarded_detector,
    japan_date,
    json_object_or_none,
    load_html,
    load_json,
    load_json_checked,
    load_xml,
    parse_datetime,
    partial_date,
    require_id,
    retry_after,
    season_named,
    season_of,
    status_from_dates,
    structure_list,
    wire_converter,
)
from anime_mcp.core.errors import (
    AuthRequired,
    Blocked,
    NotFound,
    ParseError,
    RateLimited,
    SourceError,
    Unavailable,
)
from anime_mcp.core.models import Season, Status
from anime_mcp.core.platforms import Platform, PlatformId

CHALLENGE = b"<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>cf_chl_opt</body></html>"
NOW = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)


def test_every_public_name_is_listed_and_documented() -> None:
    defined_here = {
        name
        for name, obj in vars(toolkit).items()
        if not name.startswith("_") and getattr(obj, "__module__", None) == toolkit.__name__
    }
    assert defined_here <= set(toolkit.__all__)
    for name in toolkit.__all__:
        obj = getattr(toolkit, name)
        if callable(obj) and name != "Element":
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


# --- JSON -----------------------------------------------------------------------------------------------
def test_json_loads_bytes_and_text() -> None:
    assert load_json(b'{"a": [1, 2]}', source="x") == {"a": [1, 2]}
    assert load_json('{"title": "ü"}', source="x") == {"title": "ü"}


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"a": ', "not valid JSON"),
        (b'{"score": NaN}', "not valid JSON"),
        (b'{"score": Infinity}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b"<html><body>maintenance</body></html>", "HTML page"),
    ],
)
def test_bad_json_is_a_parse_error(body: bytes, why: str) -> None:
    with pytest.raises(ParseError, match=why) as caught:
        load_json(body, source="x")
    assert caught.value.source == "x"


def test_json_size_is_capped_before_decoding() -> None:
    with pytest.raises(ParseError, match="exceeds the 100-byte limit"):
        load_json(b'{"a": "' + b"x" * 200 + b'"}', source="x", max_bytes=100)


def test_a_challenge_page_instead_of_json_is_blocked() -> None:
    with pytest.raises(Blocked, match="Cloudflare"):
        load_json(CHALLENGE, source="x")


def test_json_object_or_none_never_raises() -> None:
    assert json_object_or_none(b' {"error": "x"}', source="x") == {"error": "x"}
    assert json_object_or_none(b"[1]", source="x") is None
    assert json_object_or_none(b"{broken", source="x") is None
    assert json_object_or_none(CHALLENGE, source="x") is None


# --- XML ------------------------------------------------------------------------------------------------
def test_xml_loads_safely() -> None:
    root = load_xml(b'<?xml version="1.0"?><anime id="1"><title>Death Note</title></anime>', source="x")
    assert root.tag == "anime" and root.findtext("title") == "Death Note"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b'<!DOCTYPE x [<!ENTITY a "b"><!ENTITY c "&a;&a;">]><x>&c;</x>', "unsafe"),
        (b'<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>', "unsafe"),
        (b"<a>" * 200 + b"</a>" * 200, "deeper than"),
        (b"<a><b></a>", "malformed"),
        (b"", "empty"),
        (b"<html><body>not xml</body></html>", "HTML page"),
    ],
)
def test_hostile_or_broken_xml_is_a_parse_error(body: bytes, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        load_xml(body, source="x")


def test_xml_size_is_capped() -> None:
    with pytest.raises(ParseError, match="exceeds"):
        load_xml(b"<a>" + b"x" * 2000 + b"</a>", source="x", max_bytes=1000)


def test_a_challenge_page_instead_of_xml_is_blocked() -> None:
    with pytest.raises(Blocked):
        load_xml(CHALLENGE, source="x")


# --- HTML -----------------------------------------------------------------------------------------------
def test_html_loads_as_text() -> None:
    assert "Death Note" in load_html(b"<html><title>Death Note</title></html>", source="x")
    assert load_html(b"<p>caf\xe9</p>", source="x") == "<p>caf\ufffd</p>"


def test_html_limits_and_challenges() -> None:
    with pytest.raises(ParseError, match="exceeds"):
        load_html(b"<html>" + b"x" * 100 + b"</html>", source="x", max_bytes=50)
    with pytest.raises(ParseError, match="empty"):
        load_html(b"  ", source="x")
    with pytest.raises(Blocked):
        load_html(CHALLENGE, source="x")


# --- errors ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b'{"data": {}}', None),
        (200, b"<html><body>a login page</body></html>", ParseError),
        (200, CHALLENGE, Blocked),
        (401, b"", AuthRequired),
        (404, b"Not found", NotFound),
        (429, b"", RateLimited),
        (502, b"", Unavailable),
        (422, b'{"error": "bad"}', ParseError),
    ],
)
def test_detect_http_error_applies_the_one_policy(
    status: int, body: bytes, expected: type[SourceError] | None
) -> None:
    found = detect_http_error(status, body, source="x")
    assert found is None if expected is None else type(found) is expected


def test_detect_http_error_for_html_sources() -> None:
    assert detect_http_error(200, b"<html><body>a page</body></html>", source="x", html_expected=True) is None


def _stated_error(doc: object, *, headers: object = None) -> SourceError | None:
    """A platform's error object: ``{"error": "..."}``; ``headers`` reach it from ``detect_json_error``."""
    if isinstance(doc, dict) and "error" in doc:
        return Unavailable(f"{doc['error']} {headers or ''}".strip(), source="x")
    return None


def _forbidden_means_token(status: int, doc: object, raw: bytes) -> SourceError | None:
    return AuthRequired("check the token", source="x") if status == 403 and isinstance(doc, dict) else None


def test_detect_json_error_reads_the_body_then_the_platform_statuses_then_the_policy() -> None:
    def detect(
        status: int, body: bytes | str, headers: dict[str, str] | None = None, by_status: Any = None
    ) -> SourceError | None:
        return detect_json_error(
            status, body, source="x", document_error=_stated_error, headers=headers, by_status=by_status
        )

    stated = detect(200, b'{"error": "down"}', {"h": "1"})
    assert isinstance(stated, Unavailable) and "down" in str(stated) and "'h'" in str(stated)
    assert detect(200, b'{"data": 1}') is None
    assert detect(200, b"[1, 2]") is None  # not an object: nothing stated
    assert isinstance(detect(403, b'{"data": 1}', None, _forbidden_means_token), AuthRequired)
    assert isinstance(detect(403, b'{"error": "x"}', None, _forbidden_means_token), Unavailable)
    assert isinstance(detect(403, b'{"data": 1}'), Blocked)  # no platform rule: the one policy
    assert isinstance(detect(403, b"not json", None, _forbidden_means_token), Blocked)
    assert isinstance(detect(404, "{broken", None, _forbidden_means_token), NotFound)
    assert isinstance(detect(200, CHALLENGE), Blocked)


def test_load_json_checked_raises_the_stated_error() -> None:
    assert load_json_checked(b'{"data": [1]}', source="x", document_error=_stated_error) == {"data": [1]}
    with pytest.raises(Unavailable, match="down"):
        load_json_checked('{"error": "down"}', source="x", document_error=_stated_error)
    with pytest.raises(ParseError, match="not valid JSON"):
        load_json_checked(b"{", source="x", document_error=_stated_error)


def test_structure_list_reads_arrays_only() -> None:
    @attrs.frozen
    class Item:
        n: int

    converter = wire_converter()
    items = structure_list(converter, [{"n": 1}, {"n": 2}], Item, source="x", not_a_list="want a list")
    assert list(items) == [Item(1), Item(2)]
    with pytest.raises(ParseError, match="want a list"):
        structure_list(converter, {"n": 1}, Item, source="x", not_a_list="want a list")
    lazy = structure_list(converter, [{"n": 1}, "junk"], Item, source="x", not_a_list="want a list")
    assert next(lazy) == Item(1)  # items are structured one by one, as the parser reads them
    with pytest.raises(Exception):  # noqa: B017 - cattrs' own error types; parsers are guarded
        next(lazy)


def test_retry_after_from_headers() -> None:
    clock = VirtualClock(start=NOW)
    date = email.utils.format_datetime(NOW + dt.timedelta(seconds=30), usegmt=True)
    assert retry_after({"Retry-After": "7"}) == 7
    assert retry_after({"retry-after": date}, clock) == 30
    assert retry_after({"retry-after": date}) is None  # a date needs the clock
    assert retry_after(None) is None and retry_after({}) is None
    limited = detect_http_error(429, b"", source="x", headers={"Retry-After": "3"})
    assert isinstance(limited, RateLimited) and limited.retry_after == 3


def test_guards_let_only_typed_errors_out() -> None:
    @guarded("x")
    def parse(body: bytes) -> object:
        if body == b"missing":
            raise NotFound("gone", source="x")
        return {"a": 1}[body.decode()]

    with pytest.raises(ParseError, match="unexpected document shape"):
        parse(b"b")
    with pytest.raises(NotFound):
        parse(b"missing")

    @guarded_detector("x")
    def detect(status: int, body: bytes) -> SourceError | None:
        if status == 404:
            raise NotFound("gone", source="x")
        return None if status == 200 else {"a": None}["b"]  # type: ignore[return-value]

    assert detect(200, b"") is None
    assert isinstance(detect(404, b""), NotFound)
    assert isinstance(detect(500, b""), ParseError)


# --- dates ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2006-10-04", PartialDate(2006, 10, 4)),
        ("2006-10", PartialDate(2006, 10)),
        ("2006", PartialDate(2006)),
        ("2006-10-04T00:00:00+09:00", PartialDate(2006, 10, 4)),
        ("2006-02-30", PartialDate(2006, 2)),  # an impossible day is dropped, the month kept
        ("2006-13-01", PartialDate(2006)),
        ("1066-01-01", None),
        ("soon", None),
        ("", None),
        (None, None),
        (2006, None),
    ],
)
def test_partial_dates(text: object, expected: PartialDate | None) -> None:
    assert partial_date(text) == expected


def test_partial_date_sentinels_and_ranges() -> None:
    assert partial_date("1970-01-01", sentinels=("1970-01-01",)) is None
    assert date_parts(2024, 2, 29) == PartialDate(2024, 2, 29)
    assert date_parts(2023, 2, 29) == PartialDate(2023, 2)
    assert date_parts(True) is None
    feb = PartialDate(2024, 2)
    assert (feb.earliest(), feb.latest(), feb.full) == (dt.date(2024, 2, 1), dt.date(2024, 2, 29), None)
    assert PartialDate(2024).latest() == dt.date(2024, 12, 31)
    assert PartialDate(2024, 12).latest() == dt.date(2024, 12, 31)


def test_timestamps_and_japan_dates() -> None:
    assert parse_datetime("2026-04-05T15:30:00Z") == dt.datetime(2026, 4, 5, 15, 30, tzinfo=dt.UTC)
    assert parse_datetime("2026-04-05T15:30:00") == dt.datetime(2026, 4, 5, 15, 30, tzinfo=dt.UTC)
    assert parse_datetime("0001-01-01T00:00:00Z") is None
    assert parse_datetime("not a date") is None
    assert japan_date("2026-04-05T15:30:00Z") == dt.date(2026, 4, 6)  # 00:30 JST the next day


def test_seasons() -> None:
    assert season_of(PartialDate(2026, 4)) is Season.SPRING
    assert season_of(PartialDate(2026)) is None
    assert season_named("autumn") is Season.FALL
    assert season_named("Winter") is Season.WINTER
    assert season_named("undefined") is None


def test_status_from_dates() -> None:
    today = dt.date(2026, 6, 15)
    assert status_from_dates(PartialDate(2027), None, today) is Status.UPCOMING
    assert status_from_dates(PartialDate(2020, 1, 1), None, today) is Status.ONGOING
    assert status_from_dates(PartialDate(2020, 1, 1), None, today, open_end_means_ongoing=False) is None
    assert status_from_dates(PartialDate(2020, 1, 1), PartialDate(2020, 3, 1), today) is Status.FINISHED
    assert status_from_dates(PartialDate(2026, 1, 1), PartialDate(2026, 6), today) is None


# --- records and wire models ----------------------------------------------------------------------------
def test_record_builder_names_only_what_was_stated() -> None:
    pid = require_id(Platform.KITSU, 1376, source="kitsu")
    record = RecordBuilder(pid)
    record.set("title", "  Death Note ")
    record.set("episodes", None)
    record.set("synopsis", "   ")
    record.set_list("titles", ["Death Note", "デスノート", "デスノート", None])
    record.set_list("studios", ["MADHOUSE", "Madhouse"])
    record.set_list("genres", [])
    built = record.build(fetched_at=NOW)
    assert built.fields == {"title", "titles", "studios", "genres"}
    assert built.title == "Death Note" and built.titles == ("デスノート",)
    assert built.studios == ("MADHOUSE",) and built.genres == ()
    assert built.url == "https://kitsu.app/anime/1376" or built.url.endswith("/anime/1376")
    assert built.platform_id == PlatformId(Platform.KITSU, "1376") and built.fetched_at == NOW


def test_require_id_refuses_junk() -> None:
    with pytest.raises(ParseError, match="no valid mal id"):
        require_id(Platform.MAL, "not-an-id", source="mal")


def test_wire_converter_is_strict() -> None:
    @attrs.frozen
    class Wire:
        start_date: str
        tags: tuple[str, ...] = ()

    converter = wire_converter(rename=toolkit.camel)
    assert converter.structure({"startDate": "2026", "tags": ["a"]}, Wire) == Wire("2026", ("a",))
    with pytest.raises(Exception):  # noqa: B017 - cattrs' own error types; parsers are guarded
        converter.structure({"startDate": "2026", "tags": "ab"}, Wire)
    with pytest.raises(Exception):  # noqa: B017
        converter.structure(["2026"], Wire)


def test_records_and_urls_of_a_platform_a_plugin_declares() -> None:
    from anime_mcp.core.platforms import PlatformSpec

    spec = PlatformSpec(
        "animeflix", "AnimeFlix", r"[1-9][0-9]{0,9}", "https://animeflix.example/anime/{}",
        hosts=("animeflix.example",), url_paths=("/anime/{id}",),
    )  # fmt: skip
    platforms = toolkit.with_platform(spec)
    pid = PlatformId(spec.id, "42")
    builder = toolkit.RecordBuilder(pid, platforms)
    builder.set("title", "Flix")
    record = builder.build(fetched_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert record.url == "https://animeflix.example/anime/42"
    assert toolkit.id_from_url("https://animeflix.example/anime/42", platforms) == pid
    assert toolkit.id_from_url("https://animeflix.example/anime/42") is None  # unknown to the built-ins
