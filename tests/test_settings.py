"""The one settings object: flags > environment > config.toml > defaults; every value checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from anime_mcp.entrypoints.settings import UPSTREAM_CATALOGUE_URL, ConfigError, Settings


def load(home: Path, config: str = "", **env: str) -> Settings:
    if config:
        (home / "config.toml").write_text(config)
    return Settings.load({"ANIME_MCP_HOME": str(home), **env})


def test_defaults_without_config_or_environment(tmp_path: Path) -> None:
    settings = load(tmp_path)
    assert settings.home == tmp_path
    assert settings.catalogue.location == UPSTREAM_CATALOGUE_URL
    assert (settings.log.format, settings.log.level) == ("console", "warning")
    assert (settings.serve.workers, settings.serve.max_body_bytes, settings.serve.warm_up) == (
        4,
        1 << 20,
        True,
    )
    assert settings.serve.admin_token is None and settings.serve.tracing == "off"
    assert settings.search.index_location == str(tmp_path / "index") and settings.search.hnsw.exact
    assert settings.plugins.load is None and settings.plugins.disable == frozenset()
    assert settings.sources == {}


def test_environment_wins_over_config_and_flags_win_over_both(tmp_path: Path) -> None:
    config = (
        '[serve]\nworkers = 2\nadmin_token = "from-config"\n[log]\nlevel = "info"\n[search]\nmodel = "cfg"\n'
    )
    settings = load(tmp_path, config, ANIME_MCP_MAX_BODY_BYTES="2048", ANIME_MCP_TRACING="console")
    serve = settings.serve
    assert (serve.workers, serve.admin_token, serve.max_body_bytes, serve.tracing) == (
        2,
        "from-config",
        2048,
        "console",
    )
    assert load(tmp_path, ANIME_MCP_ADMIN_TOKEN="env").serve.admin_token == "env"
    assert load(tmp_path, ANIME_MCP_WARM_UP="0").serve.warm_up is False
    assert load(tmp_path, ANIME_MCP_DEADLINE="1.5").serve.deadline == 1.5
    assert load(tmp_path, ANIME_MCP_MODEL="").search.model == "cfg"  # an empty variable is unset
    flagged = Settings.load(
        {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOG_LEVEL": "error"}, flags={"log.level": "debug"}
    )
    assert flagged.log.level == "debug"
    assert Settings.load({"ANIME_MCP_HOME": str(tmp_path)}, flags={"log.level": None}).log.level == "info"


def test_plugin_lists_from_environment_or_config(tmp_path: Path) -> None:
    assert load(tmp_path, ANIME_MCP_LOAD_PLUGINS="").plugins.load == frozenset()  # set but empty: none
    assert load(tmp_path, ANIME_MCP_LOAD_PLUGINS="a, b").plugins.load == {"a", "b"}
    configured = load(tmp_path, '[plugins]\ndisable = ["kitsu"]\ntrace = true\nembedder = "onnx"\n')
    assert configured.plugins.disable == {"kitsu"} and configured.plugins.trace
    assert configured.plugins.embedder == "onnx"


@pytest.mark.parametrize(
    ("config", "env", "message"),
    [
        ("[serch]\nmodel = 'x'\n", {}, r"unknown table \[serch\]"),
        ("[search]\nmodle = 'x'\n", {}, r"\[search\] has an unknown key 'modle'; known: embed_threads"),
        ("[serve]\nworkers = 0\n", {}, r"\[serve\] workers must be positive"),
        ("[serve]\nworkers = true\n", {}, r"workers must be a whole number"),
        ("[search]\nexact = 'maybe'\n", {}, r"exact must be true or false"),
        ("[log]\nformat = 'xml'\n", {}, r"format must be console or json"),
        ("search = 3\n", {}, r"\[search\] must be a table"),
        ("", {"ANIME_MCP_TRACING": "zipkin"}, r"ANIME_MCP_TRACING must be off or console or otlp"),
        ("", {"ANIME_MCP_WORKERS": "0"}, r"ANIME_MCP_WORKERS must be positive"),
        ("", {"ANIME_MCP_MAX_BODY_BYTES": "lots"}, r"ANIME_MCP_MAX_BODY_BYTES must be a whole number"),
        ("", {"ANIME_MCP_WARM_UP": "perhaps"}, r"ANIME_MCP_WARM_UP must be true or false"),
        ("", {"ANIME_MCP_DEADLINE": "0"}, r"ANIME_MCP_DEADLINE must be above 0 and at most 3600 seconds"),
        ("[serve]\ndeadline = 'soon'\n", {}, r"\[serve\] deadline must be a number of seconds"),
        ("[sources.kitsu]\nread_timout = 5\n", {}, r"\[sources.kitsu\]: unknown setting\(s\) read_timout"),
        ("[search\n", {}, r"config\.toml is not valid TOML"),
    ],
)
def test_a_wrong_key_or_value_names_it(
    tmp_path: Path, config: str, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load(tmp_path, config, **env)


def test_a_bad_setting_stops_every_command_with_its_name(tmp_path: Path) -> None:
    from anime_mcp.entrypoints.cli.app import cli

    (tmp_path / "config.toml").write_text("[serve]\nworkers = -1\n")
    result = CliRunner().invoke(cli, ["plugins"], env={"ANIME_MCP_HOME": str(tmp_path)})
    assert result.exit_code != 0
    assert "[serve] workers must be positive" in result.output


def test_cache_settings_defaults_units_and_environment(tmp_path: Path) -> None:
    defaults = load(tmp_path).cache
    assert (defaults.l1_entries, defaults.l1_bytes, defaults.redis_url) == (10_000, 64 << 20, None)
    assert (defaults.ttl_metadata, defaults.ttl_streaming, defaults.ttl_schedule) == (
        3 * 86400,
        6 * 3600,
        900,
    )
    assert (defaults.ttl_not_found, defaults.stale_grace) == (86400, 7 * 86400)
    config = (
        '[cache]\nl1_entries = 5\nl1_bytes = 1000\nredis_url = "redis://config:1/0"\n'
        "ttl_metadata = 2\nttl_streaming = 1.5\nttl_schedule = 5\nttl_not_found = 0.5\nstale_grace = 0\n"
    )
    cache = load(
        tmp_path, config, ANIME_MCP_REDIS_URL="redis://env:2/0", ANIME_MCP_CACHE_L1_ENTRIES="7"
    ).cache
    assert (cache.l1_entries, cache.l1_bytes, cache.redis_url) == (7, 1000, "redis://env:2/0")
    assert (cache.ttl_metadata, cache.ttl_streaming, cache.ttl_schedule) == (2 * 86400, 5400, 300)
    assert (cache.ttl_not_found, cache.stale_grace) == (43200, 0)


@pytest.mark.parametrize(
    ("config", "named"),
    [
        ("[cache]\nttl_metadata = -1\n", "ttl_metadata"),
        ('[cache]\nttl_schedule = "soon"\n', "ttl_schedule"),
        ("[cache]\nl1_bytes = 0\n", "l1_bytes"),
        ("[cache]\nredis = 1\n", "redis"),
    ],
)
def test_bad_cache_settings_name_the_key(tmp_path: Path, config: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(tmp_path, config)


def test_replay_settings_from_config_or_environment(tmp_path: Path) -> None:
    defaults = load(tmp_path).replay
    assert (defaults.dir, defaults.record) == (None, None)
    config = '[replay]\ndir = "/config/recordings"\nrecord = "~/captured"\n'
    replay = load(tmp_path, config).replay
    assert replay.dir == Path("/config/recordings") and replay.record == Path("~/captured").expanduser()
    assert load(tmp_path, config, ANIME_MCP_REPLAY="/env/recordings").replay.dir == Path("/env/recordings")


@pytest.mark.parametrize(
    ("config", "named"),
    [('[replay]\ndir = ""\n', "dir"), ("[replay]\ndir = 1\n", "dir"), ('[replay]\nfolder = "x"\n', "folder")],
)
def test_bad_replay_settings_name_the_key(tmp_path: Path, config: str, named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        load(tmp_path, config)
