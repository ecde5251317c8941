"""The image-speed workload's measuring (imported by its ``run`` only: numpy, Pillow and the app)."""

from __future__ import annotations

import base64
import io
import random
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import anyio
import attrs
import numpy as np
from PIL import Image

from anime_mcp.core.services.catalogue import choose_reader
from anime_mcp.core.services.image_indexing import index_images
from anime_mcp.core.services.indexing import build_index
from anime_mcp.entrypoints.bench.context import BenchContext
from anime_mcp.entrypoints.bench.ingest_sample import write_sample
from anime_mcp.entrypoints.bench.workloads.data_support import fresh_app
from anime_mcp.entrypoints.bench.workloads.measure import percentile, summary_ms
from anime_mcp.entrypoints.bootstrap import Overrides, bootstrap
from anime_mcp.entrypoints.runtime import Runtime
from anime_mcp.entrypoints.search_setup import SearchComponents
from anime_mcp.entrypoints.settings import ServeSettings, Settings
from anime_mcp.entrypoints.tools import build_tools
from anime_mcp.ports.workload import WorkloadResult
from anime_mcp.testing import FakeCatalogue, FakeEmbedderProvider

POSTER_SIZE = (225, 318)  # a MyAnimeList poster


def picture(width: int, height: int, seed: int) -> Image.Image:
    """A smooth random picture (gradients and blobs: resizing matters, unlike pure noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    channels = [
        127 + 120 * np.sin(x / rng.uniform(2, 9) + rng.uniform(0, 6)) * np.cos(y / rng.uniform(2, 9))
        for _ in range(3)
    ]
    return Image.fromarray(np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8), "RGB")


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
        httpd.server_close()


def _timed(function: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    function(*args)
    return time.perf_counter() - started


def encoder_batches(clip: Any, pixels: np.ndarray, runs: int) -> dict[int, float]:
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

    def __init__(self, clip: Any) -> None:
        self.seconds = 0.0
        inner = clip.embed_pixels

        def embed_pixels(pixel_values: np.ndarray) -> list[list[float]]:
            started = time.perf_counter()
            try:
                result: list[list[float]] = inner(pixel_values)
                return result
            finally:
                self.seconds += time.perf_counter() - started

        clip.embed_pixels = embed_pixels

    def lap(self) -> float:
        seconds, self.seconds = self.seconds, 0.0
        return seconds


def measure(  # noqa: PLR0915 - one linear measurement, as the script was
    context: BenchContext,
    model: Path,
    home: Path,
    release: Path,
    server: str,
    *,
    posters: int,
    indexed: int,
    queries: int,
) -> WorkloadResult:
    app = fresh_app(context, home, image_model=str(model))
    clip: Any = app.image_embedder()
    if clip is None or not hasattr(clip, "embed_pixels"):
        return WorkloadResult(skipped=f"{model} did not load as an ONNX CLIP (embed_pixels)")
    context.progress(f"model {clip.name} ({clip.dimension}-d), {getattr(clip, 'threads', '?')} threads")
    sliced = home / "slice.jsonl"
    write_sample(release, posters, sliced)
    read = choose_reader(sliced, app.plugins.catalogue_readers()).read(sliced, strict=True)
    entries = list(read.entries)[:posters]
    urls = [f"{server}/p/{i}.jpg" for i in range(indexed)]
    entries = [
        attrs.evolve(e, picture=urls[i]) if i < indexed else attrs.evolve(e, picture="")
        for i, e in enumerate(entries)
    ]
    catalogue = FakeCatalogue(entries)
    provider = FakeEmbedderProvider()
    parts = app.search_parts()  # the configured edge index and sparse encoder, in this home
    backend: Any = parts.backend  # the embedded index keeps the image shard too (ImageVectorStore)
    encoder = parts.encoder
    build_index(catalogue, provider.embedder, encoder, backend)

    # --- poster indexing through the real path ---------------------------------------------------------
    context.progress(f"index-images: {indexed} posters from {server}")
    sample = np.stack([clip.preprocess([app.decode_picture(jpeg(7))])[0]])
    batch_rates = encoder_batches(clip, sample, runs=2)
    clock = TowerClock(clip)
    pictures = app.pictures(per_host_rate=0)  # loopback posters: a politeness pace would be all it measured
    report = index_images(catalogue, backend, clip, pictures, app.decode_picture)
    tower_in_indexing = clock.lap()
    indexing_rate = report.indexed / report.seconds if report.seconds > 0 else 0.0
    after = encoder_batches(clip, sample, runs=2)  # the machine may have changed meanwhile
    batch_rates = {size: max(rate, after[size]) for size, rate in batch_rates.items()}

    # --- the rest of the posters as random unit vectors (the query's search cost) ---------------------
    rng = np.random.default_rng(3)
    writer = backend.image_writer(clip.name, clip.dimension)
    rest = [e.anime_id for e in entries[indexed:]]
    vectors = rng.normal(size=(len(rest), clip.dimension)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    writer.upsert(dict(zip(rest, vectors.tolist(), strict=True)))
    info = writer.commit()

    # --- image query through search_by_image -----------------------------------------------------------
    settings = Settings.load({"ANIME_MCP_HOME": str(home), "ANIME_MCP_LOAD_PLUGINS": ""})
    settings = attrs.evolve(settings, serve=ServeSettings(warm_up=False))

    def search() -> SearchComponents:
        return SearchComponents(settings.search, home, provider.describe(home), provider, backend, encoder)

    overrides = Overrides(catalogue=lambda: catalogue, search=search, env={}, image_embedder=clip)
    runtime = Runtime(bootstrap(settings, overrides=overrides))
    tools = build_tools(runtime)
    pngs = []
    for seed in range(8):
        buffer = io.BytesIO()
        picture(*POSTER_SIZE, seed=seed).save(buffer, "PNG")
        pngs.append(base64.b64encode(buffer.getvalue()).decode("ascii"))
    encoder_only: list[float] = []
    asked: list[float] = []
    tower_in_query: list[float] = []
    order = random.Random(5)
    limit = min(10, len(entries))

    async def query(image: str) -> float:
        started = time.perf_counter()
        result = await tools.call(runtime, "search_by_image", {"image": image, "limit": limit}, face="bench")
        if result.output.get("count") != limit:
            raise RuntimeError(f"search_by_image answered {result.output!r}")
        return time.perf_counter() - started

    async def run() -> None:
        try:
            await query(pngs[0])  # warm-up: index and catalogue opened, first session run
            for n in range(queries):
                encoder_only.append(_timed(clip.embed_pixels, sample))
                clock.lap()
                asked.append(await query(pngs[order.randrange(len(pngs))] if n else pngs[1]))
                tower_in_query.append(clock.lap())
        finally:
            await runtime.aclose()

    context.progress(f"{queries} search_by_image calls over {info.points:,} poster vectors")
    anyio.run(run)
    return _result(
        encoder_only,
        asked,
        tower_in_query,
        batch_rates=batch_rates,
        indexing_rate=indexing_rate,
        report=report,
        tower_in_indexing=tower_in_indexing,
        info=info,
    )


def _result(
    encoder_only: list[float],
    asked: list[float],
    tower_in_query: list[float],
    *,
    batch_rates: dict[int, float],
    indexing_rate: float,
    report: Any,
    tower_in_indexing: float,
    info: Any,
) -> WorkloadResult:
    alone, searched = summary_ms(encoder_only), summary_ms(asked)
    overhead = [q / t for q, t in zip(asked, tower_in_query, strict=True) if t > 0]
    query_over_encoder = searched["p95_ms"] / alone["p95_ms"]
    batch_over_indexing = max(batch_rates.values()) / indexing_rate if indexing_rate else None
    return WorkloadResult(
        tuple(asked),
        extra={
            "encoder_p95_ms": round(alone["p95_ms"], 1),
            "query_p95_over_encoder_p95": round(query_over_encoder, 2),
            "index_images_per_s": round(indexing_rate, 1),
            "encoder_batch_over_indexing": round(batch_over_indexing, 2) if batch_over_indexing else None,
        },
        details={
            "poster_vectors": info.points,
            "goals": {"query_p95_over_encoder_p95": 1.3, "encoder_batch_over_indexing": 1.3},
            "encoder_batch1_median_ms": round(alone["median_ms"], 1),
            "encoder_batch1_p95_ms": round(alone["p95_ms"], 1),
            "encoder_batch16_per_s": round(batch_rates[16], 1),
            "encoder_batch32_per_s": round(batch_rates[32], 1),
            "search_by_image_median_ms": round(searched["median_ms"], 1),
            "search_by_image_p95_ms": round(searched["p95_ms"], 1),
            "query_p95_over_encoder_median": round(percentile(asked, 95) / alone["median_ms"] * 1e3, 2),
            "query_over_own_tower_median": round(statistics.median(overhead), 2) if overhead else None,
            "query_over_own_tower_p95": round(percentile(overhead, 95), 2) if overhead else None,
            "index_images_posters": report.indexed,
            "index_images_per_s": round(indexing_rate, 1),
            "index_images_over_own_tower": round(report.seconds / tower_in_indexing, 2)
            if tower_in_indexing > 0
            else None,
            "encoder_batch_over_indexing": round(batch_over_indexing, 2) if batch_over_indexing else None,
        },
    )
