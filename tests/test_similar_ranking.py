"""The pure similar-anime ranking (core.similarity): weights, reasons, franchise handling, each kind."""

from __future__ import annotations

import pytest

from anime_mcp.core.models import AnimeType
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.similarity import (
    DEFAULT_KIND,
    KINDS,
    Profile,
    Recommendation,
    SimilarityKind,
    TermRarity,
    rank_similar,
    recommendation_strength,
    type_affinity,
)


def page(number: int) -> PlatformId:
    return PlatformId(Platform.MAL, str(number))


def profile(number: int, title: str, **kwargs: object) -> Profile:
    defaults: dict[str, object] = {
        "type": AnimeType.TV,
        "year": 2006,
        "platform_count": 8,
        "score": 7.5,
        "pages": frozenset({page(number)}),
    }
    return Profile(anime_id=f"mal-{number}", title=title, **{**defaults, **kwargs})  # type: ignore[arg-type]


SEED = profile(
    1535,
    "Death Note",
    terms={"psychological", "thriller", "action", "shounen", "supernatural"},
    studios={"Madhouse"},
)
# "action" is everywhere, "psychological" and "thriller" are rare
RARITY = TermRarity(
    {
        "action": 6000,
        "psychological": 800,
        "thriller": 300,
        "supernatural": 2300,
        "shounen": 800,
        "shoujo": 200,
    },
    30000,
)


def ids(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.anime_id for h in hits]


def test_a_rare_shared_term_outweighs_a_common_one() -> None:
    assert RARITY.weight("thriller") > RARITY.weight("psychological") > RARITY.weight("action")
    common = profile(10, "Action Show", terms={"action", "shounen"})
    rare = profile(11, "Mind Games", terms={"psychological", "thriller"})
    hits = rank_similar(SEED, [common, rare], RARITY, kind=SimilarityKind.GENRE)
    assert ids(hits) == ["mal-11", "mal-10"]
    assert hits[0].reasons[0] == "shares: thriller, psychological"


def test_the_story_vector_leads_the_semantic_kind() -> None:
    story = profile(20, "Same Story", terms={"action"}, similarity={"content": 0.8})
    genres = profile(21, "Same Tags", terms={"psychological", "thriller"}, similarity={"content": 0.3})
    assert ids(rank_similar(SEED, [genres, story], RARITY, kind=SimilarityKind.SEMANTIC))[0] == "mal-20"
    assert ids(rank_similar(SEED, [genres, story], RARITY, kind=SimilarityKind.GENRE))[0] == "mal-21"
    reasons = rank_similar(SEED, [story, genres], RARITY, kind=SimilarityKind.SEMANTIC)[0].reasons
    assert "similar story (0.80)" in reasons


def test_recommendations_are_a_strong_signal_with_their_count_as_reason() -> None:
    plain = profile(30, "Alike", terms={"psychological", "thriller"})
    recommended = profile(31, "Recommended", terms={"action"}, recommended=(Recommendation("anilist", 212),))
    hits = rank_similar(SEED, [plain, recommended], RARITY)
    assert ids(hits)[0] == "mal-31"
    assert "recommended by 212 AniList users" in hits[0].reasons
    assert recommendation_strength(1) < recommendation_strength(50) < recommendation_strength(100) == 1.0


def test_the_studio_kind_keeps_only_shared_studios_and_says_so() -> None:
    same = profile(40, "Madhouse Show", terms={"action"}, studios={"madhouse"})
    other = profile(41, "Other Studio", terms={"psychological", "thriller"}, studios={"Sunrise"})
    hits = rank_similar(SEED, [same, other], RARITY, kind=SimilarityKind.STUDIO)
    assert ids(hits) == ["mal-40"]
    assert "same studio: madhouse" in hits[0].reasons


def test_the_seed_and_its_franchise_are_left_out() -> None:
    sequel = profile(2994, "Death Note: Rewrite", terms=SEED.terms, links=frozenset({page(1535)}))
    spinoff = profile(50, "Franchise by the graph", terms=SEED.terms)
    stranger = profile(51, "Unrelated", terms={"thriller"})
    candidates = [SEED, sequel, spinoff, stranger]
    franchise = frozenset({"mal-50"})
    assert ids(rank_similar(SEED, candidates, RARITY, franchise=franchise)) == ["mal-51"]
    one = rank_similar(SEED, candidates, RARITY, franchise=franchise, exclude_franchise=False)
    assert len(ids(one)) == 2 and "mal-51" in ids(one)  # one entry of the franchise at most


def test_one_entry_per_other_franchise() -> None:
    first = profile(60, "Code Geass", terms={"psychological", "thriller"}, pages=frozenset({page(60)}))
    second = profile(61, "Code Geass R2", terms={"psychological", "thriller"}, links=frozenset({page(60)}))
    other = profile(62, "Monster", terms={"psychological"})
    assert ids(rank_similar(SEED, [first, second, other], RARITY)) == ["mal-60", "mal-62"]


def test_format_era_and_audience_count() -> None:
    music = profile(70, "Unknown format", type=AnimeType.UNKNOWN, terms={"psychological", "thriller"})
    series = profile(71, "Series", terms={"psychological", "thriller"})
    assert ids(rank_similar(SEED, [music, series], RARITY))[0] == "mal-71"
    old = profile(72, "Old", terms={"thriller"}, year=1970)
    recent = profile(73, "Recent", terms={"thriller"}, year=2007)
    assert ids(rank_similar(SEED, [old, recent], RARITY))[0] == "mal-73"
    girls = profile(74, "Shoujo", terms={"thriller", "shoujo"})
    boys = profile(75, "Shounen", terms={"thriller", "shounen"})
    hits = rank_similar(SEED, [girls, boys], RARITY)
    assert ids(hits)[0] == "mal-75" and "same audience: shounen" in hits[0].reasons
    assert type_affinity(AnimeType.TV, AnimeType.TV) == 1.0
    assert type_affinity(AnimeType.TV, AnimeType.UNKNOWN) == 0.0


def test_limit_and_rarity_without_a_store() -> None:
    pool = [profile(100 + n, f"Show {n}", terms={"thriller"}) for n in range(20)]
    rarity = TermRarity.of([SEED, *pool])
    assert rarity.total == 21 and rarity.counts["thriller"] == 21
    assert len(rank_similar(SEED, pool, rarity, limit=5)) == 5


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_kind_ranks(kind: str) -> None:
    similarity = {"content": 0.5, "image": 0.5}
    candidate = profile(80, "Any", terms={"thriller"}, studios={"madhouse"}, similarity=similarity)
    assert ids(rank_similar(SEED, [candidate], RARITY, kind=kind)) == ["mal-80"]
    assert DEFAULT_KIND in KINDS
