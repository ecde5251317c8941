"""The data group (``anime-mcp bench data``): what the scripts of benchmarks/ measured about the data path.
Catalogue ingest and lookups, seasonal answers offline, the query planner, full ingests and dump imports run
as a user runs them, bulk embedding, image search. Each is self-contained: its own homes in the bench's
workdir, the real data of the shared folder (``bench --shared``), settings as ``--param NAME=VALUE``."""

from __future__ import annotations

from anime_mcp.entrypoints.bench.workloads.data_catalogue import CatalogueLookups, SeasonalOffline
from anime_mcp.entrypoints.bench.workloads.data_embedding import DumpImport, EmbedThroughput, SearchIngest
from anime_mcp.entrypoints.bench.workloads.data_image import ImageSpeed
from anime_mcp.entrypoints.bench.workloads.data_planner import PlannerSpeed
from anime_mcp.ports.workload import Workload

GROUP = "data"


def workloads() -> list[Workload]:
    return [
        CatalogueLookups(),
        SeasonalOffline(),
        PlannerSpeed(),
        SearchIngest(),
        DumpImport(),
        EmbedThroughput(),
        ImageSpeed(),
    ]
