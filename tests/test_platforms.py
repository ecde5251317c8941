"""Open platforms: the built-in ones as constants, specs and registries for the ones plugins declare."""

from __future__ import annotations

import pickle
import re

import pytest

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.platforms import (
    BUILTIN_PLATFORMS,
    ID_PATTERNS,
    PLATFORM_ALIASES,
    IdStyle,
    Platform,
    PlatformId,
    Platforms,
    PlatformSpec,
)
from anime_mcp.core.references import (
    IdReference,
    TitleReference,
    canonical_url,
    looks_like_url,
    parse_reference,
    parse_source_url,
)
from anime_mcp.core.resolution import resolve

ANIMEFLIX = PlatformSpec(
    "animeflix",
    "AnimeFlix",
    r"[1-9][0-9]{0,9}",
    "https://animeflix.example/anime/{}",
    hosts=("animeflix.example",),
    url_paths=("/anime/{id}", "/watch/{id}"),
    aliases=("aflix",),
)
WITH_FLIX = BUILTIN_PLATFORMS.with_specs([ANIMEFLIX])


# --- Platform: the former enum's behaviour, open to new ids -------------------------------------------


def test_the_built_in_platforms_behave_as_the_enum_did() -> None:
    assert len(Platform) == 12
    assert next(iter(Platform)) is Platform.MAL
    assert Platform("mal") is Platform.MAL
    assert Platform(Platform.KITSU) is Platform.KITSU
    assert Platform.MAL == "mal" and Platform.MAL.value == "mal" and Platform.MAL.name == "MAL"
    assert f"{Platform.ANN}" == str(Platform.ANN) == "ann"
    assert repr(Platform.NOTIFY) == "Platform.NOTIFY"
    assert pickle.loads(pickle.dumps(Platform.SIMKL)) is Platform.SIMKL
    assert {Platform.MAL: 1}["mal"] == 1
    assert [spec.id for spec in BUILTIN_PLATFORMS] == list(Platform)
    assert set(ID_PATTERNS) == set(Platform)
    assert PLATFORM_ALIASES["myanimelist"] is Platform.MAL


def test_a_new_platform_id_is_a_platform_and_is_interned() -> None:
    flix = Platform("animeflix")
    assert flix == "animeflix" and flix.value == "animeflix"
    assert Platform("animeflix") is flix
    assert repr(flix) == "Platform('animeflix')"
    assert flix not in list(Platform)


@pytest.mark.parametrize("bad", ["", "MAL", "1mal", "anime-flix", "a b", "x" * 33, 7])
def test_platform_ids_are_lowercase_letters_and_digits(bad: object) -> None:
    with pytest.raises(ValueError, match="not a valid platform id"):
        Platform(bad)  # type: ignore[arg-type]


def test_platform_ids_of_unknown_platforms_need_one_visible_path_segment() -> None:
    assert str(PlatformId("animeflix", "42")) == "animeflix:42"
    for bad in ("", "a/b", "a b", "x" * 257):
        with pytest.raises(NotAnAnimeReference):
            PlatformId("animeflix", bad)


# --- specs and registries --------------------------------------------------------------------------------


def test_a_spec_compiles_url_paths_and_checks_its_fields() -> None:
    assert ANIMEFLIX.id is Platform("animeflix")
    assert ANIMEFLIX.url_paths[0].match("/anime/42/some-title")
    assert ANIMEFLIX.names() == {"animeflix", "aflix"}
    assert ANIMEFLIX.url("42") == "https://animeflix.example/anime/42"
    with pytest.raises(ValueError, match="one '\\{\\}'"):
        PlatformSpec("x", "X", ".+", "https://x.example/anime/")
    with pytest.raises(ValueError, match="contain '\\{id\\}'"):
        PlatformSpec("x", "X", ".+", "https://x.example/{}", url_paths=("/anime/",))
    with pytest.raises(ValueError, match="no \\(\\?P<id>"):
        PlatformSpec("x", "X", ".+", "https://x.example/{}", url_paths=(re.compile("/anime/"),))
    with pytest.raises(ValueError, match="not a host name"):
        PlatformSpec("x", "X", ".+", "https://x.example/{}", hosts=("not a host",))


@pytest.mark.parametrize(
    ("style", "raw", "expected"),
    [
        (IdStyle.NUMERIC, "00042", "42"),
        (IdStyle.NUMERIC, "Abc", "Abc"),
        (IdStyle.SLUG, "Death-Note", "death-note"),
        (IdStyle.SLUG, "007", "007"),
        (IdStyle.NUMERIC_OR_SLUG, "007", "7"),
        (IdStyle.NUMERIC_OR_SLUG, "Cowboy", "cowboy"),
        (IdStyle.OPAQUE, "AbC_07", "AbC_07"),
    ],
)
def test_id_styles(style: IdStyle, raw: str, expected: str) -> None:
    assert style.normalise(raw) == expected


