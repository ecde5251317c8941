"""``python -m anime_mcp.entrypoints.cli``: the same as the ``anime-mcp`` command (admin jobs run it)."""

from anime_mcp.entrypoints.cli.app import main

main()
