"""Language tags: each platform's language codes as BCP 47 tags, in one table.

Titles and synopses carry a BCP 47 tag (``core.sources.LocalizedText``): ``en``, ``ja``, ``ja-Latn`` for
romaji, ``zh-Hans`` ... and ``und`` when the source does not say. Platforms write their own codes (AniDB's
``x-jat`` for romaji, Kitsu's ``en_jp``); ``language_tag`` turns any of them into the tag, so every parser
maps codes the same way and merging can group texts by language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from anime_mcp.core.sources import LocalizedText

UNDETERMINED = "und"
ROMAJI = "ja-Latn"

# Platform codes that are not BCP 47 (or not the tag we group by), lower case, "_" written "-".
_ALIASES = {
    # AniDB: transliterations of Japanese, Korean and Chinese; x-unk / x-other say nothing
    "x-jat": ROMAJI,
    "x-kot": "ko-Latn",
    "x-zht": "zh-Latn",
    "x-unk": UNDETERMINED,
    "x-other": UNDETERMINED,
    # Kitsu's titles keys: "en_jp" is the romanised Japanese title, "en_cn"/"en_kr" likewise
    "en-jp": ROMAJI,
    "ja-jp": "ja",
    "en-us": "en",
    "en-cn": "zh-Latn",
    "zh-cn": "zh-Hans",
    "en-kr": "ko-Latn",
    "ko-kr": "ko",
    "en-th": "th-Latn",
    "th-th": "th",
    # names some platforms write instead of codes
    "english": "en",
    "japanese": "ja",
    "romaji": ROMAJI,
    "romanji": ROMAJI,
    "native": UNDETERMINED,  # the work's own language, which the name alone does not give
    "chinese": "zh",
    "korean": "ko",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "italian": "it",
    "portuguese": "pt",
    "russian": "ru",
}
# A well-formed tag: a 2-3 letter language, then subtags of 2-8 letters or digits (script, region, ...).
_TAG = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{2,8})*")


def language_tag(code: object) -> str:
    """The BCP 47 tag for a platform's language code or name (``und`` when empty or unrecognisable).

    Case is normalised as BCP 47 recommends: language lower, script title (``Latn``), region upper (``BR``).
    """
    if not isinstance(code, str):
        return UNDETERMINED
    key = code.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    if not _TAG.fullmatch(key):
        return UNDETERMINED
    language, *rest = key.split("-")
    return "-".join((language, *(_subtag(part) for part in rest)))


def _subtag(part: str) -> str:
    if len(part) == 4 and part.isalpha():
        return part.title()  # script: Latn, Hans
    if len(part) == 2 and part.isalpha():
        return part.upper()  # region: BR, CA
    return part  # a numeric region (419) or a variant


# Languages whose own script is not Latin: a text in Latin letters tagged with one of them is a romanisation.
_NON_LATIN = frozenset({"ja", "zh", "ko", "th", "ru", "uk", "bg", "el", "ar", "he", "fa"})


def romanised(tag: str, text: str) -> str:
    """``tag`` with the Latin script added when ``text`` romanises a non-Latin language: ANN tags both
    "Shingeki no Kyojin" and "進撃の巨人" ``JA``; the first is ``ja-Latn``."""
    if "-" in tag or tag not in _NON_LATIN:
        return tag
    letters = [c for c in text if c.isalpha()]
    if letters and all(unicodedata.name(c, "").startswith("LATIN") for c in letters):
        return f"{tag}-Latn"
    return tag


def localized_text(code: object, text: object, kind: str | None = None) -> LocalizedText | None:
    """A ``LocalizedText`` from a platform's language code and text; None for a blank or non-string text."""
    if not isinstance(text, str):
        return None
    cleaned = text.strip()  # inner line breaks kept: a synopsis has paragraphs
    return LocalizedText(language_tag(code), cleaned, kind) if cleaned else None


def distinct_texts(texts: Iterable[LocalizedText | None]) -> list[LocalizedText]:
    """The texts without None and without repeats of a language and text (the first one's kind wins)."""
    seen: dict[tuple[str, str], LocalizedText] = {}
    for text in texts:
        if text is not None:
            seen.setdefault((text.language, text.text), text)
    return list(seen.values())
