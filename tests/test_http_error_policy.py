"""The one error policy of the HTTP path: status mapping, challenge pages, Retry-After on the Clock port."""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx
import pytest

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http import (
    HttpPolicy,
    HttpRuntime,
    MultiWindowRateLimiter,
    challenge_reason,
    error_for_status,
    looks_like_html,
    make_async_client,
    parse_retry_after,
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
from anime_mcp.ports.source import RateLimit

START = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
CLOUDFLARE = (
    b'<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title></head><body>'
    b"<script>window._cf_chl_opt={cvId:'3'};</script></body></html>"
)
NGINX_403 = (
    b"<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body><center>nginx</center></body></html>"
)


def http_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


# --- the status mapping ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, None),
        (204, None),
        (301, Unavailable),
        (304, Unavailable),
        (400, ParseError),
        (401, AuthRequired),
        (403, Blocked),
        (404, NotFound),
        (405, ParseError),
        (407, AuthRequired),
        (408, Unavailable),
        (409, ParseError),
        (410, NotFound),
        (418, ParseError),
        (422, ParseError),
        (425, Unavailable),
        (429, RateLimited),
        (451, ParseError),
        (500, Unavailable),
        (502, Unavailable),
        (503, Unavailable),
        (504, Unavailable),
        (599, Unavailable),
        (101, Unavailable),
    ],
)
def test_every_status_class_maps_to_one_typed_error(status: int, expected: type[SourceError] | None) -> None:
    error = error_for_status(status, b'{"some": "json"}', source="x", url="https://api.example.test/1")
    if expected is None:
        assert error is None
    else:
        assert type(error) is expected
        assert error.source == "x"
        assert f"HTTP {status}" in str(error) and "https://api.example.test/1" in str(error)


def test_407_names_the_proxy_not_the_sources_credentials() -> None:
    error = error_for_status(407, b"", source="x")
    assert isinstance(error, AuthRequired) and "proxy" in str(error)


def test_429_carries_the_wait_it_was_given() -> None:
    error = error_for_status(429, b"", source="x", retry_after=12.5)
    assert isinstance(error, RateLimited) and error.retry_after == 12.5
    unknown = error_for_status(429, b"", source="x")
    assert isinstance(unknown, RateLimited) and unknown.retry_after is None


def test_403_without_a_challenge_is_blocked_or_bad_credentials_for_token_apis() -> None:
    assert isinstance(error_for_status(403, b'{"error": "forbidden"}', source="x"), Blocked)
    refused = error_for_status(403, b'{"error": "forbidden"}', source="x", forbidden_is_auth=True)
    assert isinstance(refused, AuthRequired)


def test_403_with_a_challenge_body_is_blocked_even_for_token_apis() -> None:
    for forbidden_is_auth in (False, True):
        error = error_for_status(403, CLOUDFLARE, source="x", forbidden_is_auth=forbidden_is_auth)
        assert isinstance(error, Blocked) and "Cloudflare" in str(error)


@pytest.mark.parametrize("status", [200, 403, 429, 503])
def test_a_challenge_page_is_blocked_whatever_the_status(status: int) -> None:
    assert isinstance(error_for_status(status, CLOUDFLARE, source="x"), Blocked)


def test_a_bare_nginx_403_page_is_blocked() -> None:
    assert isinstance(error_for_status(403, NGINX_403, source="x"), Blocked)
    assert isinstance(error_for_status(200, NGINX_403, source="x"), Blocked)


# --- the challenge detector ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "word"),
    [
        (CLOUDFLARE, "Cloudflare"),
        (b"<html><head><title>Attention Required! | Cloudflare</title></head></html>", "Cloudflare"),
        (b"<!doctype html><html><head><title>DDoS-Guard</title></head></html>", "DDoS-Guard"),
        (b"<html><head><title>AniDB AntiLeech</title></head></html>", "AntiLeech"),
        (b"<html><head><title>Access Denied</title></head></html>", "Access denied"),
        (NGINX_403, "403 Forbidden"),
        (b'<html><body><div id="challenge-form"></div></body></html>', "challenge form"),
        (b"<html><script src='/cdn-cgi/challenge-platform/h/b/orchestrate'></script></html>", "Cloudflare"),
        (b'<div class="cf-browser-verification">checking</div>', "browser check"),
        (b"<error>Banned</error>", "banned"),
        (b'<?xml version="1.0"?><error code="500">banned</error>', "banned"),
    ],
)
def test_challenge_pages_are_recognised_with_a_reason(body: bytes, word: str) -> None:
    reason = challenge_reason(body)
    assert reason is not None and word.lower() in reason.lower()


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b'{"data": {"title": "Just a moment"}}',
        b"<html><head><title>Death Note - AniDB</title></head><body>Just a moment</body></html>",
        # an XML <title> is an anime's title: "Access Denied" may be one
        b'<anime id="1"><titles><title xml:lang="en" type="official">Access Denied</title></titles></anime>',
        b"<ann><anime id='1' name='Just a moment'/></ann>",
    ],
)
def test_data_is_not_a_challenge(body: bytes) -> None:
    assert challenge_reason(body) is None


