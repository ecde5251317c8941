"""A small catalogue for the planner's unit tests, and the reference time of the judged set."""

from __future__ import annotations

import datetime as dt

from anime_mcp.adapters.title_spotter import CatalogueVocabulary
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Season
from anime_mcp.core.planning import PlanContext, QueryPlan, plan
from anime_mcp.core.platforms import Platform, PlatformId

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)  # a Saturday, as in ../shared/queries/README.md


def entry(
    mal: int,
    title: str,
    *synonyms: str,
    year: int = 2000,
    kind: AnimeType = AnimeType.TV,
    tags: tuple[str, ...] = (),
    studios: tuple[str, ...] = (),
    coverage: int = 5,
) -> CatalogueEntry:
    extra = [PlatformId(p, str(mal)) for p in (Platform.KITSU, Platform.ANIDB, Platform.SIMKL, Platform.ANN)]
    return CatalogueEntry(
        title=title,
        sources=(PlatformId(Platform.MAL, str(mal)), *extra[: coverage - 1]),
        type=kind,
        season=AnimeSeason(Season.FALL, year),
        synonyms=synonyms,
        tags=tags,
        studios=studios,
    )


ENTRIES = [
    entry(
        1535,
        "Death Note",
        "DN",
        year=2006,
        tags=("psychological", "thriller", "supernatural"),
        studios=("madhouse",),
    ),
    entry(1, "Cowboy Bebop", year=1998, tags=("sci-fi", "space", "action"), studios=("sunrise",)),
    entry(41000, "Sekai no Ijin vs. Alien", year=2020, kind=AnimeType.ONA, tags=("comedy",)),
    entry(19, "Monster", year=2004, tags=("mystery", "psychological"), studios=("madhouse",)),
    entry(20, "Naruto", year=2002, tags=("shounen", "action", "martial arts"), studios=("studio pierrot",)),
    entry(
        21,
        "One Piece",
        year=1999,
        tags=("shounen", "adventure", "fantasy", "pirate"),
        studios=("toei animation",),
    ),
    entry(
        9253, "Steins;Gate", "Steins Gate", year=2011, tags=("sci-fi", "time travel"), studios=("white fox",)
    ),
    entry(
        16498,
        "Shingeki no Kyojin",
        "Attack on Titan",
        year=2013,
        tags=("action", "dark fantasy"),
        studios=("wit studio",),
    ),
    entry(35122, "Shingeki no Kyotou", "Attack on Titan", year=2017, kind=AnimeType.MOVIE, coverage=2),
    entry(
        52991,
        "Sousou no Frieren",
        "Frieren",
        "Frieren: Beyond Journey's End",
        year=2023,
        tags=("fantasy", "adventure"),
        studios=("madhouse",),
    ),
    entry(
        34599,
        "Made in Abyss",
        year=2017,
        tags=("fantasy", "adventure", "mystery"),
        studios=("kinema citrus",),
    ),
    entry(
        1575,
        "Code Geass: Hangyaku no Lelouch",
        "Code Geass",
        year=2006,
        tags=("mecha", "military"),
        studios=("sunrise",),
    ),
    entry(
        50265,
        "SPY×FAMILY",
        "Spy x Family",
        year=2022,
        tags=("comedy", "action"),
        studios=("wit studio", "cloverworks"),
    ),
    entry(121, "Fullmetal Alchemist", year=2003, tags=("shounen", "fantasy"), studios=("bones",)),
    entry(
        5114, "Fullmetal Alchemist: Brotherhood", year=2009, tags=("shounen", "fantasy"), studios=("bones",)
    ),
    entry(28637, "Dreams", year=2011, kind=AnimeType.MOVIE),
    entry(57587, "Tokyo", year=1999, kind=AnimeType.MOVIE),
    entry(391, "Top", year=2004, kind=AnimeType.OVA),
    entry(5681, "Summer Wars", year=2009, kind=AnimeType.MOVIE, tags=("sci-fi",), studios=("madhouse",)),
    entry(
        23273, "Shigatsu wa Kimi no Uso", "Your Lie in April", year=2014, tags=("romance", "music", "drama")
    ),
    entry(
        199,
        "Sen to Chihiro no Kamikakushi",
        "Spirited Away",
        year=2001,
        kind=AnimeType.MOVIE,
        tags=("fantasy", "kids"),
        studios=("studio ghibli",),
    ),
    entry(
        37450,
        "Seishun Buta Yarou",
        year=2018,
        tags=("romance", "slice of life", "school life", "harem"),
        studios=("cloverworks",),
    ),
    entry(
        40748,
        "Jujutsu Kaisen",
        year=2020,
        tags=(
            "shounen",
            "action",
            "isekai",
            "sports",
            "horror",
            "comedy",
            "ecchi",
            "shoujo",
            "seinen",
            "iyashikei",
            "cooking",
            "idol",
            "violence",
            "gore",
        ),
        studios=("mappa", "kyoto animation", "trigger", "seven"),
    ),
]

VOCABULARY = CatalogueVocabulary(ENTRIES)


def planned(
    text: str, *, now: dt.datetime = NOW, tz: str = "UTC", context: PlanContext | None = None
) -> QueryPlan:
    return plan(text, vocabulary=VOCABULARY, now=now, tz=tz, context=context)
