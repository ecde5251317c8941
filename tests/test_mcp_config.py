"""``anime-mcp mcp-config``: the snippet printed per client, and ``--write`` merging into a client's file
without losing the user's other servers and keys."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from anime_mcp.entrypoints.cli import app as cli_app
from anime_mcp.entrypoints.cli.mcp_config import default_config_path


def run(home: Path, *args: str) -> Result:
    env = {"ANIME_MCP_HOME": str(home), "ANIME_MCP_MODEL": ""}
    return CliRunner().invoke(cli_app.cli, ["mcp-config", *args], env=env, catch_exceptions=False)


def test_the_printed_snippet_starts_this_installation(tmp_path: Path) -> None:
    result = run(tmp_path / "home", "--client", "claude-desktop")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["mcpServers"]["anime"]
    assert entry["env"] == {"ANIME_MCP_HOME": str(tmp_path / "home")}
    assert Path(entry["command"]).is_absolute()
    assert entry["args"][-1] == "mcp"
    expected = Path(sys.executable).parent / "anime-mcp"
    assert entry["command"] == str(expected)  # the console script of this venv


def test_vscode_uses_its_own_key_and_type(tmp_path: Path) -> None:
    result = run(tmp_path, "--client", "vscode", "--name", "anime-db")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stdout)["servers"]["anime-db"]
    assert entry["type"] == "stdio" and entry["args"] == ["mcp"]


def test_write_keeps_the_users_other_servers_and_keys(tmp_path: Path) -> None:
    config = tmp_path / "claude_desktop_config.json"
    user = {
        "globalShortcut": "Ctrl+Space",
        "mcpServers": {
            "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/x"]},
            "anime": {"command": "/old/anime-mcp", "args": ["mcp"]},
        },
    }
    config.write_text(json.dumps(user), encoding="utf-8")
    result = run(tmp_path / "home", "--client", "claude-desktop", "--write", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "1 other server(s) kept" in result.stdout
    written = json.loads(config.read_text())
    assert written["globalShortcut"] == "Ctrl+Space"
    assert written["mcpServers"]["filesystem"] == user["mcpServers"]["filesystem"]
    assert written["mcpServers"]["anime"]["env"] == {"ANIME_MCP_HOME": str(tmp_path / "home")}
    assert json.loads((tmp_path / "claude_desktop_config.json.bak").read_text()) == user

    again = run(tmp_path / "home", "--client", "claude-desktop", "--write", "--config", str(config))
    assert again.exit_code == 0 and json.loads(config.read_text()) == written  # idempotent


def test_write_creates_a_missing_file_and_refuses_one_it_cannot_read(tmp_path: Path) -> None:
    fresh = tmp_path / "cursor" / "mcp.json"
    assert run(tmp_path, "--client", "cursor", "--write", "--config", str(fresh)).exit_code == 0
    assert list(json.loads(fresh.read_text())["mcpServers"]) == ["anime"]

    commented = tmp_path / "mcp.json"
    commented.write_text('{\n  // my servers\n  "servers": {}\n}\n', encoding="utf-8")
    result = run(tmp_path, "--client", "vscode", "--write", "--config", str(commented))
    assert result.exit_code == 1
    assert "is not plain JSON" in result.stderr and "nothing was written" in result.stderr
    assert commented.read_text().startswith("{\n  // my servers")

    generic = run(tmp_path, "--client", "generic", "--write")
    assert generic.exit_code == 2 and "--config PATH" in generic.output


def test_default_config_paths_per_os() -> None:
    home = Path.home()
    mac = default_config_path("claude-desktop", platform="darwin")
    assert mac == home / "Library/Application Support/Claude/claude_desktop_config.json"
    assert default_config_path("claude-desktop", platform="linux") == (
        home / ".config/Claude/claude_desktop_config.json"
    )
    assert str(default_config_path("claude-desktop", platform="win32")).endswith(
        "Claude/claude_desktop_config.json"
    )
    assert default_config_path("cursor") == home / ".cursor/mcp.json"
    assert default_config_path("vscode") == Path.cwd() / ".vscode/mcp.json"
    assert default_config_path("generic") is None
