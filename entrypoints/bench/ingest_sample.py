"""The ingest workload's work: the first N entries of a catalogue release written once as a sample, then
ingested into a fresh home and indexed with one configuration's embedder and index backend, timed."""

from __future__ import annotations

import io
import json
import tempfile
import time
from pathlib import Path

import attrs

from anime_mcp.core.catalogue import CatalogueLocation
from anime_mcp.core.services.catalogue import ingest_catalogue
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.settings import ConfigError, Settings
from anime_mcp.ports.plugin_host import PluginHost


def write_sample(release: Path, count: int, into: Path) -> int:
    """The release's first ``count`` entries (``.jsonl`` or ``.jsonl.zst``; its metadata line kept) as a
    plain JSONL file ``into``; the number of entries written."""
    try:
        raw = release.open("rb")
    except OSError as exc:
        raise ConfigError(f"--catalogue {release}: {exc.strerror or exc}") from None
    with raw:
        if release.suffix == ".zst":
            import zstandard

            raw = zstandard.ZstdDecompressor().stream_reader(raw)  # type: ignore[assignment]
        written = 0
        with io.TextIOWrapper(raw, encoding="utf-8") as lines, into.open("w", encoding="utf-8") as out:
            for line in lines:
                if not line.strip():
                    continue
                entry = json.loads(line)
                if "sources" in entry:
                    if written == count:
                        break
                    written += 1
                out.write(line if line.endswith("\n") else line + "\n")
    if not written:
        raise ConfigError(f"--catalogue {release}: no anime-offline-database entries (jsonl, plain or .zst)")
    return written


def ingest_into_fresh_home(settings: Settings, plugins: PluginHost, sample: Path) -> dict[str, float]:
    """Ingest ``sample`` and index it in a new temporary home with ``settings``' adapters: seconds to
    store the entries, to build the index, and the entries stored."""
    with tempfile.TemporaryDirectory(prefix="anime-mcp-bench-ingest-") as temp:
        home = Path(temp)
        fresh = attrs.evolve(settings, home=home, search=attrs.evolve(settings.search, home=home))
        app = bootstrap(fresh, overrides=Overrides(plugins=plugins))
        started = time.perf_counter()
        report = ingest_catalogue(
            CatalogueLocation(str(sample)), app.fetcher, app.plugins.catalogue_readers(), app.catalogue
        )
        stored = time.perf_counter()
        parts = app.search_parts()
        build_index(app.catalogue, parts.embedder(), parts.encoder, parts.backend, reindex=True)
        indexed = time.perf_counter()
    return {
        "entries": float(report.stats.entries),
        "store_s": stored - started,
        "index_s": indexed - stored,
    }
