"""``page_on``: which page of a platform a reference means, through the catalogue when it must."""

from __future__ import annotations

from pathlib import Path

import pytest
from shared_data import DATA, require_shared

from anime_mcp.adapters.aod_reader import AodJsonlReader, AodJsonReader
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.errors import UnknownAnime
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.core.services.catalogue import ingest_file
from anime_mcp.core.services.sources import page_on

EXAMPLE = DATA / "examples" / "death-note.aod.json"


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> SqliteCatalogueStore:
    store = SqliteCatalogueStore(tmp_path_factory.mktemp("store"))
    ingest_file(require_shared(EXAMPLE), [AodJsonlReader(), AodJsonReader()], store)
    return store


def test_a_reference_to_the_platform_itself_needs_no_catalogue(tmp_path: Path) -> None:
    empty = SqliteCatalogueStore(tmp_path)  # nothing ingested
    assert page_on("https://kitsu.app/anime/1376", Platform.KITSU, empty) == (
        PlatformId(Platform.KITSU, "1376"),
        None,
    )
    assert page_on("1376", Platform.KITSU, empty, bare_ids=True)[0] == PlatformId(Platform.KITSU, "1376")


def test_other_references_go_through_the_catalogue(catalogue: SqliteCatalogueStore) -> None:
    for reference in ("mal:1535", "https://anilist.co/anime/1535", "death note"):
        pid, entry = page_on(reference, Platform.KITSU, catalogue)
        assert pid == PlatformId(Platform.KITSU, "1376")
        assert entry is not None and entry.title == "Death Note"


def test_a_platform_the_entry_is_not_on_is_unknown(catalogue: SqliteCatalogueStore) -> None:
    with pytest.raises(UnknownAnime, match="has no notify page"):
        page_on("mal:1535", Platform.NOTIFY, catalogue)


def test_lookups_read_the_references_of_platforms_plugins_declare(catalogue: SqliteCatalogueStore) -> None:
    from anime_mcp.core.errors import NotAnAnimeReference
    from anime_mcp.core.platforms import BUILTIN_PLATFORMS, PlatformSpec
    from anime_mcp.core.services.catalogue import lookup

    spec = PlatformSpec(
        "animeflix", "AnimeFlix", r"[1-9][0-9]{0,9}", "https://animeflix.example/anime/{}",
        hosts=("animeflix.example",), url_paths=("/anime/{id}",),
    )  # fmt: skip
    platforms = BUILTIN_PLATFORMS.with_specs([spec])
    url = "https://animeflix.example/anime/42"
    with pytest.raises(NotAnAnimeReference):  # the built-in platforms do not know the site
        lookup(catalogue, url)
    with pytest.raises(UnknownAnime, match="animeflix:42"):  # read as that platform's page
        lookup(catalogue, url, platforms)
    assert lookup(catalogue, "mal:1535", platforms).entry.title == "Death Note"