def test_only_the_head_of_a_body_is_scanned() -> None:
    assert challenge_reason(b"<data>" + b" " * 70_000 + b"cf_chl_opt</data>") is None


def test_html_is_recognised_by_its_start() -> None:
    assert looks_like_html(b"\xef\xbb\xbf  <!DOCTYPE html><html></html>")
    assert looks_like_html(b"<HTML><body></body></HTML>")
    assert looks_like_html(b"<?xml version='1.0'?>\n<html xmlns='http://www.w3.org/1999/xhtml'></html>")
    assert not looks_like_html(b'<?xml version="1.0"?><anime/>')
    assert not looks_like_html(b'{"html": "<html>"}' + b" " * 300)


# --- Retry-After on the Clock port ----------------------------------------------------------------------
def test_retry_after_reads_delta_seconds() -> None:
    clock = VirtualClock(start=START)
    assert parse_retry_after("120", clock) == 120
    assert parse_retry_after(" 1.5 ", clock) == 1.5
    assert parse_retry_after("-5", clock) == 0
    assert parse_retry_after("120", None) == 120


@pytest.mark.parametrize("value", [None, "", "   ", "soon", "nan", "inf", "Mon, 99 Foo 2026 00:00:00 GMT"])
def test_retry_after_ignores_what_it_cannot_read(value: str | None) -> None:
    assert parse_retry_after(value, VirtualClock(start=START)) is None


def test_retry_after_http_dates_are_measured_from_the_clock_not_the_system_time() -> None:
    clock = VirtualClock(start=START)  # years away from the real date: a system-time reading would be off
    assert parse_retry_after(http_date(START + dt.timedelta(seconds=90)), clock) == 90
    assert parse_retry_after(http_date(START - dt.timedelta(seconds=90)), clock) == 0


@pytest.mark.anyio
async def test_retry_after_dates_follow_the_virtual_clock_as_it_moves() -> None:
    clock = VirtualClock(start=START, autojump=False)
    value = http_date(START + dt.timedelta(seconds=300))
    clock.advance(120)
    assert parse_retry_after(value, clock) == 180
    clock.advance(400)
    assert parse_retry_after(value, clock) == 0


def test_retry_after_dates_need_a_clock() -> None:
    assert parse_retry_after(http_date(START), None) is None


def test_the_rate_limiter_reads_http_dates_on_its_clock() -> None:
    clock = VirtualClock(start=START)
    limiter = MultiWindowRateLimiter([RateLimit(10, 1)], clock)
    wait = limiter.observe(429, {"retry-after": http_date(START + dt.timedelta(seconds=45))})
    assert wait == 45
    assert limiter.state()["blocked_for"] == 45


@pytest.mark.anyio
async def test_the_http_client_fills_in_an_http_date_wait_the_detector_could_not_read() -> None:
    clock = VirtualClock(start=START)
    later = http_date(START + dt.timedelta(seconds=30))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"retry-after": later}, content=b'{"error": "slow down"}')

    def detect(status: int, body: bytes, headers: object) -> SourceError | None:
        return RateLimited("slow down", source="x") if status == 429 else None

    runtime = HttpRuntime(client=make_async_client(httpx.MockTransport(handler)), clock=clock, env={})
    http = runtime.http("x", HttpPolicy(max_retries=0))
    with pytest.raises(RateLimited) as caught:
        await http.get("https://api.example.test/1", detect_error=detect)
    assert caught.value.retry_after == 30
    await runtime.aclose()
