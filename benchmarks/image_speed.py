"""Image search speed with a randomly initialised CLIP of the real ViT-B/32 shape (quality is not measured).

Run: .venv/bin/python benchmarks/image_speed.py [--posters 3000] [--indexed 256] [--queries 60]

- The model: transformers' ``CLIPConfig`` defaults (vision 768 wide, 12 layers, 32-pixel patches, 224 x 224;
  text 512 wide, 12 layers; projection 512), random weights, exported by the project's own
  ``export_clip`` (cached under ``--cache``, so reruns skip the minute of torch export).
- The encoder alone: ``embed_pixels`` on preprocessed pictures, batch 1 (median, p95) and batch 16/32
  (pictures a second).
- Image query: ``search_by_image`` through the tool catalogue on a temporary home built from a catalogue
  slice (base64 PNG -> decode -> preprocess -> vision tower -> image vectors of the index -> catalogue), the
  index holding ``--posters`` poster vectors. Encoder-only and query timings alternate, so a busy machine
  slows both alike. Goal: query p95 <= 1.3 x the encoder's own time.
- Poster indexing: the real ``index_images`` path (``CachedPictureFetcher`` from a loopback HTTP server of
  generated 225 x 318 JPEGs, the edge decoder, the embedder, the image shard), ``--indexed`` posters.
  Goal: throughput within 1.3 x the encoder's batch throughput.
"""

from __future__ import annotations

import argparse
import base64
import io
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import anyio
import attrs
import numpy as np
from clip_support import picture
from hub_support import write_catalogue_slice
from stats import markdown_table, percentile, summary_ms

from anime_mcp.adapters.aod_reader import AodJsonlReader
from anime_mcp.adapters.clip_onnx import ClipOnnxEmbedder
from anime_mcp.adapters.image_decoding import decode_image
from anime_mcp.adapters.image_fetch import GuardedImageInput
from anime_mcp.adapters.picture_fetcher import CachedPictureFetcher
from anime_mcp.adapters.qdrant_edge_index import EdgeBackend
from anime_mcp.adapters.sparse_lexical import Bm25SparseEncoder
from anime_mcp.core.services.image_indexing import index_images
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.ports.vector_index import HnswSettings
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider

POSTER_SIZE = (225, 318)  # a MyAnimeList poster


def exported_b32(cache: Path) -> Path:
    """A random CLIP of the ViT-B/32 shape exported to ONNX by ``export_clip``, made once per cache folder."""
    onnx = cache / "onnx"
    if (onnx / "anime-mcp-clip.json").is_file():
        return onnx
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, PreTrainedTokenizerFast

    from anime_mcp.adapters.clip_export import export_clip

    hf = cache / "hf"
    words = ["<unk>", "a", "dark", "anime", "poster", "<|startoftext|>", "<|endoftext|>"]
    vocab = {w: i for i, w in enumerate(words)}
    bos, eos = "<|startoftext|>", "<|endoftext|>"
    tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", special_tokens=[(bos, vocab[bos]), (eos, vocab[eos])]
    )
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=bos, eos_token=eos, pad_token=eos, unk_token="<unk>"
    ).save_pretrained(hf)
    torch.manual_seed(32)
    ids = {"bos_token_id": vocab[bos], "eos_token_id": vocab[eos], "pad_token_id": vocab[eos]}
    config = CLIPConfig(text_config=ids)  # every size a default: ViT-B/32
    CLIPModel(config).eval().save_pretrained(hf)
    CLIPImageProcessor().save_pretrained(hf)  # shortest edge 224, centre crop 224, CLIP mean and std
    started = time.perf_counter()
    export_clip(hf, onnx, name="random-vit-b-32")
    print(f"exported a random ViT-B/32 CLIP in {time.perf_counter() - started:.0f} s to {onnx}", flush=True)
    return onnx


def jpeg(seed: int) -> bytes:
    buffer = io.BytesIO()
    picture(*POSTER_SIZE, seed=seed).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


class Posters(BaseHTTPRequestHandler):
    files: ClassVar[dict[str, bytes]] = {}
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = self.files.get(self.path, b"")
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "image/jpeg")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def poster_server(count: int) -> Iterator[str]:
    Posters.files = {f"/p/{i}.jpg": jpeg(1000 + i) for i in range(count)}
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Posters)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def encoder_batches(clip: ClipOnnxEmbedder, pixels: np.ndarray, runs: int) -> dict[int, float]:
    """Pictures a second of the vision tower alone at batch 16 and 32 (best of ``runs``)."""
    rates = {}
    for size in (16, 32):
        batch = np.repeat(pixels, size, axis=0)
        clip.embed_pixels(batch)  # warm-up: the session's first run of a new shape
        best = min(_timed(clip.embed_pixels, batch) for _ in range(runs))
        rates[size] = size / best
    return rates


