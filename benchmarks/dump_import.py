"""Importing a bulk dump and embedding its new texts, against embedding those texts alone (issue 14: at most
1.3 x the embedding alone, and under 6 minutes on the 2-core machine with the int8 model).

    ANIME_MCP_MODEL=INT8_MODEL .venv/bin/python benchmarks/dump_import.py --home BASE [--dump FILE] [--json]

BASE is a home where `anime-mcp ingest` stored and indexed the catalogue with that model and nothing was
enriched yet. The benchmark copies its catalogue and index (not its enrichment store) into a temporary
folder (BASE is never changed), then:

1. runs `anime-mcp enrich --dump FILE --json` there, as a user would (a fresh process: the import, then the
   incremental index update that embeds the new content texts), timed from spawn to exit;
2. in this process, embeds the same content texts (those of the filled enrichment store, the texts the
   update embedded) with the same model through the same bulk path (sorted by length, batched), and nothing
   else: no store, no sparse vectors, no writes.

It prints both times, their ratio, and the phases the command reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from anime_mcp.core.services.indexing import content_texts
from anime_mcp.entrypoints.bootstrap import bootstrap

ANIME_MCP = str(Path(sys.executable).with_name("anime-mcp"))
SHARED = Path(os.environ.get("ANIME_MCP_SHARED") or Path(__file__).resolve().parents[2] / "shared")
DUMP = SHARED / "data" / "mal-details.jsonl.zst"
RATIO_TARGET = 1.3
SECONDS_TARGET = 360.0


def copy_base(base: Path, into: Path) -> None:
    """The catalogue store and the index of BASE: an enrichment store there would make the import a no-op."""
    if not (base / "catalogue.sqlite3").is_file() or not (base / "index").is_dir():
        raise SystemExit(f"{base} has no ingested catalogue and index: run `anime-mcp ingest` there first")
    os.environ["ANIME_MCP_HOME"] = str(base)
    if content_texts(bootstrap().enrichment_store()):
        raise SystemExit(f"{base} has synopses in its enrichment store: use a home that was never enriched")
    shutil.copy2(base / "catalogue.sqlite3", into / "catalogue.sqlite3")
    shutil.copytree(base / "index", into / "index", symlinks=True)
    if (base / "models").is_dir():
        shutil.copytree(base / "models", into / "models", symlinks=True)


def import_with_command(home: Path, dump: Path) -> tuple[float, dict[str, Any]]:
    env = {**os.environ, "ANIME_MCP_HOME": str(home)}
    started = time.perf_counter()
    done = subprocess.run(
        [ANIME_MCP, "enrich", "--dump", str(dump), "--json"],
        check=False,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"enrich --dump failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return seconds, json.loads(done.stdout)


def embed_alone(home: Path) -> tuple[float, int]:
    """Embed the store's content texts, as indexing hands them to the model, and nothing else."""
    os.environ["ANIME_MCP_HOME"] = str(home)
    app = bootstrap()
    texts = list(content_texts(app.enrichment_store()).values())
    embedder = app.search_parts().embedder()
    embedder.embed_query("warm up")  # the model's first call is start-up in both measurements
    started = time.perf_counter()
    embedded = sum(len(positions) for positions, _ in embedder.embed_documents_in_batches(texts))
    return time.perf_counter() - started, embedded


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--home", type=Path, required=True, help="an ingested, never enriched home")
    parser.add_argument("--dump", type=Path, default=DUMP)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="anime-mcp-dump-") as temp:
        home = Path(temp)
        copy_base(args.home, home)
        command_seconds, summary = import_with_command(home, args.dump)
        alone_seconds, embedded = embed_alone(home)
    index = summary.get("index") or {}
    report = {
        "load_average": list(os.getloadavg()),
        "command_seconds": round(command_seconds, 1),
        "embedding_alone_seconds": round(alone_seconds, 1),
        "texts_embedded_alone": embedded,
        "ratio": round(command_seconds / alone_seconds, 3),
        "ratio_target": RATIO_TARGET,
        "seconds_target": SECONDS_TARGET,
        "import": {k: v for k, v in summary.items() if k != "index"},
        "index": index,
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"enrich --dump, spawn to exit: {command_seconds:.1f} s (target under {SECONDS_TARGET:.0f} s)")
    print(f"embedding the {embedded:,} content texts alone: {alone_seconds:.1f} s")
    print(f"ratio: {report['ratio']:.3f} (target at most {RATIO_TARGET})")
    print("index update:", json.dumps({k: index.get(k) for k in ("mode", "phases", "embedded")}))
    print(f"load average: {report['load_average']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
