"""Every way people and catalogues write an anime reference, and junk that must be refused cleanly."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anime_mcp.core.errors import NotAnAnimeReference
from anime_mcp.core.platforms import ID_PATTERNS, PLATFORM_ALIASES, Platform, PlatformId
from anime_mcp.core.references import (
    IdReference,
    TitleReference,
    canonical_url,
    looks_like_url,
    normalise_title,
    parse_reference,
    parse_source_url,
)

P = Platform


def _valid_ids(platform: Platform) -> st.SearchStrategy[PlatformId]:
    return st.from_regex(ID_PATTERNS[platform], fullmatch=True).map(lambda raw: PlatformId(platform, raw))


platform_ids = st.sampled_from(list(Platform)).flatmap(_valid_ids)


def assert_refused_cleanly(text: object) -> None:
    """``parse_reference`` returns a Reference or raises NotAnAnimeReference; nothing else, ever."""
    try:
        result = parse_reference(text)  # type: ignore[arg-type]
    except NotAnAnimeReference as exc:
        assert str(exc).startswith("not an anime reference"), str(exc)
        return
    assert isinstance(result, IdReference | TitleReference)
    if isinstance(result, TitleReference):
        assert isinstance(text, str)
        assert result.key
        assert result.key == normalise_title(result.text)
        assert result.text == text.strip()


# --- the platform table ---------------------------------------------------------------------------


def test_every_platform_has_an_id_pattern_a_url_form_and_its_own_alias() -> None:
    for platform in Platform:
        assert platform in ID_PATTERNS
        assert PLATFORM_ALIASES[platform.value] is platform
        url = canonical_url(PlatformId(platform, "1" if platform is not P.ANIMEPLANET else "a"))
        assert url.startswith("https://")


@pytest.mark.parametrize(
    ("platform", "raw"),
    [
        (P.MAL, "0"),
        (P.MAL, "01535"),
        (P.MAL, "abc"),
        (P.MAL, "1" * 13),
        (P.ANIMEPLANET, "Death-Note"),
        (P.ANIMEPLANET, "-x"),
        (P.KITSU, "007"),
        (P.KITSU, "0"),
        (P.NOTIFY, "a/b"),
        (P.NOTIFY, "x" * 65),
        (P.ANIDB, "١٢٣"),
    ],
)
def test_platform_id_rejects_non_canonical_ids(platform: Platform, raw: str) -> None:
    with pytest.raises(NotAnAnimeReference, match="is not a valid"):
        PlatformId(platform, raw)


def test_platform_id_is_ordered_hashable_and_prints_as_user_form() -> None:
    a, b = PlatformId(P.MAL, "1535"), PlatformId("mal", "1535")
    assert a == b and hash(a) == hash(b)
    assert str(a) == "mal:1535"
    ids = [PlatformId(P.MAL, "2"), PlatformId(P.ANILIST, "9"), PlatformId(P.MAL, "10")]
    assert sorted(ids) == sorted(ids, key=lambda pid: (pid.platform.value, pid.id))  # deterministic order


# --- round trips, for every platform ----------------------------------------------------------------


@settings(max_examples=100)
@given(platform_ids)
def test_user_form_round_trips(pid: PlatformId) -> None:
    assert parse_reference(str(pid)) == IdReference(pid)


@settings(max_examples=100)
@given(platform_ids)
def test_canonical_url_round_trips(pid: PlatformId) -> None:
    url = canonical_url(pid)
    assert parse_source_url(url) == pid
    assert looks_like_url(url)
    assert parse_reference(url) == IdReference(pid)
    assert parse_reference(f"  {url}\n") == IdReference(pid)


@settings(max_examples=100)
@given(
    platform_ids,
    st.sampled_from(["http://", "https://", "http://www.", "https://www.", "", "www."]),
    st.booleans(),
)
def test_url_variants_round_trip(pid: PlatformId, prefix: str, trailing_slash: bool) -> None:
    url = prefix + canonical_url(pid).removeprefix("https://")
    if trailing_slash and pid.platform is not P.ANN:  # ANN's id is in the query string
        url += "/"
    assert parse_source_url(url) == pid
    assert parse_reference(url) == IdReference(pid)


@settings(max_examples=100)
@given(platform_ids)
def test_internal_id_form_round_trips(pid: PlatformId) -> None:
    # "mal-1535" is how anime_id names an entry; it must read back as the same page.
    assert parse_reference(f"{pid.platform.value}-{pid.id}") == IdReference(pid)


@given(
    st.sampled_from([p for p in Platform if ID_PATTERNS[p].pattern.startswith("[1-9]")]),
    st.integers(1, 10**11),
    st.integers(0, 3),
)
def test_numeric_ids_ignore_leading_zeros(platform: Platform, number: int, zeros: int) -> None:
    assert parse_reference(f"{platform.value}:{'0' * zeros}{number}") == IdReference(
        PlatformId(platform, str(number))
    )


@given(st.from_regex(r"[a-z0-9][a-z0-9-]{0,40}", fullmatch=True))
def test_slugs_are_case_insensitive(slug: str) -> None:
    expected = IdReference(PlatformId(P.ANIMEPLANET, slug))
    assert parse_reference(f"https://www.anime-planet.com/anime/{slug.upper()}") == expected
    assert parse_reference(f"anime-planet:{slug.upper()}") == expected


# --- real-world URL forms ---------------------------------------------------------------------------

REAL_URLS = [
    # the catalogue's own forms
    ("https://myanimelist.net/anime/1535", P.MAL, "1535"),
    ("https://anilist.co/anime/1535", P.ANILIST, "1535"),
    ("https://kitsu.app/anime/1376", P.KITSU, "1376"),
    ("https://anidb.net/anime/4563", P.ANIDB, "4563"),
    ("https://anime-planet.com/anime/death-note", P.ANIMEPLANET, "death-note"),
    ("https://animecountdown.com/40190", P.ANIMECOUNTDOWN, "40190"),
    ("https://animenewsnetwork.com/encyclopedia/anime.php?id=6592", P.ANN, "6592"),
    ("https://anisearch.com/anime/3633", P.ANISEARCH, "3633"),
    ("https://livechart.me/anime/3437", P.LIVECHART, "3437"),
    ("https://simkl.com/anime/40190", P.SIMKL, "40190"),
    # what people paste from their browser
    ("https://myanimelist.net/anime/1535/Death_Note", P.MAL, "1535"),
    ("http://www.myanimelist.net/anime/1535/Death_Note/", P.MAL, "1535"),
    ("https://myanimelist.net/anime/1535/Death_Note/characters", P.MAL, "1535"),
    ("https://myanimelist.net/anime.php?id=1535", P.MAL, "1535"),
    ("myanimelist.net/anime/1535", P.MAL, "1535"),
    ("HTTPS://MyAnimeList.NET/anime/1535", P.MAL, "1535"),
    ("https://m.myanimelist.net/anime/1535", P.MAL, "1535"),
    ("https://myanimelist.net//anime//1535", P.MAL, "1535"),
    ("https://anilist.co/anime/1535/death-note/", P.ANILIST, "1535"),
    ("https://anilist.co/anime/1535/death-note", P.ANILIST, "1535"),
    ("https://www.anisearch.com/anime/3633,death-note", P.ANISEARCH, "3633"),
    ("https://www.anisearch.de/anime/3633,death-note", P.ANISEARCH, "3633"),
    ("https://simkl.com/anime/40190/death-note", P.SIMKL, "40190"),
    ("https://kitsu.io/anime/1376", P.KITSU, "1376"),
    ("https://kitsu.io/anime/death-note", P.KITSU, "death-note"),
    ("https://kitsu.app/anime/Death-Note/episodes", P.KITSU, "death-note"),
    ("https://anidb.net/a4563", P.ANIDB, "4563"),
    ("http://anidb.net/a4563/", P.ANIDB, "4563"),
    ("https://anidb.net/perl-bin/animedb.pl?show=anime&aid=4563", P.ANIDB, "4563"),
    ("http://anidb.net/perl-bin/animedb.pl?aid=4563&show=anime", P.ANIDB, "4563"),
    ("https://anidb.net/anime/?aid=4563", P.ANIDB, "4563"),
    ("https://www.animenewsnetwork.com/encyclopedia/anime.php?id=6592", P.ANN, "6592"),
    ("http://www.animenewsnetwork.cc/encyclopedia/anime.php?id=6592", P.ANN, "6592"),
    ("https://www.animecountdown.com/40190", P.ANIMECOUNTDOWN, "40190"),
    ("https://animecountdown.com/40190/", P.ANIMECOUNTDOWN, "40190"),
    ("https://notify.moe/anime/0-A-5Fimg", P.NOTIFY, "0-A-5Fimg"),
    ("notify.moe/anime/Dr_4kKimR/", P.NOTIFY, "Dr_4kKimR"),
    ("https://www.livechart.me/anime/3437", P.LIVECHART, "3437"),
    ("https://www.anime-planet.com/anime/death-note", P.ANIMEPLANET, "death-note"),
    ("anime-planet.com/anime/death-note/", P.ANIMEPLANET, "death-note"),
    (
        "https://www.anime-planet.com/anime/ore-dake-haireru-kakushi-dungeon-",
        P.ANIMEPLANET,
        "ore-dake-haireru-kakushi-dungeon-",
    ),
    ("https://animeschedule.net/anime/death-note", P.ANIMESCHEDULE, "death-note"),
]


@pytest.mark.parametrize(("url", "platform", "raw"), REAL_URLS)
def test_real_world_url_forms(url: str, platform: Platform, raw: str) -> None:
    expected = PlatformId(platform, raw)
    assert parse_source_url(url) == expected
    assert parse_reference(url) == IdReference(expected)
    # and the canonical form of what we read is the catalogue's form, which reads back the same
    assert parse_source_url(canonical_url(expected)) == expected


def test_every_death_note_source_of_the_catalogue_names_its_platform() -> None:
    found = {parse_source_url(url).platform for url, _, _ in REAL_URLS[:10]}
    assert found == set(Platform) - {P.NOTIFY, P.ANIMESCHEDULE}


# --- what users type -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform", "raw"),
    [
        ("mal:1535", P.MAL, "1535"),
        ("myanimelist:1535", P.MAL, "1535"),
        ("MAL:1535", P.MAL, "1535"),
        ("anilist:1535", P.ANILIST, "1535"),
        ("kitsu:1376", P.KITSU, "1376"),
        ("kitsu:death-note", P.KITSU, "death-note"),
        ("anidb:4563", P.ANIDB, "4563"),
        ("ann:6592", P.ANN, "6592"),
        ("animenewsnetwork:6592", P.ANN, "6592"),
        ("anime-planet:death-note", P.ANIMEPLANET, "death-note"),
        ("ap:Death-Note", P.ANIMEPLANET, "death-note"),
        ("notify.moe:0-A-5Fimg", P.NOTIFY, "0-A-5Fimg"),
        ("notify:0-A-5Fimg", P.NOTIFY, "0-A-5Fimg"),
        ("  mal:1535  ", P.MAL, "1535"),
        ("mal-1535", P.MAL, "1535"),
        ("anilist-1535", P.ANILIST, "1535"),
        ("animeplanet-death-note", P.ANIMEPLANET, "death-note"),
        ("simkl-40190", P.SIMKL, "40190"),
    ],
)
def test_typed_ids(text: str, platform: Platform, raw: str) -> None:
    assert parse_reference(text) == IdReference(PlatformId(platform, raw))


@pytest.mark.parametrize("text", ["mal:abc", "mal:0", "anilist:-1", "kitsu:Death!", "mal:1535/x", "ap:-x"])
def test_known_prefix_with_an_invalid_id_is_refused_naming_the_platform(text: str) -> None:
    with pytest.raises(NotAnAnimeReference, match=r"^not an anime reference: .* has no valid \w+ id"):
        parse_reference(text)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Steins;Gate", "steinsgate"),
        ("steins gate", "steinsgate"),
        ("STEINS-GATE", "steinsgate"),
        ("Steins・Gate", "steinsgate"),
        ("ＳＴＥＩＮＳ；ＧＡＴＥ", "steinsgate"),
        ("  Steins;Gate 0 ", "steinsgate0"),
        ("Re:Zero", "rezero"),
        ("Fate/Zero", "fatezero"),
        ("mal-content", "malcontent"),
        ("Death Note", "deathnote"),
        ("デスノート", "デスノート"),
        ("ann-title", "anntitle"),
        ("Kaguya-sama: Love is War", "kaguyasamaloveiswar"),
    ],
)
def test_titles_become_case_and_punctuation_insensitive_keys(text: str, key: str) -> None:
    assert parse_reference(text) == TitleReference(text.strip(), key)


def test_title_spellings_of_one_anime_share_a_key() -> None:
    keys = {parse_reference(t).key for t in ("Steins;Gate", "steins gate", "STEINS-GATE", "steins_gate")}  # type: ignore[union-attr]
    assert len(keys) == 1


@given(
    st.lists(st.text(string.ascii_letters + string.digits, min_size=1, max_size=8), min_size=1, max_size=5),
    st.lists(st.sampled_from([" ", ";", "-", ":", "!", "・", "  ", "~"]), min_size=5, max_size=5),
)
def test_title_keys_ignore_case_and_separators(words: list[str], separators: list[str]) -> None:
    plain = " ".join(words)
    fancy = "".join(w.upper() + separators[i] for i, w in enumerate(words))
    assert normalise_title(plain) == normalise_title(fancy) == "".join(words).lower()


# --- junk --------------------------------------------------------------------------------------------

JUNK_URLS = [
    "https://myanimelist.net/manga/1",
    "https://myanimelist.net/",
    "https://myanimelist.net/anime/",
    "https://myanimelist.net/anime/0",
    "https://myanimelist.net/anime/abc/Death_Note",
    "https://myanimelist.net/people/1535",
    "https://anilist.co/manga/30001",
    "https://anilist.co/user/someone",
    "https://kitsu.app/manga/1",
    "https://anidb.net/character/1",
    "https://anidb.net/perl-bin/animedb.pl?show=character&aid=4563",
    "https://anidb.net/a4563x",
    "https://www.animenewsnetwork.com/encyclopedia/manga.php?id=1",
    "https://www.animenewsnetwork.com/news/2024-01-01/x",
    "https://anime-planet.com/manga/death-note",
    "https://anime-planet.com/anime/Death Note!",
    "https://example.com/anime/1535",
    "https://myanimelist.net.evil.example/anime/1535",
    "http://localhost/anime/1",
    "ftp://myanimelist.org/anime/1",
    "https://",
    "http://[::1/anime/1",
    "https://[invalid/anime/1",
    "javascript://alert(1)",
]


@pytest.mark.parametrize("url", JUNK_URLS)
def test_junk_urls_are_not_anime_references(url: str) -> None:
    with pytest.raises(NotAnAnimeReference, match=r"^not an anime reference"):
        parse_reference(url)
    with pytest.raises(NotAnAnimeReference, match=r"^not an anime reference"):
        parse_source_url(url)


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "\x00\x01", "\u200b", " \u3000 "])
def test_input_with_nothing_visible_is_refused(text: str) -> None:
    with pytest.raises(NotAnAnimeReference, match=r"^not an anime reference"):
        parse_reference(text)


@pytest.mark.parametrize(("text", "key"), [("......", "......"), ("◯", "◯"), (" ;;; ", ";;;"), ("!!", "!!")])
def test_titles_without_letters_key_on_their_visible_characters(text: str, key: str) -> None:
    # the catalogue has such titles ("◯", "......"); they must stay findable
    assert parse_reference(text) == TitleReference(text.strip(), key)


@pytest.mark.parametrize("value", [None, 1535, b"mal:1535", ["mal:1535"]])
def test_non_text_is_refused(value: object) -> None:
    with pytest.raises(NotAnAnimeReference, match=r"^not an anime reference: expected text"):
        parse_reference(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000,
        "mal:" + "1" * 100_000,
        "https://myanimelist.net/anime/" + "9" * 5000,
        "https://myanimelist.net/anime/1535?" + "x=1&" * 50_000,
        "\x00" * 5000,
        "\U0010ffff" * 999 + "a",
        "a" * 1000,
        "mal:" + "0" * 996 + "1",
    ],
)
def test_huge_inputs_are_answered_cleanly(text: str) -> None:
    assert_refused_cleanly(text)


def test_length_limit_is_on_the_stripped_text() -> None:
    assert parse_reference(" " * 5000 + "mal:1535" + " " * 5000) == IdReference(PlatformId(P.MAL, "1535"))
    with pytest.raises(NotAnAnimeReference, match="longer than 1000"):
        parse_reference("x" * 1001)


@settings(max_examples=250)
@given(st.text())
def test_any_text_is_a_reference_or_a_clean_refusal(text: str) -> None:
    assert_refused_cleanly(text)


@settings(max_examples=150)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=60))
def test_any_unicode_including_lone_surrogates_is_answered_cleanly(text: str) -> None:
    assert_refused_cleanly(text)


@settings(max_examples=150)
@given(st.binary(max_size=200))
def test_binaryish_text_is_answered_cleanly(data: bytes) -> None:
    assert_refused_cleanly(data.decode("latin-1"))
    assert_refused_cleanly(data.decode("utf-8", errors="surrogateescape"))


url_like = st.builds(
    lambda scheme, host, path, query: f"{scheme}{host}{path}{query}",
    st.sampled_from(["https://", "http://", "", "www.", "HTTP://WWW.", "x://"]),
    st.sampled_from(
        [
            *sorted(
                {
                    canonical_url(PlatformId(p, "1" if p is not P.ANIMEPLANET else "a")).split("/")[2]
                    for p in Platform
                }
            ),
            "anidb.net",
            "kitsu.io",
            "example.com",
            "anisearch.de",
            "",
            "[::1]",
            "[bad",
        ]
    ),
    st.text(alphabet="/anime0123456789.php?&=%#,-_aidshow:@", max_size=40),
    st.one_of(st.just(""), st.text(max_size=20).map(lambda t: "?" + t)),
)


@settings(max_examples=200)
@given(url_like)
def test_url_shaped_junk_is_answered_cleanly(url: str) -> None:
    assert_refused_cleanly(url)
    try:
        pid = parse_source_url(url)
    except NotAnAnimeReference as exc:
        assert str(exc).startswith("not an anime reference")
    else:
        assert parse_source_url(canonical_url(pid)) == pid  # whatever we accept is a real, canonical id


@given(st.sampled_from(sorted(PLATFORM_ALIASES)), st.text(max_size=30))
def test_prefix_shaped_junk_is_answered_cleanly(alias: str, tail: str) -> None:
    for joiner in (":", "-", ": ", "::"):
        assert_refused_cleanly(f"{alias}{joiner}{tail}")
