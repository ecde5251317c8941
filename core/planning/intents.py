"""What kind of answer a question wants, from its cue words and what the other readers found."""

from __future__ import annotations

import re

from anime_mcp.core.planning.model import Intent
from anime_mcp.core.planning.reading import Reading

NEWS = re.compile(
    r"\b(news|announce[ds]?|announcements?|any updates?|updates? on|latest on|renewed|renewal|confirmed|"
    r"is there (?:a|any) (?:second|2nd|third|3rd|fourth|4th|new|next|another) season|"
    r"(?:will|is) there (?:be )?(?:a|another) (?:sequel|season)|getting (?:a|another) season|cancell?ed)\b"
)
COMPARE = re.compile(
    r"\b(compare[ds]?|comparison|comparing|vs\.?|versus|which is better|which one is better|what'?s better|"
    r"better than|worse than|difference between|differences between|how does .{1,80} stack up)(?!\w)"
)
CHOICE = re.compile(r"\b(which|better|worse|or)\b")
SIMILAR = re.compile(
    r"\b(like|similar to|similar|such as|in the vein of|reminds? me of|same vibe as|comparable to|"
    r"if i (?:liked|loved|enjoyed)|fans of|for fans of|more like|along the lines of|alternatives? to)\b"
)
RECOMMEND = re.compile(
    r"\b(recommend\w*|suggest\w*|what should i watch|something to watch|worth watching|must[- ]watch|"
    r"give me something|in the mood for|what to watch|recs?|hidden gems?|underrated)\b"
)
NARRATIVE = re.compile(
    r"\b(i (?:vaguely |kind of |sort of |kinda )?(?:remember|recall)|"
    r"(?:can'?t|cannot|don'?t) (?:remember|recall)|"
    r"forgot|forget the (?:name|title)|what'?s the name|what is the (?:name|title)|what'?s that anime|"
    r"what was that anime|the one (?:where|with|about|in which)|there (?:was|is) (?:this|an?) anime|"
    r"(?:an|the) anime (?:where|in which|with (?:a|the) \w+ (?:who|that|which))|^anime where|anime in which|"
    r"(?:a|the) (?:girl|boy|guy|man|woman|kid|mc|protagonist|hero|heroine|character|villain) (?:who|that)|"
    r"help me (?:find|identify)|trying to (?:find|identify)|name of (?:an|the|this) anime|"
    r"looking for (?:an|the|this) anime (?:where|with|about|in which))"
)
STREAMING = re.compile(
    r"\b(where (?:can|do|could|should) (?:i|we|you) (?:watch|stream|find|see)|where to (?:watch|stream)|"
    r"watch (?:it )?(?:online|legally)|streaming (?:links?|sites?|services?|platforms?|options?)|"
    r"available on|is it on|which (?:service|platform|site|app)s?|who streams|licen[cs]ed|"
    r"streams? on|streaming on|can i (?:watch|stream))\b"
)
SCHEDULE = re.compile(
    r"\b(when does|when do|when will|when is|what time|airs? on|air time|airing (?:today|tomorrow|on|at)|"
    r"schedule|scheduled|lineup|line-up|timetable|broadcast|next episode|new episode|"
    r"episode \d+ (?:air|release)|"
    r"release date|come out|comes out|coming out|premiere[sd]?|countdown|simulcast)\b"
)
SEASONAL = re.compile(r"\b(this season|seasonal|season'?s|cour|what'?s new|simulcasts?)\b")
LOOKUP = re.compile(
    r"\b(tell me about|info (?:on|about)|information (?:on|about)|details (?:of|on|about)|what is|what'?s|"
    r"who is|show me|look up|lookup|get|id|entry)\b"
)

# Fields the catalogue lacks: asking them about a title means asking a source.
SOURCE_FIELDS = frozenset(
    {"synopsis", "characters", "staff", "reviews", "streaming", "news", "music", "trailer", "related", "rank"}
)


def decide(reading: Reading, *, content: bool) -> Intent:
    """The intent; ``content``: whether anything in the question was understood or left to search for."""
    low, draft = reading.low, reading.draft
    titles = len(draft.titles)
    if not content and not titles:
        return Intent.CLARIFY
    if draft.references and not _has_filters(reading):
        return Intent.LOOKUP
    if NEWS.search(low) or (titles and "news" in draft.fields):
        return Intent.NEWS
    # a cue inside a title the question names ("Sekai no Ijin vs. Alien") compares nothing; one around
    # titles ("how does Naruto stack up against ...") still does
    compares = any(not reading.within_claimed(m.start(), m.end()) for m in COMPARE.finditer(low))
    if titles and (
        compares
        or (titles >= 2 and CHOICE.search(low) and not SIMILAR.search(low))
        or (draft.all_sources and draft.fields)
        or len(draft.sources) >= 2
    ):
        return Intent.COMPARE
    if compares and (len(draft.sources) >= 2 or draft.all_sources):
        return Intent.COMPARE
    similar = SIMILAR.search(low)
    if titles and similar and similar.start() < _first_title_at(reading):
        return Intent.SIMILAR
    if NARRATIVE.search(low):
        return Intent.NARRATIVE
    if STREAMING.search(low) or (titles and "streaming" in draft.fields):
        return Intent.STREAMING
    if titles and draft.platforms:
        return Intent.STREAMING  # "Is Naruto on Crunchyroll?"
    if titles and draft.sources:
        return Intent.SOURCE_DETAIL
    if not titles and RECOMMEND.search(low) and not SCHEDULE.search(low):
        return Intent.RECOMMEND  # "what should I watch tonight?" asks for a pick, not a timetable
    if draft.date_from is not None or SCHEDULE.search(low):
        return Intent.SCHEDULE
    if draft.season is not None or SEASONAL.search(low):
        return Intent.SEASONAL
    if titles:
        if re.search(r"\b(recommend\w*|suggest\w*)\b", low):
            return Intent.SIMILAR
        if set(draft.fields) & SOURCE_FIELDS:
            return Intent.SOURCE_DETAIL
        if not _has_filters(reading):
            return Intent.LOOKUP
    if RECOMMEND.search(low):
        return Intent.RECOMMEND
    if draft.platforms and not _has_filters(reading):
        return Intent.STREAMING
    return Intent.SEARCH


def _first_title_at(reading: Reading) -> int:
    for title in reading.draft.titles:
        at = reading.text.find(title.text)
        if at >= 0:
            return at
    return len(reading.text)


def _has_filters(reading: Reading) -> bool:
    d = reading.draft
    return bool(
        d.include_tags
        or d.any_tags
        or d.exclude_tags
        or d.studios
        or d.types
        or d.statuses
        or d.year_min is not None
        or d.year_max is not None
        or d.episodes_min is not None
        or d.episodes_max is not None
        or d.score_min is not None
        or d.source_material
    )
