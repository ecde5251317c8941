"""The document composer: what text represents an entry for the dense and the sparse vectors."""

from __future__ import annotations

import attrs
import pytest

from anime_mcp.core.documents import (
    MAX_DOCUMENT_SYNONYMS,
    MAX_SYNOPSIS_CHARS,
    TAG_WEIGHT,
    TITLE_WEIGHT,
    FingerprintParts,
    compose_content,
    compose_document,
    content_fingerprint,
    document_synonyms,
    lexical_fields,
)
from anime_mcp.core.models import AnimeSeason, AnimeType, CatalogueEntry, Season
from anime_mcp.core.platforms import Platform, PlatformId


@pytest.fixture
def death_note() -> CatalogueEntry:
    return CatalogueEntry(
        title="Death Note",
        sources=(PlatformId(Platform.MAL, "1535"), PlatformId(Platform.ANILIST, "1535")),
        type=AnimeType.TV,
        episodes=37,
        season=AnimeSeason(Season.FALL, 2006),
        synonyms=(
            "DEATH NOTE",
            "DN",
            "デスノート",
            "Тетрадь смерти",
            "Caderno da Morte",
            "Carnet de la Mort",
            "Notatnik śmierci",
            "Ölüm Defteri",
            "Quaderno della Morte",
            "데스노트",
        ),
        studios=("madhouse",),
        producers=("vap",),
        tags=("mystery", "psychological", "thriller"),
    )


def test_the_dense_document_reads_like_a_description(death_note: CatalogueEntry) -> None:
    text = compose_document(death_note)
    assert text.startswith("Death Note. Also known as: DN; Caderno da Morte; ")
    assert "Anime TV series from 2006 by madhouse." in text
    assert text.endswith("Tags: mystery, psychological, thriller.")
    assert "DEATH NOTE" not in text  # the title again, only in capitals
    assert "vap" not in text  # producers are not searched


def test_latin_synonyms_come_first_and_the_list_is_capped(death_note: CatalogueEntry) -> None:
    synonyms = document_synonyms(death_note)
    assert len(synonyms) == MAX_DOCUMENT_SYNONYMS
    assert synonyms[:3] == ["DN", "Caderno da Morte", "Carnet de la Mort"]
    assert "デスノート" not in synonyms  # six Latin ones fill the list
    only_japanese = attrs.evolve(death_note, synonyms=("デスノート", "DEATH NOTE"))
    assert document_synonyms(only_japanese) == ["デスノート"]


def test_the_content_text_is_the_synopsis_then_genres_and_themes() -> None:
    text = compose_content(
        "A student  finds a\nnotebook. " * 200, ["Supernatural", "Suspense", "supernatural"]
    )
    assert text is not None and text.startswith("A student finds a notebook. A student")
    assert text.endswith(" Genres and themes: Supernatural, Suspense.")  # duplicates once
    assert len(text) <= MAX_SYNOPSIS_CHARS + 50  # capped
    assert compose_content("A notebook.") == "A notebook."
    # no synopsis, no content vector: genres alone are among the tags already
    assert compose_content(None, ["Drama"]) is None
    assert compose_content("  \n ", ["Drama"]) is None


def test_entries_with_little_data_still_get_a_document() -> None:
    bare = CatalogueEntry(title="Unknown Short", sources=(PlatformId(Platform.ANIDB, "99"),))
    assert compose_document(bare) == "Unknown Short. Anime."
    movie = attrs.evolve(bare, type=AnimeType.MOVIE, season=AnimeSeason(year=1988))
    assert compose_document(movie) == "Unknown Short. Anime movie from 1988."


def test_lexical_fields_carry_every_title_in_every_script(death_note: CatalogueEntry) -> None:
    fields = lexical_fields(death_note)
    texts = [f.text for f in fields]
    assert texts[0] == "Death Note" and fields[0].weight == TITLE_WEIGHT
    assert {"デスノート", "데스노트", "Тетрадь смерти"} <= set(texts)
    assert {f.weight for f in fields if f.text == "psychological"} == {TAG_WEIGHT}
    assert "madhouse" in texts
    assert "vap" not in texts


def test_the_fingerprint_changes_with_what_is_indexed_only(death_note: CatalogueEntry) -> None:
    base = content_fingerprint(death_note)
    assert content_fingerprint(death_note) == base
    assert content_fingerprint(attrs.evolve(death_note, tags=("mystery",))) != base
    assert content_fingerprint(attrs.evolve(death_note, episodes=38)) != base  # a filterable field
    assert (
        content_fingerprint(attrs.evolve(death_note, related_anime=("https://myanimelist.net/anime/2994",)))
        != base
    )
    assert content_fingerprint(attrs.evolve(death_note, producers=("shueisha",))) == base
    assert content_fingerprint(attrs.evolve(death_note, picture="https://x/y.jpg")) == base
    with_story = content_fingerprint(death_note, "A notebook.")
    assert with_story != base


def test_the_fingerprint_tells_which_side_changed(death_note: CatalogueEntry) -> None:
    base = FingerprintParts.parse(content_fingerprint(death_note))
    assert base.content == ""  # no content text
    story = FingerprintParts.parse(content_fingerprint(death_note, "A notebook."))
    assert story.document == base.document and story.content
    other = FingerprintParts.parse(content_fingerprint(death_note, "A notebook that kills."))
    assert other.document == base.document and other.content != story.content
    retagged = FingerprintParts.parse(
        content_fingerprint(attrs.evolve(death_note, tags=("x",)), "A notebook.")
    )
    assert retagged.document != base.document and retagged.content == story.content


def test_hybrid_search_weighs_a_description_as_a_story_and_a_name_as_titles() -> None:
    from anime_mcp.core.ranking import DESCRIPTION_WORDS, HYBRID, STORY, hybrid_weights

    assert (
        hybrid_weights("death note") is HYBRID and hybrid_weights("giant robot mecha space drill") is HYBRID
    )
    told = "a student finds a notebook that kills anyone whose name is written in it"
    assert len(told.split()) >= DESCRIPTION_WORDS and hybrid_weights(told) is STORY
    assert STORY.content > HYBRID.content and HYBRID.sparse > STORY.sparse
