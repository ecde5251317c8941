"""``anime-mcp mcp-config``: the MCP client configuration that starts this anime-mcp, printed or merged into
the client's file (other servers and keys kept).

Default files: Claude Desktop ``claude_desktop_config.json`` in ``~/Library/Application Support/Claude/``
(macOS), ``%APPDATA%\\Claude\\`` (Windows), ``~/.config/Claude/`` (Linux); Cursor ``~/.cursor/mcp.json``;
VS Code ``.vscode/mcp.json`` of the current workspace (key ``servers``); generic: no default, ``--config``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.cli.app import out
from anime_mcp.entrypoints.settings import Settings

CLIENTS = ("claude-desktop", "cursor", "vscode", "generic")


def default_config_path(client: str, *, platform: str = sys.platform) -> Path | None:
    home = Path.home()
    if client == "claude-desktop":
        if platform == "darwin":
            return home / "Library" / "Application Support" / "Claude" / "claude_desktop_config.json"
        if platform.startswith("win"):
            return (
                Path(os.environ.get("APPDATA", home / "AppData" / "Roaming"))
                / "Claude"
                / ("claude_desktop_config.json")
            )
        return home / ".config" / "Claude" / "claude_desktop_config.json"
    if client == "cursor":
        return home / ".cursor" / "mcp.json"
    if client == "vscode":
        return Path.cwd() / ".vscode" / "mcp.json"
    return None


def launcher() -> tuple[str, list[str]]:
    """The absolute command that starts this installation's ``anime-mcp mcp``."""
    beside = Path(sys.executable).parent / ("anime-mcp.exe" if os.name == "nt" else "anime-mcp")
    found = str(beside) if beside.is_file() else shutil.which("anime-mcp")
    if found:
        return str(Path(found).absolute()), ["mcp"]
    return str(Path(sys.executable).absolute()), ["-m", "anime_mcp.entrypoints.cli", "mcp"]


def server_entry(client: str, settings: Settings) -> dict[str, Any]:
    command, args = launcher()
    env = {"ANIME_MCP_HOME": str(settings.home.absolute())}
    if settings.search.model:
        model = Path(settings.search.model).expanduser()
        env["ANIME_MCP_MODEL"] = str(model.absolute()) if model.is_dir() else settings.search.model
    entry: dict[str, Any] = {"command": command, "args": args, "env": env}
    return {"type": "stdio", **entry} if client == "vscode" else entry


def servers_key(client: str) -> str:
    return "servers" if client == "vscode" else "mcpServers"


def merged(existing: dict[str, Any], client: str, name: str, entry: dict[str, Any]) -> dict[str, Any]:
    key = servers_key(client)
    servers = existing.get(key, {})
    if not isinstance(servers, dict):
        raise AnimeMcpError(f'"{key}" in the client configuration is not an object; fix it by hand')
    return {**existing, key: {**servers, name: entry}}


def _read(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise AnimeMcpError(
            f"{path} is not plain JSON ({exc}; comments are not kept by this merge): nothing was written; "
            "add the snippet `anime-mcp mcp-config` prints by hand"
        ) from None
    if not isinstance(data, dict):
        raise AnimeMcpError(f"{path} does not hold a JSON object; nothing was written")
    return data


def write_config(path: Path, data: dict[str, Any]) -> Path | None:
    """Replace ``path`` atomically; the previous file is kept as ``<name>.bak``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    backup = None
    if path.is_file():
        backup = path.with_name(path.name + ".bak")
        shutil.copyfile(path, backup)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return backup


@click.command("mcp-config")
@click.option("--client", type=click.Choice(CLIENTS), default="generic", show_default=True)
@click.option("--write", is_flag=True, help="Merge into the client's configuration file (others kept).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The configuration file to merge into (default: the client's usual file).",
)
@click.option("--name", default="anime", show_default=True, help="The server's name in the client.")
@click.pass_context
def mcp_config(ctx: click.Context, client: str, write: bool, config_path: Path | None, name: str) -> None:
    """Print (or with --write merge into the client's file) the MCP configuration that starts this
    anime-mcp over stdio, with absolute paths and ANIME_MCP_HOME filled in."""
    settings: Settings = ctx.ensure_object(dict)["settings"]
    entry = server_entry(client, settings)
    if not write:
        click.echo(json.dumps({servers_key(client): {name: entry}}, indent=2, ensure_ascii=False))
        return
    path = config_path or default_config_path(client)
    if path is None:
        raise click.UsageError("--client generic has no usual file: give --config PATH")
    data = merged(_read(path), client, name, entry)
    backup = write_config(path, data)
    kept = len(data[servers_key(client)]) - 1
    out.print(
        f"wrote server {name!r} into {path} ({kept} other server(s) kept"
        + (f"; the previous file is {backup}" if backup else "")
        + "); restart the client to pick it up"
    )
