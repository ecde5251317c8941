"""The ``anime-mcp`` console script: the collector stays off while the program starts.

A start imports some 450 modules and builds hundreds of classes; the cyclic collector runs about 150 times
meanwhile (55-70 ms here) and finds nothing to free, since all of it lives as long as the process. Every
command turns it back on before doing its work (``memory.collect_after_start``), except ``anime-mcp mcp``,
which keeps it off until its warm-up has loaded the model and opened the index (a first answer sooner).
Only this module turns it off, so importing the command (tests, ``python -m``) changes nothing.
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()  # turned on again by memory.collect_after_start; the start's objects are frozen then
    from anime_mcp.entrypoints.cli import main as run

    run()
