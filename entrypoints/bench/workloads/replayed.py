"""The workloads that replay real recordings (../shared/fixtures) as the upstream of whole ``anime-mcp``
processes, each in a deployment of its own made in the workdir (a home of a few catalogue entries, a
recordings folder, ``serve`` or ``mcp`` children, a throwaway Redis): the configuration under test does not
change them (``varies`` is empty), each runs once (no warm-up pass, one timed pass), and without ../shared
they are skipped saying so.

- ``enrich-fanout``: four sources alone and together over REST (replayed_fanout.py);
- ``enrich-repeat-stdio``: an enrichment served from L1 over MCP stdio, against a catalogue lookup
  (replayed_repeat.py);
- ``shared-upstream``: two ``serve`` processes and one Redis reach the upstream once (replayed_upstream.py).
"""

from __future__ import annotations

from typing import cast

from anime_mcp.entrypoints.bench.workloads.replayed_fanout import EnrichFanout
from anime_mcp.entrypoints.bench.workloads.replayed_repeat import EnrichRepeatStdio
from anime_mcp.entrypoints.bench.workloads.replayed_upstream import SharedUpstream
from anime_mcp.ports.workload import Workload

GROUP = "sources"


def workloads() -> list[Workload]:
    # frozen attrs classes: read-only attributes, which the protocol's plain annotations do not admit
    return cast("list[Workload]", [EnrichFanout(), EnrichRepeatStdio(), SharedUpstream()])
