"""``plan``: a question in plain words -> a ``QueryPlan``. Deterministic, pure, bounded in time.

The readers run in a fixed order, each claiming the words it understood so that later readers do not read
them again: ids and URLs, quoted titles, platforms, streaming services, places and time zones, titles,
numbers, years and days, kinds, adaptation sources, sort words, tags, studios, languages, exclusions, the
fields asked for, and pointers into the previous answer. What nobody claimed becomes the keywords.
"""

from __future__ import annotations

import datetime as dt

from anime_mcp.core.planning import counts, dates, names, tags, titles
from anime_mcp.core.planning.context import read_pointers
from anime_mcp.core.planning.intents import decide
from anime_mcp.core.planning.lexicon import COMMON_WORDS
from anime_mcp.core.planning.model import (
    DEFAULT_LIMIT,
    Intent,
    PlanContext,
    PlanFilters,
    QueryPlan,
    SortOrder,
)
from anime_mcp.core.planning.reading import Reading, add
from anime_mcp.core.planning.text import clean
from anime_mcp.core.planning.vocabulary import PlannerVocabulary
from anime_mcp.core.platforms import BUILTIN_PLATFORMS, Platforms

SHORT_EPISODES = 13
# Words that only frame the question ("remember", "compare"): never keywords.
_FRAME_TEXT = """vaguely compare comparison versus vs recommend recommended recommendation suggest suggestion
    remember recall forgot forget identify similar plus say says saying think thought
    anything something someone somebody trying help works work stuff users user links link info
    information details detail id ids lineup platforms sources sites according ish"""
_FRAME_WORDS = frozenset(_FRAME_TEXT.split())
_CLARIFY_EMPTY = "What would you like to know? Name an anime, a genre, a season or a question about one."
_CLARIFY_POINTER = "Which anime do you mean? There are no earlier results to point at; please name it."


def plan(
    text: str,
    *,
    vocabulary: PlannerVocabulary,
    now: dt.datetime,
    tz: str = "UTC",
    context: PlanContext | None = None,
    platforms: Platforms = BUILTIN_PLATFORMS,
) -> QueryPlan:
    """The plan of ``text``; relative days are resolved against ``now`` in ``tz`` (or the zone the text
    names). Any text gives a plan: what cannot be understood becomes keywords or a question back."""
    reading = Reading.of(clean(text), now.date())
    titles.read_references(reading, vocabulary, platforms)
    titles.read_quoted(reading, vocabulary)
    names.read_sources(reading, platforms)
    names.read_streaming(reading)
    names.read_places(reading, vocabulary)
    zone_name = reading.draft.timezone or tz
    zone = vocabulary.timezone(zone_name)
    reading.today = (now.astimezone(zone) if zone is not None and now.tzinfo is not None else now).date()
    titles.read_titles(reading, vocabulary)
    counts.read_counts(reading)
    names.read_kinds(reading)
    dates.read_years(reading)
    dates.read_days(reading)
    names.read_source_material(reading)
    names.read_sort(reading)
    tags.read_tags(reading, vocabulary)
    tags.read_studios(reading, vocabulary)
    names.read_language(reading)
    tags.read_exclusions(reading)
    names.read_fields(reading)
    pointing_nowhere = read_pointers(reading, context)
    keywords = _keywords(reading)
    intent = decide(reading, content=bool(keywords) or _understood(reading))
    clarification = None
    if pointing_nowhere and not reading.draft.titles:
        intent, clarification = Intent.CLARIFY, _CLARIFY_POINTER
    elif intent is Intent.CLARIFY:
        clarification = _CLARIFY_EMPTY
    elif context is not None and context.previous is not None and _pointer_only(reading):
        intent = _follow_up(context.previous.intent)
    return _finish(reading, intent, zone_name, keywords, clarification)


def _understood(reading: Reading) -> bool:
    d = reading.draft
    return bool(
        d.titles
        or d.include_tags
        or d.any_tags
        or d.exclude_tags
        or d.studios
        or d.types
        or d.statuses
        or d.sources
        or d.platforms
        or d.fields
        or d.year_min is not None
        or d.year_max is not None
        or d.date_from is not None
        or d.season
        or d.source_material
        or d.episodes_min is not None
        or d.episodes_max is not None
        or d.score_min is not None
        or d.sort
        or d.limit
        or d.exclude_titles
    )


def _pointer_only(reading: Reading) -> bool:
    return bool(reading.draft.titles) and not reading.draft.fields and not reading.draft.sources


def _follow_up(previous: Intent) -> Intent:
    kept = {Intent.SOURCE_DETAIL, Intent.STREAMING, Intent.SCHEDULE, Intent.NEWS, Intent.SIMILAR}
    return previous if previous in kept else Intent.LOOKUP


def _keywords(reading: Reading) -> str | None:
    words = [
        t.text
        for t in reading.free_tokens()
        if t.key not in COMMON_WORDS and t.key not in _FRAME_WORDS and not t.key.isdigit()
    ]
    return " ".join(words[:32]) or None


_IMPLIED_FIELDS = {
    Intent.SCHEDULE: "schedule",
    Intent.STREAMING: "streaming",
    Intent.NEWS: "news",
}


def _finish(
    reading: Reading, intent: Intent, zone_name: str, keywords: str | None, clarification: str | None
) -> QueryPlan:
    d = reading.draft
    if intent in _IMPLIED_FIELDS and d.titles:
        add(d.fields, _IMPLIED_FIELDS[intent])
    if intent is Intent.COMPARE and not d.fields:
        add(d.fields, "score")
    if d.short and d.episodes_max is None and "MOVIE" not in d.types:
        d.episodes_max = SHORT_EPISODES
    if "schedule" in d.fields and intent is Intent.SCHEDULE and d.statuses == ["FINISHED"]:
        d.statuses = []
    filters = PlanFilters(
        year_min=d.year_min,
        year_max=d.year_max,
        season=d.season,
        types=d.types,
        statuses=d.statuses,
        include_tags=d.include_tags,
        any_tags=d.any_tags,
        exclude_tags=[t for t in d.exclude_tags if t not in d.include_tags],
        studios=d.studios,
        episodes_min=d.episodes_min,
        episodes_max=d.episodes_max,
        score_min=d.score_min,
        exclude_titles=d.exclude_titles,
        source_material=d.source_material,
    )
    return QueryPlan(
        intent=intent,
        titles=d.titles,
        filters=filters,
        sources=d.sources,
        fields=d.fields,
        platforms=d.platforms,
        region=d.region,
        date_from=d.date_from.isoformat() if d.date_from else None,
        date_to=d.date_to.isoformat() if d.date_to else None,
        timezone=zone_name,
        language=d.language,
        sort=SortOrder(d.sort) if d.sort else SortOrder.RELEVANCE,
        limit=d.limit or DEFAULT_LIMIT,
        keywords=keywords,
        clarification=clarification,
    )
