"""Image input port: what a caller sends as a picture (bytes, an http(s) URL) turned into pixels.

Both ways refuse hostile input with ``core.errors.ImageRejected`` (naming the field and the reason): byte and
pixel caps, accepted formats, malformed files; for URLs, the addresses a server must never be made to
reach (loopback, private networks, cloud metadata), also after each redirect. See SECURITY.md.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from anime_mcp.ports.image_embedder import RgbImage


@runtime_checkable
class ImageInput(Protocol):
    def decode(self, data: bytes, *, field: str = "image") -> RgbImage:
        """The picture in ``data`` as RGB (CPU-bound: call it off the event loop for large files)."""
        ...

    async def fetch(self, url: str, *, field: str = "image_url") -> bytes:
        """The bytes of the picture at a public http(s) URL."""
        ...