def test_a_registry_refuses_reused_ids_aliases_and_hosts() -> None:
    assert BUILTIN_PLATFORMS.conflicts(ANIMEFLIX) is None
    assert BUILTIN_PLATFORMS.with_specs([]) is BUILTIN_PLATFORMS
    assert WITH_FLIX.with_specs([ANIMEFLIX]) is WITH_FLIX  # an equal spec twice is one spec
    clashes = {
        "declared twice": PlatformSpec("mal", "Mine", ".+", "https://mine.example/{}"),
        "already names mal": PlatformSpec("mine", "Mine", ".+", "https://mine.example/{}", aliases=("mal",)),
        "already belongs to mal": PlatformSpec(
            "mine", "Mine", ".+", "https://mine.example/{}", hosts=("myanimelist.net",)
        ),
    }
    for message, spec in clashes.items():
        assert message in (BUILTIN_PLATFORMS.conflicts(spec) or "")
        with pytest.raises(ValueError, match=message):
            BUILTIN_PLATFORMS.with_specs([spec])


def test_registry_lookups() -> None:
    assert WITH_FLIX["animeflix"] is ANIMEFLIX
    assert WITH_FLIX.get("nothing") is None
    assert "animeflix" in WITH_FLIX and "animeflix" not in BUILTIN_PLATFORMS
    assert WITH_FLIX.by_name("AFLIX") is ANIMEFLIX
    assert WITH_FLIX.by_host("animeflix.example") is ANIMEFLIX
    assert WITH_FLIX.ids()[-1] == "animeflix"
    with pytest.raises(KeyError, match="known platforms: mal, anilist"):
        BUILTIN_PLATFORMS["animeflix"]
    assert len(Platforms(())) == 0


# --- references through a registry ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "animeflix:42",
        "aflix:042",
        "AnimeFlix:42",
        "animeflix-42",
        "https://animeflix.example/anime/42",
        "https://www.animeflix.example/anime/42/the-title?x=1",
        "animeflix.example/watch/42",
    ],
)
def test_a_declared_platform_resolves_in_every_reference_form(text: str) -> None:
    assert parse_reference(text, WITH_FLIX) == IdReference(PlatformId("animeflix", "42"))


def test_without_the_declaration_the_platform_is_unknown() -> None:
    assert parse_reference("animeflix:42") == TitleReference("animeflix:42", "animeflix42")
    assert not looks_like_url("animeflix.example/anime/42")
    with pytest.raises(NotAnAnimeReference, match="not a known anime platform"):
        parse_source_url("https://animeflix.example/anime/42")


def test_a_declared_platform_checks_its_own_ids_and_canonical_urls() -> None:
    with pytest.raises(NotAnAnimeReference, match="no valid animeflix id"):
        parse_reference("animeflix:abc", WITH_FLIX)
    with pytest.raises(NotAnAnimeReference, match="not an anime page"):
        parse_source_url("https://animeflix.example/news/42", WITH_FLIX)
    pid = PlatformId("animeflix", "42")
    assert canonical_url(pid, WITH_FLIX) == "https://animeflix.example/anime/42"
    assert parse_source_url(canonical_url(pid, WITH_FLIX), WITH_FLIX) == pid
    with pytest.raises(KeyError):
        canonical_url(pid)


def test_built_in_references_read_the_same_through_a_larger_registry() -> None:
    for text in (
        "mal:1535",
        "https://kitsu.io/anime/1376",
        "ap-death-note",
        "anidb.net/a4563",
        "steins gate",
    ):
        assert parse_reference(text, WITH_FLIX) == parse_reference(text)


def test_resolution_names_no_url_for_a_platform_the_registry_lacks() -> None:
    class Empty:
        def by_platform_id(self, pid: PlatformId) -> None:
            return None

        def by_title_key(self, key: str) -> list[object]:
            return []

    reference = IdReference(PlatformId("animeflix", "42"))
    with pytest.raises(LookupError, match=r"no catalogue entry has animeflix:42$"):
        resolve(reference, Empty())  # type: ignore[arg-type]
    with pytest.raises(LookupError, match=r"animeflix:42 \(https://animeflix.example/anime/42\)"):
        resolve(reference, Empty(), WITH_FLIX)  # type: ignore[arg-type]
