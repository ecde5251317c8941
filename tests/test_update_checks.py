"""The pure half of ``anime-mcp update``: the diff of two catalogues and the checks a release must pass, and
the settings that configure them (a missed key would silently stay default)."""

from __future__ import annotations

import datetime as dt

import pytest

from anime_mcp.core.catalogue import CatalogueMetadata
from anime_mcp.core.catalogue_update import (
    DEFAULT_MUST_KEEP,
    UpdatePolicy,
    diff_catalogues,
    fingerprints,
    release_problems,
)
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.entrypoints.settings import ConfigError, Settings

RELEASE = CatalogueMetadata(dt.date(2026, 12, 1))


def entry(mal: int, title: str, episodes: int = 12) -> CatalogueEntry:
    return CatalogueEntry(title, (PlatformId(Platform.MAL, str(mal)),), episodes=episodes)


def judge(current: list[CatalogueEntry], release: list[CatalogueEntry], **policy: object) -> tuple:  # type: ignore[type-arg]
    by_id = {e.anime_id: e for e in current}
    watched = [pid for pid in DEFAULT_MUST_KEEP if any(pid in e.sources for e in current)]
    diff = diff_catalogues(fingerprints(current), iter(release), old_entry=by_id.get, watch=watched)
    problems = release_problems(
        diff,
        UpdatePolicy(**policy),
        malformed=0,
        release=RELEASE,
        current=RELEASE,
        watched=watched,  # type: ignore[arg-type]
    )
    return diff, problems


def test_the_diff_counts_and_shows_added_removed_and_changed_entries() -> None:
    current = [entry(i, f"Anime {i}") for i in range(2, 30)]
    release = [entry(i, f"Anime {i}") for i in range(4, 30)] + [entry(100, "New One")]
    release[0] = entry(4, "Anime 4", episodes=24)
    diff, problems = judge(current, release)
    assert (diff.before, diff.after, diff.added, diff.removed, diff.changed) == (28, 27, 1, 2, 1)
    assert diff.unchanged == 25 and problems == ()
    assert [c.title for c in diff.examples_added] == ["New One"]
    assert {c.anime_id for c in diff.examples_removed} == {"mal-2", "mal-3"}
    assert diff.examples_changed[0].fields == ("episodes",)


def test_a_release_losing_more_than_the_allowed_share_is_refused() -> None:
    current = [entry(i, f"Anime {i}") for i in range(2, 102)]
    _, problems = judge(current, current[:50])
    assert len(problems) == 1 and "50% fewer than the 100 in service (at most 10% may go)" in problems[0]
    assert judge(current, current[:50], max_drop=0.5)[1] == ()
    assert judge(current, current[:91])[1] == ()  # 9% lost: allowed


def test_a_well_known_anime_in_service_must_stay() -> None:
    current = [entry(1535, "Death Note"), *(entry(i, f"Anime {i}") for i in range(2, 40))]
    _, problems = judge(current, current[1:])
    assert problems == ("anime that must stay are missing: mal:1535",)
    # one never in service is not asked for (a slice, a filtered catalogue)
    assert judge(current[1:], current[1:])[1] == ()


def test_malformed_entries_an_empty_or_an_older_release_are_refused() -> None:
    current = [entry(i, f"Anime {i}") for i in range(2, 12)]
    diff = diff_catalogues(fingerprints(current), iter(current), old_entry=lambda _: None)
    policy = UpdatePolicy()
    assert (
        "do not match the catalogue schema"
        in release_problems(diff, policy, malformed=5, release=RELEASE, current=RELEASE, watched=())[0]
    )
    empty = diff_catalogues(fingerprints(current), iter([]), old_entry=lambda _: None)
    assert (
        "no usable entries"
        in release_problems(empty, policy, malformed=0, release=RELEASE, current=RELEASE, watched=())[0]
    )
    older = CatalogueMetadata(dt.date(2026, 11, 1))
    assert (
        "is older than the catalogue in service"
        in release_problems(diff, policy, malformed=0, release=older, current=RELEASE, watched=())[0]
    )


def test_the_update_settings_are_read_from_config_and_environment(tmp_path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    default = Settings.load({"ANIME_MCP_HOME": str(home)}).catalogue
    assert default.update_every is None and default.max_drop == 0.1
    assert default.must_keep == DEFAULT_MUST_KEEP
    (home / "config.toml").write_text(
        '[catalogue]\nupdate_every = 168\nmax_drop = 0.25\nmust_keep = ["mal:1535", "anilist:21"]\n'
    )
    configured = Settings.load({"ANIME_MCP_HOME": str(home)}).catalogue
    assert (configured.update_every, configured.max_drop) == (168, 0.25)
    assert configured.must_keep == (PlatformId(Platform.MAL, "1535"), PlatformId(Platform.ANILIST, "21"))
    env = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_UPDATE_EVERY": "0"}).catalogue
    assert env.update_every is None  # 0: never
    for bad, named in (("max_drop = 2", "max_drop"), ('must_keep = ["Death Note"]', "must_keep")):
        (home / "config.toml").write_text(f"[catalogue]\n{bad}\n")
        with pytest.raises(ConfigError, match=named):
            Settings.load({"ANIME_MCP_HOME": str(home)})
