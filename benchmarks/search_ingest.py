"""Full ingest of the 36k catalogue with embedding and indexing, timed as a user runs it (issue 3).

    .venv/bin/python benchmarks/search_ingest.py --model ../shared/models/all-MiniLM-L6-v2-onnx
    .venv/bin/python benchmarks/search_ingest.py --model ../shared/models/all-MiniLM-L6-v2-onnx --int8

Runs `anime-mcp ingest --json` in a fresh ANIME_MCP_HOME (a temporary folder unless --home is given) and
prints the wall time of the whole command and the split reported by ingest (catalogue store, index). With
--int8 the model is first quantised (per-channel int8, `anime-mcp models quantize`) into the home, and the
cosine between fp32 and int8 vectors is reported for a sample of catalogue documents.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT.parent / "shared" / "data" / "anime-offline-database.jsonl.zst"


def anime_mcp(home: Path, model: Path, *args: str) -> tuple[float, str]:
    env = {
        **os.environ,
        "ANIME_MCP_HOME": str(home),
        "ANIME_MCP_MODEL": str(model),
        "ANIME_MCP_QDRANT_URL": "",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from anime_mcp.entrypoints.cli import main; main()", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"anime-mcp {' '.join(args)} failed:\n{done.stderr}")
    return time.perf_counter() - started, done.stdout


def int8_agreement(fp32: Path, int8: Path, sample: int = 512) -> float:
    import numpy as np

    from anime_mcp.adapters.aod_reader import AodJsonlReader
    from anime_mcp.adapters.onnx_embedder import OnnxTextEmbedder
    from anime_mcp.core.documents import compose_document

    entries = list(AodJsonlReader().read(CATALOGUE, strict=False).entries)[:: max(1, 36000 // sample)][
        :sample
    ]
    texts = [compose_document(e) for e in entries]
    a = OnnxTextEmbedder(fp32).embed_array(texts)
    b = OnnxTextEmbedder(int8).embed_array(texts)
    return float(np.mean(np.sum(a * b, axis=1)))  # both L2-normalised


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", type=Path, required=True, help="an ONNX text model folder")
    parser.add_argument("--catalogue", type=Path, default=CATALOGUE)
    parser.add_argument("--home", type=Path, help="ANIME_MCP_HOME to build in (default: a temporary folder)")
    parser.add_argument("--int8", action="store_true", help="quantise the model first and ingest with that")
    args = parser.parse_args(argv)

    home = args.home or Path(tempfile.mkdtemp(prefix="anime-mcp-bench-"))
    model = args.model.resolve()
    if args.int8:
        quantised = home / "models" / f"{model.name}-int8"
        seconds, _ = anime_mcp(
            home, model, "models", "quantize", "--from", str(model), "--to", str(quantised)
        )
        print(
            f"quantised to {quantised} in {seconds:.1f} s; mean cosine fp32/int8 on 512 documents: "
            f"{int8_agreement(model, quantised):.4f}"
        )
        model = quantised
    seconds, output = anime_mcp(home, model, "ingest", "--source", str(args.catalogue), "--json")
    report = json.loads(output)
    index = report["index"]
    print(f"home: {home}")
    print("| what | seconds |\n|---|---|")
    print(f"| whole `anime-mcp ingest` command | {seconds:.1f} |")
    print(f"| catalogue store ({report['entries']:,} entries) | {report['seconds']:.1f} |")
    print(
        f"| embedding + indexing ({index['embedded']:,} entries, {index['model']}) | {index['seconds']:.1f} |"
    )
    for phase, spent in index.get("phases", {}).items():
        print(f"| - {phase} | {spent:.1f} |")
    print(
        f"\nindex: {index['points']:,} points, generation {index['generation']}, "
        f"{index['embedded'] / index['seconds']:.0f} entries/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
