"""The SSRF guard of image URLs, without a server: every refused target is refused before any connection
(the addresses are literal, or come from an injected resolver), and non-http(s) schemes never get that far.
The redirect, content-type, size and timeout checks against a real local server are in
tests/test_image_fetch_server.py."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import anyio
import pytest

from anime_mcp.adapters.image_fetch import GuardedImageInput, blocked_reason
from anime_mcp.core.errors import ImageRejected


def refusal(url: str, guard: GuardedImageInput | None = None) -> ImageRejected:
    async def fetch() -> bytes:
        return await (guard or GuardedImageInput(timeout=2.0)).fetch(url)

    with pytest.raises(ImageRejected) as refused:
        anyio.run(fetch)
    assert refused.value.field == "image_url"
    return refused.value


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1/poster.png", "loopback"),
        ("http://127.1.2.3:8080/x.png", "loopback"),
        ("http://[::1]/poster.png", "loopback"),
        ("http://10.0.0.1/poster.png", "private"),
        ("http://192.168.1.10/poster.png", "private"),
        ("http://172.16.0.5/poster.png", "private"),
        ("http://169.254.169.254/latest/meta-data/", "metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "metadata"),
        ("http://100.64.0.1/poster.png", "carrier-grade NAT"),
        ("http://0.0.0.0/poster.png", "unspecified"),
        ("http://224.0.0.1/poster.png", "multicast"),
        ("http://[fe80::1]/poster.png", "link-local"),
        ("http://[::ffff:127.0.0.1]/poster.png", "inside an IPv6 address"),
        ("http://[64:ff9b::a00:1]/poster.png", "inside an IPv6 address"),
        ("http://[2002:7f00:1::]/poster.png", "inside an IPv6 address"),
        ("http://240.0.0.1/poster.png", "reserved"),
        ("http://2130706433/poster.png", "loopback"),  # 127.0.0.1 as one integer, resolved by the system
    ],
)
def test_non_public_targets_are_refused(url: str, why: str) -> None:
    refused = refusal(url)
    assert refused.reason == "blocked_address", refused
    assert why in str(refused) and "only public http(s) addresses" in str(refused)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.org/poster.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "gopher://example.org/",
        "javascript:alert(1)",
        "/relative/poster.png",
        "http://user:secret@example.org/poster.png",
        "http:///no-host",
    ],
)
def test_non_http_urls_and_urls_with_credentials_are_refused(url: str) -> None:
    assert refusal(url).reason == "bad_url"


def test_localhost_by_name_is_refused() -> None:
    assert refusal("http://localhost:9/poster.png").reason == "blocked_address"


def test_a_name_with_any_private_address_is_refused() -> None:
    """A name answering one public and one private address is refused whole: the connection could use
    either, and a rebinding DNS server answers exactly that way."""
    asked: list[tuple[str, int]] = []

    async def resolver(host: str, port: int) -> Sequence[str]:
        asked.append((host, port))
        return ["93.184.216.34", "10.1.2.3"]

    refused = refusal("https://posters.example:8443/a.png", GuardedImageInput(resolver=resolver))
    assert refused.reason == "blocked_address" and "10.1.2.3" in str(refused)
    assert asked == [("posters.example", 8443)]


def test_unresolvable_names_are_a_fetch_failure_not_a_crash() -> None:
    async def resolver(host: str, port: int) -> Sequence[str]:
        raise OSError(-2, "Name or service not known")

    refused = refusal("http://nowhere.invalid/a.png", GuardedImageInput(resolver=resolver))
    assert refused.reason == "fetch_failed" and "cannot resolve" in str(refused)


def test_the_loopback_switch_is_off_by_default() -> None:
    assert GuardedImageInput().allow_loopback is False


@pytest.mark.parametrize(
    "address", ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8", "1.1.1.1"]
)
def test_public_addresses_pass(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None
