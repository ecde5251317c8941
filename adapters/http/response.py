"""An upstream answer as an immutable value: safe to share between coalesced callers and to cache."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from anime_mcp.core.errors import ParseError

__all__ = ["HttpResponse"]


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@frozen
class HttpResponse:
    status: int
    url: str
    content: bytes
    headers: Mapping[str, str] = field(factory=dict, converter=_lower_keys)  # lower-case names
    from_cache: bool = False
    # Served from the cache: how old the stored answer is (seconds), and whether it was past its lifetime
    # (stale-while-error: served only because the upstream failed). Provenance can carry both.
    age_seconds: float | None = None
    stale: bool = False
    # When the stored copy of this answer stops being fresh (epoch seconds on the client's clock); None: the
    # answer is not in the cache (not cacheable, or not stored). Lets a parsed record live as long.
    fresh_until: float | None = None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def text(self) -> str:
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            name, _, value = part.partition("=")
            if name.strip().lower() == "charset" and value.strip():
                charset = value.strip().strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")

    def json(self, *, source: str = "") -> Any:
        try:
            return json.loads(self.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(
                f"expected JSON from {self.url}, got {self.content_type or 'no content type'}: {exc}",
                source=source,
            ) from None
