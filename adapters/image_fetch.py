"""Fetching a picture from a URL a caller names, without letting the caller aim the server at its own network.

A URL in a tool call is input from anyone who can reach the API, so before each request (the first and
every redirect):

- only ``http``/``https`` URLs without credentials are accepted (no ``file:``, ``ftp:``, ``data:`` ...);
- the host is resolved here, and every address it resolves to must be public: loopback, private (RFC 1918,
  ULA), link-local, CGNAT, multicast, reserved, unspecified and the cloud metadata addresses are refused,
  also when hidden in an IPv4-mapped, NAT64, 6to4 or Teredo IPv6 address;
- the connection goes to the address that was checked (the URL's host swapped for it, ``Host`` and TLS SNI
  kept as the name), so DNS cannot answer differently the second time (rebinding);
- redirects are followed here, at most ``max_redirects``, each hop checked again;
- no proxy from the environment (it would resolve the name itself);
- the answer must say ``Content-Type: image/*``; its body is capped while it streams; one deadline covers
  the whole fetch.

``allow_loopback`` lets the URL a test names be a local server; redirects are never allowed to loopback,
and nothing sets it outside tests.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import anyio

from anime_mcp.adapters.image_decoding import MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, decode_image
from anime_mcp.core.errors import ImageRejected
from anime_mcp.ports.image_embedder import RgbImage

# httpx is imported where a picture is fetched: bootstrap makes this adapter for every command, and the start
# of `anime-mcp mcp` (its first search within a second) must not pay for the HTTP stack.
if TYPE_CHECKING:
    import httpx

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

FETCH_TIMEOUT = 10.0  # seconds for the whole fetch, redirects included
MAX_REDIRECTS = 3
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Addresses that ``is_global`` alone does not catch everywhere, named so a reader sees them refused.
METADATA = frozenset(ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200"))
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")

__all__ = ["FETCH_TIMEOUT", "MAX_REDIRECTS", "GuardedImageInput", "blocked_reason"]


def blocked_reason(address: IpAddress) -> str | None:
    """Why a server must not connect to ``address`` ("loopback", "private", ...), or None when public."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = (
            address.ipv4_mapped or (address.sixtofour) or (address.teredo[1] if address.teredo else None)
        )
        if address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = blocked_reason(embedded)
            return f"{inner} (inside an IPv6 address)" if inner else None
    checks = (
        (address in METADATA, "a cloud metadata address"),
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "carrier-grade NAT"),
        (address.is_reserved, "reserved"),
        (address.is_private, "a private network"),
        (not address.is_global, "not a public address"),
    )
    return next((why for refused, why in checks if refused), None)


