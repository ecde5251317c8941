"""Years, seasons and days in plain words, resolved against "now" in the question's time zone.

A year window goes to ``year_min``/``year_max``; a season to ``season`` (with its year); a day or a run of
days to ``date_from``/``date_to``. "after 2010" starts in 2011, "before 2000" ends in 1999, "2010ish" and
"around 2010" are 2008-2012, a childhood is ages 6 to 14.
"""

from __future__ import annotations

import datetime as dt
import re

from anime_mcp.core.planning.lexicon import NUMBER_WORDS
from anime_mcp.core.planning.reading import Reading

_Y = r"((?:19|20)\d{2})"
_DASH = r"\s*(?:-|–|—|to|until|till|through|thru|and)\s*"
_SEASONS = {"winter": "WINTER", "spring": "SPRING", "summer": "SUMMER", "fall": "FALL", "autumn": "FALL"}
_SEASON_ORDER = ("WINTER", "SPRING", "SUMMER", "FALL")
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTH_SHORT = {m[:3]: i + 1 for i, m in enumerate(_MONTHS)} | {"sept": 9}
_DECADE_WORDS = {"sixties": 1960, "seventies": 1970, "eighties": 1980, "nineties": 1990}
_COUNT = r"(\d{1,2}|" + "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True)) + ")"

CHILDHOOD = re.compile(
    r"\b(?:my childhood|childhood|when i was (?:a )?(?:kid|child|little|young|younger)|growing up|"
    r"grew up (?:with|on|watching)|as a (?:kid|child)|i watched as a kid|nostalgi[ac]\w*)\b"
)
BORN = re.compile(r"\b(?:born (?:in )?(?:the year )?" + _Y + r"|i(?:'m| am) (\d{1,2})(?: years old| yo)?)\b")
RANGE = re.compile(r"\b(?:between|from)\s+(?:the years?\s+)?" + _Y + _DASH + _Y + r"\b")
BARE_RANGE = re.compile(r"\b" + _Y + r"\s*(?:-|–|—|to|until|till|through|thru)\s*" + _Y + r"\b")
DECADE = re.compile(
    r"(?<![\w'’])(?:(early|mid|late)[\s-]+)?(?:the\s+)?['’]?((?:19|20)?\d0)['’]?s\b|"
    r"\b(?:(early|mid|late)[\s-]+)?(?:the\s+)?(sixties|seventies|eighties|nineties)\b"
)
AROUND = re.compile(
    r"(?:\b(?:around|circa|about|approximately|roughly|approx\.?|ca\.|c\.|somewhere around)\s*|~\s*)"
    + _Y
    + r"\b|\b"
    + _Y
    + r"\s*-?\s*(?:ish|or so)\b"
)
AFTER = re.compile(r"\b(after|post|newer than|later than|since|starting(?: in| from)?)\s*-?\s*" + _Y + r"\b")
BEFORE = re.compile(
    r"\b(before|pre|prior to|older than|earlier than|until|till|up to|through)\s*-?\s*" + _Y + r"\b"
)
AGO = re.compile(r"\b(about |around |roughly )?(" + _COUNT[1:-1] + r"|a) (years?|decades?) ago\b")
LAST_YEARS = re.compile(
    r"\b(?:last|past|previous|recent)\s+" + _COUNT + r"\s+years\b|\b(?:last|past) decade\b"
)
NAMED_YEAR = re.compile(r"\b(this|last|next|past) year\b")
SEASON_YEAR = re.compile(
    r"\b(winter|spring|summer|fall|autumn)\s*(?:season\s*)?(?:of\s*)?(?:"
    + _Y
    + r"|['’](\d{2}))\b|\b"
    + _Y
    + r"\s+(winter|spring|summer|fall|autumn)\b"
)
SEASON_RELATIVE = re.compile(
    r"\b(this|current|last|previous|next|upcoming|coming)\s+(?:anime\s+)?"
    r"(season|cour|winter|spring|summer|fall|autumn)\b|\b(?:season|seasonal) (now|right now)\b"
)
MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r")\s+(?:of\s+)?" + _Y + r"\b")
YEAR = re.compile(r"(?<![\w.:/-])" + _Y + r"(?![\w:/]|\.\d)")
RECENT = re.compile(r"\b(recent|recently|modern|current|contemporary|nowadays|these days)\b")
OLD = re.compile(r"\b(old|older|classic|classics|retro|old[- ]school|vintage|oldies)\b")

ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
MONTH_DAY = re.compile(
    r"\b(" + "|".join(_MONTHS + list(_MONTH_SHORT)) + r")\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b|"
    r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(" + "|".join(_MONTHS + list(_MONTH_SHORT)) + r")\b"
)
DAY_WORD = re.compile(r"\b(day after tomorrow|today|tonight|this evening|tomorrow|yesterday)\b")
WEEKDAY = re.compile(r"\b(?:(next|last|this|coming|on)\s+)?(" + "|".join(_WEEKDAYS) + r")(?:['’]?s)?\b")
WEEK = re.compile(r"\b(this|next|last|past|coming|the)\s+(week|weekend|month)\b|\bweekend\b")
IN_DAYS = re.compile(r"\b(?:in|within|next|over the next|coming)\s+" + _COUNT + r"\s+days\b")


