"""Fingerprinting and bulk-embedding throughput on an ingested home, to compare two checkouts on one machine.

    ANIME_MCP_HOME=/path/to/home .venv/bin/python benchmarks/embed_throughput.py [--model NAME] [--every 9]

Reads the catalogue store of the home, fingerprints every entry (the scan phase of indexing) and embeds
every Nth entry's document in the embedder's own order (BulkEmbedder), printing seconds and documents/s.
Run it from each checkout's own venv in the same minute: machine speed varies between days.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
from anime_mcp.adapters.sqlite_store import SqliteCatalogueStore
from anime_mcp.core.documents import compose_document, content_fingerprint


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", default="all-MiniLM-L6-v2-int8", help="a model installed in the home")
    parser.add_argument("--every", type=int, default=9, help="embed every Nth entry's document")
    args = parser.parse_args()
    home = Path(os.environ["ANIME_MCP_HOME"])
    entries = list(SqliteCatalogueStore(home).entries())
    started = time.perf_counter()
    for entry in entries:
        content_fingerprint(entry)
    scan = time.perf_counter() - started
    documents = [compose_document(e) for e in entries[:: args.every]]
    embedder = OnnxTextEmbedder(home / "models" / args.model)
    started = time.perf_counter()
    embedded = sum(len(positions) for positions, _ in embedder.embed_documents_in_batches(documents))
    seconds = time.perf_counter() - started
    print(f"fingerprints: {len(entries):,} entries in {scan:.2f} s")
    print(f"embedding: {embedded:,} documents in {seconds:.1f} s, {embedded / seconds:.0f} documents/s")


if __name__ == "__main__":
    main()
