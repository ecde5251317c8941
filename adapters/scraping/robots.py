"""robots.txt rules for one site, read with ``urllib.robotparser`` (pure: no I/O here).

``RobotsRules.parse(text)`` reads a robots.txt body; ``allows(url, user_agent)`` answers for our
User-Agent (robotparser matches the product token before the first ``/``, so ``anime-mcp/0.1 (...)`` is
governed by ``User-agent: anime-mcp`` groups and else by ``*``). A missing robots.txt (404/410) allows
everything (RFC 9309, 2.3.1.3); bodies past ``MAX_ROBOTS_BYTES`` are cut there, as RFC 9309 lets crawlers do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from attrs import field, frozen

# urllib.robotparser (and through it urllib.request, http.client, email) is imported when a robots.txt is
# read: the scraped sources load at every start, and the start of `anime-mcp mcp` (its first search within a
# second) reads none.
if TYPE_CHECKING:
    from urllib.robotparser import RobotFileParser

__all__ = ["MAX_ROBOTS_BYTES", "RobotsRules"]

MAX_ROBOTS_BYTES = 512 * 1024  # RFC 9309: at least 500 KiB must be parsed; more may be ignored


@frozen
class RobotsRules:
    text: str  # the robots.txt as read ("" when the site has none: everything is allowed)
    _parser: RobotFileParser = field(eq=False, repr=False)

    @classmethod
    def parse(cls, body: bytes | str) -> RobotsRules:
        raw = body.encode("utf-8", "replace") if isinstance(body, str) else body
        text = raw[:MAX_ROBOTS_BYTES].decode("utf-8", "replace").lstrip("\ufeff")
        from urllib.robotparser import RobotFileParser

        parser = RobotFileParser()
        parser.parse(text.splitlines())  # also marks the parser as read (else it refuses everything)
        return cls(text, parser)

    @classmethod
    def allow_all(cls) -> RobotsRules:
        return cls.parse("")

    def allows(self, url: str, user_agent: str) -> bool:
        return self._parser.can_fetch(user_agent, url)

    def crawl_delay(self, user_agent: str) -> float | None:
        """The ``Crawl-delay`` the site asks of ``user_agent`` (seconds), if any."""
        delay = self._parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None