async def system_resolver(host: str, port: int) -> Sequence[str]:
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class GuardedImageInput:
    """``ImageInput`` with Pillow decoding (``image_decoding``) and the guarded fetch described above."""

    def __init__(
        self,
        *,
        max_bytes: int = MAX_IMAGE_BYTES,
        max_pixels: int = MAX_IMAGE_PIXELS,
        timeout: float = FETCH_TIMEOUT,
        max_redirects: int = MAX_REDIRECTS,
        allow_loopback: bool = False,  # tests only: the first URL may name a local server
        resolver: Resolver = system_resolver,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.timeout = timeout
        self.max_redirects = max_redirects
        self.allow_loopback = allow_loopback
        self._resolve = resolver
        self._tls: ssl.SSLContext | None = None

    def decode(self, data: bytes, *, field: str = "image") -> RgbImage:
        return decode_image(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels, field=field)

    async def fetch(self, url: str, *, field: str = "image_url") -> bytes:
        try:
            with anyio.fail_after(self.timeout):
                return await self._follow(url, field)
        except TimeoutError:
            raise ImageRejected(
                "timeout",
                f"the picture did not arrive within {self.timeout:g} s; send it as base64",
                field=field,
            ) from None

    async def _follow(self, url: str, field: str) -> bytes:
        import httpx

        if self._tls is None:
            self._tls = ssl.create_default_context()
        async with httpx.AsyncClient(
            verify=self._tls, trust_env=False, follow_redirects=False, timeout=self.timeout
        ) as client:
            current = _parse(url, field)
            for hop in range(self.max_redirects + 1):
                pinned, headers, extensions = await self._pin(current, field, first=hop == 0)
                request = client.build_request("GET", pinned, headers=headers, extensions=extensions)
                try:
                    response = await client.send(request, stream=True)
                except httpx.HTTPError as exc:
                    raise ImageRejected(
                        "fetch_failed",
                        f"could not fetch {_shown(current)}: {type(exc).__name__}",
                        field=field,
                    ) from None
                try:
                    if response.status_code in REDIRECTS and "location" in response.headers:
                        current = _parse(str(current.join(response.headers["location"])), field)
                        continue
                    return await self._body(response, current, field)
                finally:
                    await response.aclose()
        raise ImageRejected(
            "too_many_redirects",
            f"{_shown(url)} redirects more than {self.max_redirects} times; send the picture's own URL",
            field=field,
        )

    async def _pin(
        self, url: httpx.URL, field: str, *, first: bool
    ) -> tuple[httpx.URL, dict[str, str], dict[str, object]]:
        """The URL with its host replaced by a checked address, and the Host header and SNI to send."""
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            literal: IpAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        try:
            found = [str(literal)] if literal is not None else await self._resolve(host, port)
        except OSError as exc:
            raise ImageRejected(
                "fetch_failed", f"cannot resolve {host!r} ({exc.strerror or exc}); check the URL", field=field
            ) from None
        addresses = [ipaddress.ip_address(a.split("%")[0]) for a in found]
        if not addresses:
            raise ImageRejected(
                "fetch_failed", f"{host!r} resolves to no address; check the URL", field=field
            )
        for address in addresses:  # every one: a name with one public and one private address is refused
            why = blocked_reason(address)
            if why and not (first and self.allow_loopback and address.is_loopback):
                raise ImageRejected(
                    "blocked_address",
                    f"{_shown(url)} leads to {address}, {why}; only public http(s) addresses are fetched",
                    field=field,
                )
        netloc = host if url.port is None else f"{host}:{url.port}"
        headers = {
            "Host": netloc,
            "Accept": "image/*",
            "Accept-Encoding": "identity",  # the cap counts bytes as they arrive, never a gzip bomb's output
            "User-Agent": "anime-mcp image search",
        }
        extensions: dict[str, object] = {"sni_hostname": host} if url.scheme == "https" else {}
        return url.copy_with(host=str(addresses[0])), headers, extensions

    async def _body(self, response: httpx.Response, url: httpx.URL, field: str) -> bytes:
        if response.status_code != 200:
            raise ImageRejected(
                "fetch_failed",
                f"{_shown(url)} answered HTTP {response.status_code}; check the URL",
                field=field,
            )
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if not kind.startswith("image/"):
            raise ImageRejected(
                "not_an_image",
                f"{_shown(url)} is {kind or 'of no stated type'}, not image/*; link the picture itself",
                field=field,
            )
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise ImageRejected(
                "fetch_failed",
                f"{_shown(url)} came {encoding}-encoded; link an uncompressed picture",
                field=field,
            )
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_bytes:
            raise self._too_large(url, field)
        body = bytearray()
        async for chunk in response.aiter_raw():
            body += chunk
            if len(body) > self.max_bytes:
                raise self._too_large(url, field)
        return bytes(body)

    def _too_large(self, url: httpx.URL, field: str) -> ImageRejected:
        return ImageRejected(
            "too_large",
            f"{_shown(url)} is larger than {self.max_bytes:,} bytes; send a smaller picture",
            field=field,
        )


def _parse(url: str, field: str) -> httpx.URL:
    import httpx

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        raise ImageRejected(
            "bad_url", f"{_shown(url)} is not a URL; send an http(s) URL", field=field
        ) from None
    if parsed.scheme not in ("http", "https"):
        raise ImageRejected(
            "bad_url",
            f"only http and https URLs are fetched, not {parsed.scheme or 'a relative URL'}:; "
            "send the picture itself as base64 in 'image'",
            field=field,
        )
    if not parsed.host:
        raise ImageRejected("bad_url", f"{_shown(url)} names no host", field=field)
    if parsed.userinfo:
        raise ImageRejected("bad_url", "URLs with a user name or password are not fetched", field=field)
    return parsed


def _shown(url: object) -> str:
    text = str(url)
    return repr(text if len(text) <= 120 else text[:117] + "...")