class TowerClock:
    """Seconds spent in the vision tower by the real path (wraps the embedder's ``embed_pixels``), so the
    path's own overhead is measured in the same run, whatever else the machine is doing."""

    def __init__(self, clip: ClipOnnxEmbedder) -> None:
        self.seconds = 0.0
        inner = clip.embed_pixels

        def embed_pixels(pixel_values: np.ndarray) -> list[list[float]]:
            started = time.perf_counter()
            try:
                return inner(pixel_values)
            finally:
                self.seconds += time.perf_counter() - started

        clip.embed_pixels = embed_pixels  # type: ignore[method-assign]

    def lap(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def _timed(function: object, *args: object) -> float:
    started = time.perf_counter()
    function(*args)  # type: ignore[operator]
    return time.perf_counter() - started


def main() -> None:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=int, default=3000, help="poster vectors in the index")
    parser.add_argument("--indexed", type=int, default=256, help="posters fetched and embedded for real")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "anime-mcp-bench-clip-b32"
    )
    args = parser.parse_args()
    clip = ClipOnnxEmbedder(exported_b32(args.cache))
    print(f"model: {clip.name} ({clip.dimension}-d), {clip.threads} onnxruntime threads")

    with tempfile.TemporaryDirectory() as tmp, poster_server(args.indexed) as server:
        home = Path(tmp)
        path = write_catalogue_slice(home / "slice.jsonl.zst", args.posters)
        entries = list(AodJsonlReader().read(path, strict=True).entries)[: args.posters]
        urls = [f"{server}/p/{i}.jpg" for i in range(args.indexed)]
        entries = [
            attrs.evolve(e, picture=urls[i]) if i < args.indexed else attrs.evolve(e, picture="")
            for i, e in enumerate(entries)
        ]
        catalogue = FakeCatalogue(entries)
        provider, encoder = FakeEmbedderProvider(), Bm25SparseEncoder()
        backend = EdgeBackend(home / "index", hnsw=HnswSettings())
        build_index(catalogue, provider.embedder, encoder, backend)

        # --- poster indexing through the real path ------------------------------------------------
        fetcher = CachedPictureFetcher(home / "pictures", per_host_rate=0)  # local: no pace needed
        sample = np.stack([clip.preprocess([decode_image(jpeg(7))])[0]])
        batch_rates = encoder_batches(clip, sample, runs=2)
        clock = TowerClock(clip)
        report = index_images(catalogue, backend, clip, fetcher, decode_image)
        tower_in_indexing = clock.lap()
        indexing_rate = report.indexed / report.seconds
        print(f"index-images: {report.indexed} posters in {report.seconds:.1f} s ({indexing_rate:.1f} /s)")
        after = encoder_batches(clip, sample, runs=2)  # the machine may have changed meanwhile
        batch_rates = {size: max(rate, after[size]) for size, rate in batch_rates.items()}

        # --- the rest of the posters as random unit vectors (the query's search cost) ---------------
        rng = np.random.default_rng(3)
        writer = backend.image_writer(clip.name, clip.dimension)
        rest = [e.anime_id for e in entries[args.indexed :]]
        vectors = rng.normal(size=(len(rest), clip.dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        writer.upsert(dict(zip(rest, vectors.tolist(), strict=True)))
        info = writer.commit()

        # --- image query through search_by_image ---------------------------------------------------
        settings = Settings.load({"ANIME_MCP_HOME": tmp, "ANIME_MCP_LOAD_PLUGINS": ""})
        settings = attrs.evolve(settings, serve=ServeSettings(warm_up=False))

        def search() -> SearchComponents:
            return SearchComponents(
                settings.search, home, provider.describe(home), provider, backend, encoder
            )

        runtime = Runtime(
            bootstrap(
                settings,
                overrides=Overrides(
                    catalogue=lambda: catalogue,
                    search=search,
                    env={},
                    image_embedder=clip,
                    image_input=GuardedImageInput(),
                ),
            )
        )
        tools = build_tools(runtime)
        pngs = []
        for seed in range(8):
            buffer = io.BytesIO()
            picture(*POSTER_SIZE, seed=seed).save(buffer, "PNG")
            pngs.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
        encoder_only: list[float] = []
        queries: list[float] = []
        tower_in_query: list[float] = []
        order = random.Random(5)

        async def query(image: str) -> float:
            started = time.perf_counter()
            result = await tools.call(runtime, "search_by_image", {"image": image, "limit": 10}, face="bench")
            assert result.output["count"] == 10
            return time.perf_counter() - started

        async def run() -> None:
            await query(pngs[0])  # warm-up: index and catalogue opened, first session run
            for n in range(args.queries):
                encoder_only.append(_timed(clip.embed_pixels, sample))
                clock.lap()
                queries.append(await query(pngs[order.randrange(len(pngs))] if n else pngs[1]))
                tower_in_query.append(clock.lap())

        anyio.run(run)

    alone, asked = summary_ms(encoder_only), summary_ms(queries)
    overhead = [q / t for q, t in zip(queries, tower_in_query, strict=True)]
    print(f"poster vectors in the index: {info.points:,}")
    print(
        markdown_table(
            ("measure", "value", "goal"),
            [
                ("encoder alone, batch 1, median ms", round(alone["median_ms"], 1), ""),
                ("encoder alone, batch 1, p95 ms", round(alone["p95_ms"], 1), ""),
                ("encoder alone, batch 16, pictures/s", round(batch_rates[16], 1), ""),
                ("encoder alone, batch 32, pictures/s", round(batch_rates[32], 1), ""),
                ("search_by_image median ms", round(asked["median_ms"], 1), ""),
                ("search_by_image p95 ms", round(asked["p95_ms"], 1), ""),
                (
                    "query p95 / encoder p95",
                    round(asked["p95_ms"] / alone["p95_ms"], 2),
                    "<= 1.3",
                ),
                (
                    "query p95 / encoder median",
                    round(percentile(queries, 95) / alone["median_ms"] * 1e3, 2),
                    "",
                ),
                ("search_by_image / its own tower time, median", round(statistics.median(overhead), 2), ""),
                ("search_by_image / its own tower time, p95", round(percentile(overhead, 95), 2), ""),
                ("index-images posters/s (loopback JPEGs)", round(indexing_rate, 1), ""),
                (
                    "index-images seconds / its own tower seconds",
                    round(report.seconds / tower_in_indexing, 2),
                    "",
                ),
                (
                    "encoder batch throughput / indexing throughput",
                    round(max(batch_rates.values()) / indexing_rate, 2),
                    "<= 1.3",
                ),
            ],
        )
    )


if __name__ == "__main__":
    main()
