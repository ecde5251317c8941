"""Access control of the HTTP server, over fakes (no model, no index files): API keys per client, their
rate limits, CORS, the bind check of ``anime-mcp serve``, and no secret in the logs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner
from fake_app_support import fake_runtime
from starlette.testclient import TestClient

from anime_mcp.entrypoints.cli.app import cli
from anime_mcp.entrypoints.logging import REDACTED, configure_logging, redact_text
from anime_mcp.entrypoints.rest.access import WINDOW, KeyBudget, open_bind_refusal
from anime_mcp.entrypoints.rest.app import create_app
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.settings import ConfigError, ServeSettings, Settings
from anime_mcp.entrypoints.tools import Tool, ToolCatalogue, build_tools
from anime_mcp.entrypoints.tools.schemas import object_schema

ALICE = "alice-key-0123456789abcdef"
BOB = "bob-key-fedcba9876543210xyz"
ADMIN = "admin-token-5f1c9e0b7d2a"
MAL_CLIENT_ID = "mal-client-id-8c1f2e3d4b5a"
ANIDB_CLIENT = "anidbclientname"
PROXY_PASSWORD = "proxy-pass-77aa11"
KEYS = (("alice", ALICE), ("bob", BOB))


def crash_tool() -> Tool:
    async def crash(runtime: Runtime, arguments: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError(
            f"upstream refused https://user:{PROXY_PASSWORD}@proxy.example:3128/x?client={ANIDB_CLIENT}&a=1 "
            f"with Authorization: Bearer {ADMIN}"
        )

    return Tool(
        name="crash",
        title="Crash",
        description="Always fails, quoting secrets.",
        input_schema=object_schema({}, []),
        output_schema=object_schema({}, []),
        handler=crash,
        render=lambda output: "",
    )


def make_client(home: Path, **serve: Any) -> TestClient:
    runtime = fake_runtime(home, **serve)
    tools = ToolCatalogue([*build_tools(runtime), crash_tool()])
    return TestClient(create_app(runtime, tools), raise_server_exceptions=False)


@pytest.fixture
def keyed(tmp_path: Path) -> Iterator[TestClient]:
    with make_client(tmp_path, api_keys=KEYS, admin_token=ADMIN) as client:
        yield client


def test_without_keys_nothing_is_asked(tmp_path: Path) -> None:
    with make_client(tmp_path) as client:
        assert client.get("/api/tools").status_code == 200


def test_with_keys_every_api_request_needs_one(keyed: TestClient) -> None:
    missing = keyed.get("/api/tools")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "unauthorized"
    assert "X-API-Key" in missing.json()["error"]["message"]
    assert missing.headers["www-authenticate"] == "ApiKey"
    assert missing.headers["x-correlation-id"]  # refused inside the request context: traced and logged
    wrong = keyed.get("/api/tools", headers={"x-api-key": ALICE[:-1] + "X"})
    assert wrong.status_code == 401 and "not recognised" in wrong.json()["error"]["message"]
    assert keyed.get("/api/tools", headers={"x-api-key": ALICE}).status_code == 200
    assert keyed.get("/api/tools", headers={"authorization": f"Bearer {BOB}"}).status_code == 200
    found = keyed.post(
        "/api/tools/get_anime_by_id", json={"anime_id": "mal:1535"}, headers={"x-api-key": BOB}
    )
    assert found.status_code == 200 and found.json()["anime"]["title"] == "Death Note"
    assert keyed.get("/stats").status_code == 401
    mcp = keyed.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert mcp.status_code == 401


def test_health_and_docs_stay_open(keyed: TestClient) -> None:
    for path in ("/health", "/openapi.json", "/docs", "/"):
        assert keyed.get(path).status_code in (200, 503), path


def test_admin_endpoints_answer_to_their_own_token(keyed: TestClient) -> None:
    assert keyed.get("/api/admin/jobs").status_code == 401  # the admin check, not the key check
    assert keyed.get("/api/admin/jobs", headers={"x-api-key": ALICE}).status_code == 401
    assert keyed.get("/api/admin/jobs", headers={"authorization": f"Bearer {ADMIN}"}).status_code == 200


def test_each_key_has_its_own_rate_limit(tmp_path: Path) -> None:
    with make_client(tmp_path, api_keys=KEYS, api_key_rate=3) as client:
        for _ in range(3):
            assert client.get("/api/tools", headers={"x-api-key": ALICE}).status_code == 200
        limited = client.get("/api/tools", headers={"x-api-key": ALICE})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= WINDOW
        assert client.get("/api/tools", headers={"x-api-key": BOB}).status_code == 200


def test_the_budget_slides_with_time() -> None:
    now = [0.0]
    budget = KeyBudget(2, lambda: now[0])
    assert (budget.wait("a"), budget.wait("a")) == (0.0, 0.0)
    now[0] = 10.0
    assert budget.wait("a") == pytest.approx(50.0)  # the first request leaves the window at 60 s
    assert budget.wait("b") == 0.0
    now[0] = 60.0
    assert budget.wait("a") == 0.0


def test_cors_is_off_by_default(keyed: TestClient) -> None:
    preflight = keyed.options(
        "/api/tools",
        headers={"origin": "https://app.example", "access-control-request-method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers


def test_cors_allows_the_configured_origins_only(tmp_path: Path) -> None:
    origins = ("https://app.example",)
    with make_client(tmp_path, api_keys=KEYS, cors_origins=origins) as client:
        ask = {"access-control-request-method": "POST", "access-control-request-headers": "x-api-key"}
        allowed = client.options("/api/query", headers={"origin": "https://app.example", **ask})
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        refused = client.options("/api/query", headers={"origin": "https://evil.example", **ask})
        assert "access-control-allow-origin" not in refused.headers
        answer = client.get("/api/tools", headers={"origin": "https://app.example", "x-api-key": ALICE})
        assert answer.headers["access-control-allow-origin"] == "https://app.example"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.5", "::1", "[::1]", "localhost"])
def test_loopback_needs_no_keys(host: str) -> None:
    assert open_bind_refusal(host, ServeSettings()) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "myhost.lan"])
def test_elsewhere_keys_are_required_unless_explicitly_waived(host: str) -> None:
    refusal = open_bind_refusal(host, ServeSettings())
    assert refusal is not None and "[serve] api_keys" in refusal and "allow_unauthenticated" in refusal
    assert open_bind_refusal(host, ServeSettings(api_keys=KEYS)) is None
    assert open_bind_refusal(host, ServeSettings(allow_unauthenticated=True)) is None


def test_serve_on_every_interface_without_keys_refuses_to_start(tmp_path: Path) -> None:
    env = {"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_API_KEYS": None, "ANIME_MCP_API_KEYS_FILE": None}
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--port", "0"], env=env)
    structlog.reset_defaults()
    assert result.exit_code == 1
    assert "refusing to serve on 0.0.0.0 without API keys" in result.output
    assert "[serve] api_keys" in result.output


def test_api_keys_from_the_environment_and_a_file(tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.txt"
    keys_file.write_text(f"# clients\nbob:{BOB}\n\n", encoding="utf-8")
    settings = Settings.load(
        {
            "ANIME_MCP_HOME": str(tmp_path),
            "ANIME_MCP_API_KEYS": f"alice:{ALICE}",
            "ANIME_MCP_API_KEYS_FILE": str(keys_file),
            "ANIME_MCP_API_KEY_RATE": "120",
            "ANIME_MCP_CORS_ORIGINS": "https://a.example,https://b.example",
        }
    )
    assert settings.serve.api_keys == KEYS
    assert settings.serve.api_key_rate == 120
    assert settings.serve.cors_origins == ("https://a.example", "https://b.example")
    assert ALICE not in repr(settings) and BOB not in repr(settings)


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("alice:short", "shorter than 16"),
        (f"alice:{ALICE},bob:{ALICE}", "share the key"),
        ("alice", "name:key"),
    ],
)
def test_bad_api_keys_stop_start_up(tmp_path: Path, value: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        Settings.load({"ANIME_MCP_HOME": str(tmp_path), "ANIME_MCP_API_KEYS": value})


# --- no secret in the logs ------------------------------------------------------------------------------


def test_no_secret_reaches_the_logs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Requests carrying keys, the admin token and secrets in URLs; a crash whose message quotes them; log
    calls with secrets in their fields. Not one secret is in what the process wrote."""
    monkeypatch.setenv("ANIME_MCP_MAL_CLIENT_ID", MAL_CLIENT_ID)
    monkeypatch.setenv("ANIME_MCP_ANIDB_CLIENT", ANIDB_CLIENT)
    configure_logging("json", "debug")
    try:
        with make_client(tmp_path, api_keys=KEYS, admin_token=ADMIN) as client:
            client.get(f"/api/tools?api_key={ALICE}", headers={"x-api-key": ALICE})
            client.get("/api/tools", headers={"x-api-key": BOB + "-wrong"})
            client.get("/api/admin/jobs", headers={"authorization": f"Bearer {ADMIN}"})
            crashed = client.post("/api/tools/crash", json={}, headers={"authorization": f"Bearer {BOB}"})
            assert crashed.status_code == 500
        log = structlog.get_logger("test")
        log.warning(
            "upstream",
            url=f"https://api.example/v2?client_id={MAL_CLIENT_ID}&q=death",
            headers={"Authorization": f"Bearer {ALICE}", "X-MAL-CLIENT-ID": MAL_CLIENT_ID, "accept": "json"},
            proxy=f"http://bob:{PROXY_PASSWORD}@proxy:3128",
            detail=f"anidb answered for client {ANIDB_CLIENT}",
            token=ADMIN,
            tokens=42,  # a count, not a secret
        )
    finally:
        structlog.reset_defaults()
    written = capsys.readouterr().err
    lines = [json.loads(line) for line in written.splitlines() if line.startswith("{")]
    events = {line["event"] for line in lines}
    assert {"http.request", "http.crashed", "upstream"} <= events, events
    for secret in (ALICE, BOB, ADMIN, MAL_CLIENT_ID, ANIDB_CLIENT, PROXY_PASSWORD):
        assert secret not in written, secret
    assert REDACTED in written
    upstream = next(line for line in lines if line["event"] == "upstream")
    assert upstream["tokens"] == 42 and upstream["headers"]["accept"] == "json"
    assert upstream["url"] == f"https://api.example/v2?client_id={REDACTED}&q=death"


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("redis://:hunter22@redis:6379/0", f"redis://{REDACTED}@redis:6379/0"),
        (
            "GET /x?request=anime&client=mine&clientver=1",
            f"GET /x?request=anime&client={REDACTED}&clientver=1",
        ),
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {REDACTED}"),
        (
            "nothing secret here: https://kitsu.app/anime/1376",
            "nothing secret here: https://kitsu.app/anime/1376",
        ),
    ],
)
def test_secrets_in_text_are_redacted(text: str, redacted: str) -> None:
    assert redact_text(text) == redacted
