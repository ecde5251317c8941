"""``anime-mcp index-images``: a poster vector for every catalogue entry with a picture.

Pictures are fetched (``PictureSource``: rate limits, retries, an on-disk cache), decoded by the edge's
decoder (size and pixel caps), embedded in batches by the image model and stored beside the index
(``ImageVectorStore``). Entries that already have a poster vector of the same model are skipped, so an
interrupted run resumes; missing and broken pictures are counted and skipped, never fatal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from attrs import asdict, define, frozen

from anime_mcp.core.errors import AnimeMcpError
from anime_mcp.core.models import CatalogueEntry
from anime_mcp.ports.catalogue import CatalogueStore
from anime_mcp.ports.image_embedder import ImageEmbedder, PictureSource, RgbImage
from anime_mcp.ports.vector_index import ImageVectorStore, ImageVectorWriter

BATCH = 64  # pictures fetched, decoded and embedded together
Progress = Callable[[int, int], None]  # (entries done, entries to do)


@frozen
class ImageIndexReport:
    model: str
    dimension: int
    entries: int  # catalogue entries with a picture URL
    already: int  # had a poster vector from an earlier run
    indexed: int  # embedded and stored now
    missing: int  # no picture at the URL (404, unreachable)
    broken: int  # bytes that are not a picture we accept
    skipped: int  # not in the search index (rebuild it with ingest)
    points: int  # poster vectors searchable after the run
    seconds: float

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@define
class _Counts:
    indexed: int = 0
    missing: int = 0
    broken: int = 0
    skipped: int = 0


def index_images(
    catalogue: CatalogueStore,
    store: ImageVectorStore,
    embedder: ImageEmbedder,
    pictures: PictureSource,
    decode: Callable[[bytes], RgbImage],
    *,
    batch: int = BATCH,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ImageIndexReport:
    started = time.perf_counter()
    wanted = [e for e in catalogue.entries() if e.picture]
    if limit is not None:
        wanted = wanted[:limit]
    writer = store.image_writer(embedder.name, embedder.dimension)
    counts = _Counts()
    try:
        done = writer.stored()
        todo = [e for e in wanted if e.anime_id not in done]
        already = len(wanted) - len(todo)
        for start in range(0, len(todo), batch):
            _index_batch(todo[start : start + batch], writer, embedder, pictures, decode, counts)
            if progress is not None:
                progress(min(start + batch, len(todo)), len(todo))
        info = writer.commit()
    except BaseException:
        writer.close()  # what was written stays for the next run to resume
        raise
    return ImageIndexReport(
        model=embedder.name,
        dimension=embedder.dimension,
        entries=len(wanted),
        already=already,
        indexed=counts.indexed,
        missing=counts.missing,
        broken=counts.broken,
        skipped=counts.skipped,
        points=info.points,
        seconds=round(time.perf_counter() - started, 3),
    )


def _index_batch(  # noqa: PLR0917 - private, one call site
    entries: Sequence[CatalogueEntry],
    writer: ImageVectorWriter,
    embedder: ImageEmbedder,
    pictures: PictureSource,
    decode: Callable[[bytes], RgbImage],
    counts: _Counts,
) -> None:
    fetched = pictures.fetch([e.picture for e in entries])
    decoded: list[tuple[str, RgbImage]] = []
    for entry in entries:
        data = fetched.get(entry.picture)
        if data is None:
            counts.missing += 1
            continue
        try:
            decoded.append((entry.anime_id, decode(data)))
        except (AnimeMcpError, ValueError):  # refused by the decoder: not a picture, too big, truncated
            counts.broken += 1
    if not decoded:
        return
    vectors = embedder.embed_images([image for _, image in decoded])
    stored = writer.upsert({anime_id: v for (anime_id, _), v in zip(decoded, vectors, strict=True)})
    counts.indexed += stored
    counts.skipped += len(decoded) - stored
