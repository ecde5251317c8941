"""Image search speed with a randomly initialised CLIP of the real ViT-B/32 shape (quality is not measured).

A thin wrapper around `anime-mcp bench image-speed` (needs torch and transformers, the test extras, to
export the model the first time):

    .venv/bin/python benchmarks/image_speed.py [--posters 3000] [--indexed 256] [--queries 60] [--cache DIR]
    = anime-mcp bench image-speed [--param posters=3000] [--param indexed=256] [--param queries=60]
      [--param cache=DIR]

- The model: transformers' ``CLIPConfig`` defaults (vision 768 wide, 12 layers, 32-pixel patches, 224 x 224;
  text 512 wide, 12 layers; projection 512), random weights, exported by ``anime-mcp models export`` (cached
  under ``--cache``, so reruns skip the minute of torch export).
- The encoder alone: the vision tower on preprocessed pictures, batch 1 (median, p95) and batch 16/32
  (pictures a second).
- Image query: ``search_by_image`` through the tool catalogue on a temporary home built from a catalogue
  slice (base64 PNG -> decode -> preprocess -> vision tower -> image vectors of the index -> catalogue), the
  index holding ``--posters`` poster vectors. Encoder-only and query timings alternate, so a busy machine
  slows both alike. Goal: query p95 <= 1.3 x the encoder's own time.
- Poster indexing: the real ``index_images`` path (the app's picture fetcher on a loopback HTTP server of
  generated 225 x 318 JPEGs, the app's decoder, the embedder, the image shard), ``--indexed`` posters.
  Goal: the encoder's batch throughput within 1.3 x the indexing throughput.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    from _bench import run

    raise SystemExit(run("image-speed"))
