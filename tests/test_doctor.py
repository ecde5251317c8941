"""``anime-mcp doctor``: every problem named with what to do, exit code 1 when something blocks use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hub_support import closed_port_url, write_catalogue_slice
from shared_data import MINILM, require_shared

from anime_mcp.entrypoints.cli import app as cli_app


def run(home: Path, *args: str, **env: str) -> Result:
    environment = {
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_MODEL": "",
        "ANIME_MCP_QDRANT_URL": "",
        "ANIME_MCP_REDIS_URL": "",
        "ANIME_MCP_MAL_CLIENT_ID": "",
        "ANIME_MCP_JIKAN_URL": "",
        **env,
    }
    return CliRunner().invoke(cli_app.cli, list(args), env=environment, catch_exceptions=False)


def checks(result: Result) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in json.loads(result.stdout)["checks"]}


@pytest.fixture(scope="module")
def ready_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require_shared(MINILM)
    base = tmp_path_factory.mktemp("doctor")
    release = write_catalogue_slice(base / "slice.jsonl.zst", 60)
    home = base / "home"
    done = run(home, "quickstart", "--catalogue", str(release), "--model-from", str(MINILM), "--int8")
    assert done.exit_code == 0, done.output
    return home


def test_a_fresh_home_fails_and_says_what_to_do(tmp_path: Path) -> None:
    result = run(tmp_path / "nothing-here", "doctor", "--json")
    assert result.exit_code == 1
    found = checks(result)
    assert found["python"]["status"] == "ok"
    assert found["home"]["status"] == "fail" and "anime-mcp quickstart" in found["home"]["fix"]
    assert found["catalogue"]["status"] == "fail" and "quickstart" in found["catalogue"]["fix"]
    assert found["model"]["status"] == "fail"
    assert (
        "models install all-MiniLM-L6-v2" in found["model"]["fix"] and "--from DIR" in found["model"]["fix"]
    )
    assert found["index"]["status"] == "fail"
    assert json.loads(result.stdout)["ok"] is False


def test_a_quickstarted_home_is_ready(ready_home: Path) -> None:
    result = run(ready_home, "doctor", "--json")
    assert result.exit_code == 0, result.output
    found = checks(result)
    for name in ("python", "home", "catalogue", "model", "index"):
        assert found[name]["status"] == "ok", found[name]
    assert "60 entries" in found["catalogue"]["detail"]
    assert "all-MiniLM-L6-v2-int8 (384-d, int8)" in found["model"]["detail"]
    assert "60 entries, all-MiniLM-L6-v2-int8" in found["index"]["detail"]
    # A source that needs a credential warns (it is left out of answers) but does not block use.
    simkl = found["source simkl"]
    assert simkl["status"] == "warn" and "ANIME_MCP_SIMKL_CLIENT_ID" in simkl["fix"]
    assert "redis" not in found

    table = run(ready_home, "doctor")
    assert table.exit_code == 0 and "everything needed works" in table.stdout


def test_redis_configured_but_down_blocks(ready_home: Path) -> None:
    url = closed_port_url().replace("http://", "redis://") + "/0"
    result = run(ready_home, "doctor", "--json", ANIME_MCP_REDIS_URL=url)
    assert result.exit_code == 1
    redis = checks(result)["redis"]
    assert redis["status"] == "fail" and url in redis["detail"] and "ANIME_MCP_REDIS_URL" in redis["fix"]


def test_an_index_built_with_another_model_is_named(ready_home: Path) -> None:
    result = run(ready_home, "doctor", "--json", ANIME_MCP_MODEL=str(MINILM))  # fp32: the index is int8
    assert result.exit_code == 1
    index = checks(result)["index"]
    assert index["status"] == "fail" and "ingest --reindex" in index["fix"]
