"""Per-source HTTP settings from config.toml ``[sources.<id>]``: parsed strictly, applied to the live
runtime (the source's HTTP client really runs with them), shown by ``anime-mcp sources``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import structlog
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from anime_mcp.adapters.clock import VirtualClock
from anime_mcp.adapters.http.policy import HttpPolicy
from anime_mcp.core.errors import NotFound, SourceError
from anime_mcp.core.platforms import Platform, PlatformId
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ConfigError, Settings
from anime_mcp.entrypoints.source_settings import parse_source_overrides
from anime_mcp.ports.source import RateLimit

CONFIG = """
[log]
level = "warning"

[sources.kitsu]
rate_limits = [{requests = 2, per_seconds = 1}, {requests = 50, per_seconds = 60}]
read_timeout = 7
max_retries = 1
cache_ttl = 3600
"""


def test_a_sources_table_becomes_policy_overrides(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    overrides = Settings.load({"ANIME_MCP_HOME": str(tmp_path)}).sources
    assert overrides == {
        "kitsu": {
            "rate_limits": (RateLimit(2, 1.0), RateLimit(50, 60.0)),
            "read_timeout": 7.0,
            "max_retries": 1,
            "cache_ttl": 3600.0,
        }
    }
    assert isinstance(overrides["kitsu"]["read_timeout"], float)  # TOML's 7 is an int; timeouts are seconds
    assert Settings.load({"ANIME_MCP_HOME": str(tmp_path / "nowhere")}).sources == {}


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kitsu": {"read_timout": 5}}, r"\[sources.kitsu\]: unknown setting\(s\) read_timout; known: "),
        ({"kitsu": {"read_timeout": "fast"}}, "read_timeout must be a number of seconds, not 'fast'"),
        ({"kitsu": {"max_retries": 1.5}}, "max_retries must be a whole number, not 1.5"),
        ({"kitsu": {"max_retries": True}}, "max_retries must be a whole number, not True"),
        ({"kitsu": {"forbidden_is_auth": 1}}, "forbidden_is_auth must be true or false, not 1"),
        ({"kitsu": {"user_agent": 3}}, "user_agent must be a string, not 3"),
        ({"kitsu": {"read_timeout": 0}}, "read_timeout must be > 0, not 0"),
        ({"kitsu": {"max_retries": -1}}, "max_retries must be >= 0, not -1"),
        ({"kitsu": {"rate_limits": "2/1s"}}, "rate_limits must be a list of tables"),
        ({"kitsu": {"rate_limits": [{"requests": 2}]}}, "each rate limit needs requests and per_seconds"),
        (
            {"kitsu": {"rate_limits": [{"requests": 0, "per_seconds": 1}]}},
            "requests >= 1 and per_seconds > 0",
        ),
        ({"kitsu": {"rate_limits": [{"requests": "2", "per_seconds": 1}]}}, "a rate limit takes numbers"),
        ({"kitsu": 5}, r"\[sources.kitsu\] must be a table"),
        ([1, 2], r"\[sources\] must be a table"),
    ],
)
def test_bad_settings_are_config_errors_naming_table_and_key(table: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_source_overrides(table)


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text("[sources.kitsu\nread_timeout = 5")
    with pytest.raises(ConfigError, match=r"config\.toml is not valid TOML"):
        Settings.load({"ANIME_MCP_HOME": str(tmp_path)})


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
    max_leaves=12,
)
setting_names = st.sampled_from(["rate_limits", "read_timeout", "max_retries", "user_agent", "requests", "x"])


@given(
    st.dictionaries(
        st.text(max_size=8), st.dictionaries(setting_names, toml_values, max_size=4) | toml_values, max_size=3
    )
)
def test_hostile_tables_give_overrides_or_a_config_error_never_a_crash(tables: dict[str, Any]) -> None:
    try:
        overrides = parse_source_overrides(tables)
    except ConfigError:
        return
    for values in overrides.values():
        HttpPolicy().with_overrides(values)  # whatever is accepted makes a valid policy


def test_the_runtime_gives_the_source_the_configured_policy(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(CONFIG)
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:  # nothing goes out
        requests.append(request)
        return httpx.Response(404, json={"errors": [{"title": "Record not found", "status": "404"}]})

    fakes = Overrides(
        http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        clock=VirtualClock(),
        env={},
    )
    runtime = Runtime(bootstrap(Settings.load({"ANIME_MCP_HOME": str(tmp_path)}), overrides=fakes))
    sources = runtime.sources()
    made = [runtime.http_runtime]
    with pytest.raises(NotFound):
        anyio.run(sources["kitsu"].fetch, PlatformId(Platform.KITSU, "1"))
    with pytest.raises(SourceError):  # AniList reads the 404 body as a GraphQL error: any refusal will do
        anyio.run(sources["anilist"].fetch, PlatformId(Platform.ANILIST, "1"))
    kitsu, anilist = made[0].existing("kitsu"), made[0].existing("anilist")
    assert kitsu is not None and anilist is not None
    assert kitsu.policy.rate_limits == (RateLimit(2, 1.0), RateLimit(50, 60.0))
    assert (kitsu.policy.read_timeout, kitsu.policy.max_retries, kitsu.policy.cache_ttl) == (7.0, 1, 3600.0)
    kitsu_requests = [r for r in requests if "kitsu" in r.url.host]
    assert [r.extensions["timeout"]["read"] for r in kitsu_requests] == [7.0]  # what httpx really got
    assert anilist.policy.read_timeout == HttpPolicy().read_timeout  # not configured: the source's own
    described = {item["id"]: item for item in runtime.describe_sources()}
    assert described["kitsu"]["rate_limits"] == ["2/1s", "50/60s"]
    assert described["kitsu"]["configured"] == ["cache_ttl", "max_retries", "rate_limits", "read_timeout"]
    assert described["anilist"]["configured"] == []


def test_the_sources_command_shows_configured_limits_and_refuses_a_bad_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environment = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_LOAD_PLUGINS": "kitsu", "COLUMNS": "200"}
    (tmp_path / "config.toml").write_text(CONFIG)
    try:
        listed = CliRunner().invoke(cli, ["sources", "--json"], env=environment)
        assert listed.exit_code == 0, listed.output
        (kitsu,) = json.loads(listed.output)
        assert kitsu["rate_limits"] == ["2/1s", "50/60s"] and "read_timeout" in kitsu["configured"]

        seen: list[httpx.Request] = []

        def answer(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(404, json={})

        fakes = Overrides(
            http_client=lambda: httpx.AsyncClient(transport=httpx.MockTransport(answer)), env={}
        )
        fetched = CliRunner().invoke(
            cli, ["sources", "fetch", "kitsu", "1", "--json"], env=environment, obj={"overrides": fakes}
        )
        assert fetched.exit_code == 3, fetched.output  # 404: NotFound, through the configured runtime
        assert [r.extensions["timeout"]["read"] for r in seen] == [7.0]

        (tmp_path / "config.toml").write_text("[sources.kitsu]\nread_timout = 5\n")
        refused = CliRunner().invoke(cli, ["sources"], env=environment)
        assert refused.exit_code == 1
        assert "[sources.kitsu]: unknown setting(s) read_timout" in refused.output
    finally:
        structlog.reset_defaults()
