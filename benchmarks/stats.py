"""The measuring helpers moved into the package (``anime_mcp.entrypoints.bench.workloads.measure``);
re-exported for the scripts not yet converted to bench workloads."""

from anime_mcp.entrypoints.bench.workloads.measure import (  # noqa: F401
    cpu_seconds,
    markdown_table,
    percentile,
    summary_ms,
    time_each,
    with_children,
)
