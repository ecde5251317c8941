"""The report of a bench run: a header saying where and on what it ran (machine, versions, models,
catalogue), then the rows; written as JSON (``report.json``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.metadata as md
import os
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.entrypoints.bench.context import BenchContext
from anime_mcp.entrypoints.bench.runner import Row
from anime_mcp.ports.catalogue import Catalogue

PACKAGES = ("anime-mcp", "onnxruntime", "qdrant-edge-py", "qdrant-client", "redis", "matplotlib")


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = None
    return found


def machine() -> dict[str, Any]:
    return {
        "system": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        # other work on the machine inflates every latency: the report says how busy it was
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def catalogue_identity(catalogue: Catalogue) -> dict[str, Any]:
    stats = catalogue.stats()
    metadata = stats.metadata
    return {
        "entries": stats.entries,
        "release": metadata.last_update.isoformat() if metadata and metadata.last_update else None,
        "source": stats.source,
    }


def model_identity(context: BenchContext) -> dict[str, Any]:
    model = context.model
    onnx = Path(model.path) / "model.onnx"
    digest = None
    if onnx.is_file():
        digest = hashlib.sha256(onnx.read_bytes()).hexdigest()[:16]
    return {
        "name": model.name,
        "path": model.path,
        "dimension": model.dimension,
        "quantized": model.quantized,
        "model_onnx_sha256": digest,
    }


def header(contexts: Sequence[BenchContext], settings: dict[str, Any]) -> dict[str, Any]:
    models: dict[str, Any] = {}
    contexts = [c for c in contexts if c.composed]  # self-contained workloads compose nothing
    for context in contexts:
        name = context.config.model_dir.name
        if name in models:
            continue
        try:
            models[name] = model_identity(context)
        except AnimeMcpError as exc:  # the figures stand; the header says what it could not read
            models[name] = {"error": str(exc)}
    return {
        "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "models": models,
        "catalogue": catalogue_identity(contexts[0].catalogue) if contexts else None,
        "settings": settings,
    }


def report(head: dict[str, Any], rows: Sequence[Row]) -> dict[str, Any]:
    return {"header": head, "rows": [row.as_dict() for row in rows]}
