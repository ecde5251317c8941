"""The ``anime-mcp`` console script: the collector stays off while the program starts, and ``anime-mcp mcp``
starts its search process before anything else is imported.

A start imports some 450 modules and builds hundreds of classes; the cyclic collector runs about 150 times
meanwhile (55-70 ms here) and finds nothing to free, since all of it lives as long as the process. Every
command turns it back on before doing its work (``memory.collect_after_start``), except ``anime-mcp mcp``,
which keeps it off until its warm-up has loaded the model and opened the index (a first answer sooner).
Only this module turns it off, so importing the command (tests, ``python -m``) changes nothing.

The search process (``adapters/search_link.py``) loads the model and the index on the other core while this
one imports the server: it is started from the recipe the last start wrote in the home, which the server
checks against its settings before it adopts the process (``bootstrap.search_processes``).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What settings._flag reads as false ("" there means unset, so on). The launch reads the variable and the
# home itself, as Settings.load does: importing the settings would cost the head start it is for.
OFF = ("0", "false", "no", "off")


def main() -> None:
    gc.disable()  # turned on again by memory.collect_after_start; the start's objects are frozen then
    early = None
    if runs_mcp(sys.argv[1:]):
        early = early_search(os.environ)
        plain_structlog()
    from anime_mcp.entrypoints.cli import main as run

    run(early_search=early)


def runs_mcp(arguments: list[str]) -> bool:
    """Whether the command is ``mcp`` (its first word that is not an option of the group), not its help."""
    if "-h" in arguments or "--help" in arguments:
        return False
    words = iter(arguments)
    for word in words:
        if word == "--log-format":
            next(words, None)
        elif not word.startswith("-"):
            return word == "mcp"
    return False


def plain_structlog() -> None:
    """Import structlog with rich hidden. structlog.dev imports rich and pygments when it can, to draw
    tracebacks in colour: about 0.05 s of a start that logs to an MCP client's stderr, where colour is
    noise. It then keeps its plain traceback formatter; rich stays importable for everything else."""
    hidden = "rich" not in sys.modules
    if hidden:
        sys.modules["rich"] = None  # type: ignore[assignment]  # import rich: ImportError, in structlog.dev only
    try:
        import structlog.dev  # noqa: F401 - imported here, with rich hidden, once for the process
    finally:
        if hidden and sys.modules.get("rich", False) is None:
            del sys.modules["rich"]


def early_search(environ: Mapping[str, str]) -> dict[str, Any]:
    """The search processes of the last start's recipe, part -> link; none when no recipe is kept, they are
    turned off, or they cannot start (the server then starts its own)."""
    if environ.get("ANIME_MCP_SEARCH_PROCESS", "").strip().lower() in OFF:
        return {}
    try:
        from anime_mcp.adapters.search_link import RECIPE_FILE, start_early

        home = environ.get("ANIME_MCP_HOME")
        if not home:
            import platformdirs

            home = platformdirs.user_data_dir("anime-mcp")
        return dict(start_early(Path(home).expanduser() / RECIPE_FILE))
    except Exception:  # noqa: BLE001 - a head start only: never a reason for the server not to start
        return {}
