"""Is a word one of the planner's own (a genre, a season, a platform ...)? Such words are not titles unless
quoted: "Romance", "Friday" and "Top" name anime too, but a question using them rarely means those."""

from __future__ import annotations

from anime_mcp.core.planning import lexicon
from anime_mcp.core.planning.vocabulary import PlannerVocabulary

_TABLES = (
    lexicon.TAG_SYNONYMS,
    lexicon.STUDIO_NICKNAMES,
    lexicon.TYPE_WORDS,
    lexicon.STATUS_WORDS,
    lexicon.SOURCE_MATERIAL,
    lexicon.SOURCE_MATERIAL_CUED,
    lexicon.STREAMING,
    lexicon.PLATFORM_NAMES,
    lexicon.REGIONS,
    lexicon.LANGUAGES,
    lexicon.CITIES,
    lexicon.FIELD_WORDS,
    lexicon.SORT_WORDS,
    lexicon.NUMBER_WORDS,
)


def planner_phrase(key: str, vocabulary: PlannerVocabulary) -> bool:
    """Whether a phrase key is a word or phrase the planner reads as something other than a title."""
    if key in lexicon.COMMON_WORDS or any(key in table for table in _TABLES):
        return True
    singular = key[:-1] if key.endswith("s") and len(key) > 3 else key
    for candidate in {key, singular}:
        tag = vocabulary.tag(candidate)
        if tag is not None and tag not in lexicon.TAG_BLOCKLIST:
            return True
    return False


def planner_words_only(keys: list[str], vocabulary: PlannerVocabulary) -> bool:
    return all(planner_phrase(key, vocabulary) for key in keys)
