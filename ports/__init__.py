"""The contracts between the domain and technology: Protocols, hookspecs and the plugin host facade."""

from anime_mcp.ports.hookspecs import hookimpl

__all__ = ["hookimpl"]
