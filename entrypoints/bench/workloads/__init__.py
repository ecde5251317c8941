"""The workloads that drive the whole application rather than one adapter: ``anime-mcp serve`` and ``mcp``
processes under load, sources replayed through the tool catalogue, the engine's rankings side by side, full
ingests and imports. They live with the bench command (they compose the app, spawn its processes and read
its internals) and are offered beside the plugins' workloads; each module is one group, named by ``GROUP``
(``anime-mcp bench serve`` runs every workload of the serve group).

Modules import nothing heavy at import time: ``anime-mcp --help`` lists the workloads without loading them.
"""

from __future__ import annotations

import importlib

from anime_mcp.ports.workload import Workload

MODULES = ("search_quality", "serving", "replayed", "data")


def host_groups() -> dict[str, list[Workload]]:
    """Group name -> its workloads, in the order the modules list them."""
    groups: dict[str, list[Workload]] = {}
    for name in MODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        groups.setdefault(module.GROUP, []).extend(module.workloads())
    return groups
