"""Configuration: environment variables first, then ``$ANIME_MCP_HOME/config.toml``, then defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import platformdirs
from attrs import frozen

from anime_mcp.core.errors import AnimeMcpError

UPSTREAM_CATALOGUE_URL = (
    "https://github.com/cedya77/anime-offline-database/releases/download/latest/"
    "anime-offline-database.jsonl.zst"
)


class ConfigError(AnimeMcpError):
    """The configuration file or an environment variable has an unusable value."""


@frozen
class Settings:
    home: Path
    catalogue: str | None  # a path or URL chosen by env or config; None means the upstream URL
    catalogue_url: str
    log_format: str  # "console" or "json"
    log_level: str

    @property
    def store_dir(self) -> Path:
        return self.home

    @property
    def download_dir(self) -> Path:
        return self.home / "downloads"

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home = Path(env.get("ANIME_MCP_HOME") or platformdirs.user_data_dir("anime-mcp")).expanduser()
        config = read_config(home / "config.toml")
        catalogue_section = config.get("catalogue", {})
        log_format = env.get("ANIME_MCP_LOG_FORMAT") or config.get("log", {}).get("format", "console")
        if log_format not in ("console", "json"):
            raise ConfigError(f"log format must be 'console' or 'json', not {log_format!r}")
        log_level = env.get("ANIME_MCP_LOG_LEVEL") or config.get("log", {}).get("level", "warning")
        return cls(
            home=home,
            catalogue=env.get("ANIME_MCP_CATALOGUE") or catalogue_section.get("source"),
            catalogue_url=catalogue_section.get("url", UPSTREAM_CATALOGUE_URL),
            log_format=log_format,
            log_level=log_level.lower(),
        )


def read_config(path: Path) -> dict[str, Any]:
    """The whole ``config.toml`` (empty when there is none); invalid TOML is a ``ConfigError``."""
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None


def config_table(path: Path, name: str) -> dict[str, Any]:
    """One top-level table of ``config.toml`` (``[search]``, ``[serve]``, ``[sources]``), empty if absent."""
    table = read_config(path).get(name, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [{name}] must be a table")
    return table


def positive_int(value: object, name: str) -> int:
    """A setting that must be a whole number above zero, from TOML or from an environment string."""
    try:
        number = int(str(value))
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be positive, not {number}")
    return number