def _number(word: str) -> int:
    return int(word) if word.isdigit() else NUMBER_WORDS.get(word, 1)


def _set_years(reading: Reading, low: int | None, high: int | None) -> None:
    draft = reading.draft
    if draft.year_min is None and draft.year_max is None:
        draft.year_min, draft.year_max = low, high


def _plausible(year: int, now: dt.date) -> bool:
    return 1910 <= year <= now.year + 10


def season_of(day: dt.date) -> tuple[str, int]:
    """The anime season a day falls in: winter is January to March, and so on."""
    return _SEASON_ORDER[(day.month - 1) // 3], day.year


def _shift_season(season: str, year: int, step: int) -> tuple[str, int]:
    index = _SEASON_ORDER.index(season) + step
    return _SEASON_ORDER[index % 4], year + index // 4


def _read_childhood_and_ranges(reading: Reading) -> None:
    today = reading.today
    born = next(reading.take(BORN), None)
    for _ in reading.take(CHILDHOOD):
        if born is not None and born.group(1):
            birth = int(born.group(1))
        elif born is not None:
            birth = today.year - int(born.group(2))
        else:
            birth = today.year - 28  # no birth year said: a typical adult asker
        _set_years(reading, birth + 6, birth + 14)
    for match in reading.take(RANGE):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        _set_years(reading, low, high)
    for match in reading.take(BARE_RANGE):
        low, high = sorted((int(match.group(1)), int(match.group(2))))
        _set_years(reading, low, high)


def _read_seasons(reading: Reading) -> None:
    today = reading.today
    draft = reading.draft
    for match in reading.take(SEASON_YEAR):
        word = match.group(1) or match.group(5)
        year_text = match.group(2) or match.group(4)
        year = int(year_text) if year_text else 2000 + int(match.group(3))
        if year_text is None and year > today.year + 5:
            year -= 100
        if draft.season is None:
            draft.season = _SEASONS[word]
        _set_years(reading, year, year)
    for match in reading.take(SEASON_RELATIVE):
        which, word = match.group(1) or "this", match.group(2) or "season"
        season, year = season_of(today)
        step = {"last": -1, "previous": -1, "next": 1, "upcoming": 1, "coming": 1}.get(which, 0)
        if word in ("season", "cour"):
            season, year = _shift_season(season, year, step)
        else:
            season = _SEASONS[word]
            year += step
            if which in ("next", "upcoming", "coming") and _SEASON_ORDER.index(season) > _SEASON_ORDER.index(
                season_of(today)[0]
            ):
                year -= 1  # "next summer" in spring is this year's
            if which in ("last", "previous") and _SEASON_ORDER.index(season) < _SEASON_ORDER.index(
                season_of(today)[0]
            ):
                year += 1  # "last spring" in autumn is this year's
        if draft.season is None:
            draft.season = season
        _set_years(reading, year, year)
    for match in reading.take(MONTH_YEAR):
        year = int(match.group(2))
        if draft.season is None:
            draft.season = _SEASON_ORDER[_MONTHS.index(match.group(1)) // 3]
        _set_years(reading, year, year)


def _read_windows(reading: Reading) -> None:
    draft = reading.draft
    for match in reading.take(DECADE):
        if match.group(4):
            start, part = _DECADE_WORDS[match.group(4)], match.group(3)
        else:
            digits, part = match.group(2), match.group(1)
            if len(digits) == 2:
                before = reading.low[max(0, match.start() - 6) : match.start()]
                if re.search(r"\b(my|your|his|her|their|our|in)\s*$", before) and digits in (
                    "20",
                    "30",
                    "40",
                ):
                    continue  # "in my 20s" is an age
                start = (1900 if int(digits) >= 30 else 2000) + int(digits)
            else:
                start = int(digits)
        low, high = {"early": (0, 3), "mid": (3, 6), "late": (6, 9)}.get(part or "", (0, 9))
        _set_years(reading, start + low, start + high)
    for match in reading.take(AROUND):
        year = int(match.group(1) or match.group(2))
        _set_years(reading, year - 2, year + 2)
    for match in reading.take(AFTER):
        year = int(match.group(2))
        first = year if match.group(1).startswith(("since", "starting")) else year + 1
        if draft.year_min is None:
            draft.year_min = first
    for match in reading.take(BEFORE):
        year = int(match.group(2))
        last = (
            year - 1
            if match.group(1) in ("before", "pre", "prior to", "older than", "earlier than")
            else year
        )
        if draft.year_max is None:
            draft.year_max = last


def _read_relative_years(reading: Reading) -> None:
    today = reading.today
    for match in reading.take(AGO):
        count = 1 if match.group(2) == "a" else _number(match.group(2))
        span = count * (10 if match.group(3).startswith("decade") else 1)
        slack = 2 if match.group(3).startswith("decade") else (1 if match.group(1) else 0)
        _set_years(reading, today.year - span - slack, today.year - span + slack)
    for match in reading.take(LAST_YEARS):
        count = _number(match.group(1)) if match.group(1) else 10
        _set_years(reading, today.year - count, today.year)
    for match in reading.take(NAMED_YEAR):
        step = {"this": 0, "last": -1, "past": -1, "next": 1}[match.group(1)]
        _set_years(reading, today.year + step, today.year + step)


def _read_bare_years(reading: Reading) -> None:
    today = reading.today
    draft = reading.draft
    years = [
        (m, int(m.group(1)))
        for m in reading.matches(YEAR)
        if _plausible(int(m.group(1)), today) and int(m.group(1)) not in draft.title_years
    ]
    for match, year in years:
        reading.claim(match.start(), match.end())
        before = reading.low[max(0, match.start() - 12) : match.start()]
        if re.search(r"\b(?:since|from)\s*$", before) and draft.year_min is None and len(years) == 1:
            _set_years(reading, year, year)
        else:
            _set_years(reading, year, year)
            if draft.year_min is not None and draft.year_max is not None:
                draft.year_min, draft.year_max = min(draft.year_min, year), max(draft.year_max, year)
    if draft.year_min is None and draft.year_max is None:
        if next(reading.take(RECENT), None) is not None:
            draft.year_min = today.year - 3
        elif next(reading.take(OLD), None) is not None:
            draft.year_max = today.year - 20


def read_years(reading: Reading) -> None:
    """Year windows and seasons, most specific wording first (a childhood before its birth year, a range
    before the years in it, a season's year before a bare year)."""
    for read in (
        _read_childhood_and_ranges,
        _read_seasons,
        _read_windows,
        _read_relative_years,
        _read_bare_years,
    ):
        read(reading)


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def read_days(reading: Reading) -> None:
    today = reading.today
    draft = reading.draft

    def put(first: dt.date, last: dt.date | None = None) -> None:
        if draft.date_from is None:
            draft.date_from, draft.date_to = first, last or first

    for match in reading.take(ISO_DAY):
        try:
            put(dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
        except ValueError:
            continue
    for match in reading.take(MONTH_DAY):
        month_word = (match.group(1) or match.group(4))[:3]
        day = int(match.group(2) or match.group(3))
        try:
            put(dt.date(today.year, _MONTH_SHORT[month_word], day))
        except (ValueError, KeyError):
            continue
    for match in reading.take(DAY_WORD):
        word = match.group(1)
        offset = {"tomorrow": 1, "yesterday": -1, "day after tomorrow": 2}.get(word, 0)
        put(today + dt.timedelta(days=offset))
    for match in reading.take(WEEKDAY):
        which, weekday = match.group(1), _WEEKDAYS.index(match.group(2))
        ahead = (weekday - today.weekday()) % 7
        if which == "last":
            ahead = ahead - 7 if ahead else -7
        elif which == "next" and ahead == 0:
            ahead = 7
        put(today + dt.timedelta(days=ahead))
    for match in reading.take(WEEK):
        which, unit = (match.group(1) or "this"), (match.group(2) or "weekend")
        step = {"next": 1, "coming": 1, "last": -1, "past": -1}.get(which, 0)
        if unit == "month":
            month = (today.month - 1 + step) % 12 + 1
            year = today.year + (today.month - 1 + step) // 12
            first = dt.date(year, month, 1)
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            put(first, following - dt.timedelta(days=1))
        elif unit == "week":
            if which == "past":
                put(today - dt.timedelta(days=7), today)
            else:
                start = _week_start(today) + dt.timedelta(weeks=step)
                put(start, start + dt.timedelta(days=6))
        else:
            saturday = _week_start(today) + dt.timedelta(days=5, weeks=step)
            put(saturday, saturday + dt.timedelta(days=1))
    for match in reading.take(IN_DAYS):
        put(today, today + dt.timedelta(days=_number(match.group(1))))
