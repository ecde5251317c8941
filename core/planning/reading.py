"""One question being read: the text, its tokens, which parts are already understood, and the plan so far."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from attrs import define, field

from anime_mcp.core.planning.model import PlanTitle
from anime_mcp.core.planning.text import Token, lower, tokenize


@define
class Draft:
    """The plan under construction: mutable while one question is read, frozen into a QueryPlan at the end."""

    titles: list[PlanTitle] = field(factory=list)
    year_min: int | None = None
    year_max: int | None = None
    season: str | None = None
    types: list[str] = field(factory=list)
    statuses: list[str] = field(factory=list)
    include_tags: list[str] = field(factory=list)
    any_tags: list[str] = field(factory=list)
    exclude_tags: list[str] = field(factory=list)
    studios: list[str] = field(factory=list)
    episodes_min: int | None = None
    episodes_max: int | None = None
    score_min: float | None = None
    exclude_titles: list[str] = field(factory=list)
    source_material: list[str] = field(factory=list)
    sources: list[str] = field(factory=list)
    fields: list[str] = field(factory=list)
    platforms: list[str] = field(factory=list)
    region: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    timezone: str | None = None
    language: str | None = None
    sort: str | None = None
    limit: int | None = None
    references: int = 0  # ids and URLs written in the question
    all_sources: bool = False
    short: bool = False  # "short" with no episode count
    title_years: set[int] = field(factory=set)  # years that qualify a title ("Fullmetal Alchemist 2003")


def add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


@define
class Reading:
    text: str
    low: str
    tokens: tuple[Token, ...]
    today: dt.date  # in the question's time zone
    draft: Draft = field(factory=Draft)
    _claimed: list[tuple[int, int]] = field(factory=list)

    @classmethod
    def of(cls, text: str, today: dt.date) -> Reading:
        return cls(text, lower(text), tokenize(text), today)

    def free(self, start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e in self._claimed)

    def claim(self, start: int, end: int) -> None:
        self._claimed.append((start, end))

    def within_claimed(self, start: int, end: int) -> bool:
        """Whether ``start:end`` lies inside one span understood already (a word of a title found)."""
        return any(s <= start and end <= e for s, e in self._claimed)

    def claimed(self, token: Token) -> bool:
        return not self.free(token.start, token.end)

    def matches(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Matches of ``pattern`` in the lower-cased text that touch nothing understood yet."""
        for match in pattern.finditer(self.low):
            if match.end() > match.start() and self.free(match.start(), match.end()):
                yield match

    def take(self, pattern: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """Like ``matches``, claiming each match as it is handed out."""
        for match in self.matches(pattern):
            if self.free(match.start(), match.end()):
                self.claim(match.start(), match.end())
                yield match

    def free_tokens(self) -> list[Token]:
        return [t for t in self.tokens if not self.claimed(t)]

    def index_at(self, offset: int) -> int:
        """The index of the first token starting at or after ``offset``."""
        for i, token in enumerate(self.tokens):
            if token.start >= offset:
                return i
        return len(self.tokens)
