"""decode_image: accepted pictures come out as plain RGB; hostile ones (bombs, truncated, other formats) are
refused with ``ImageRejected`` before any large allocation. Its seeds also feed tests/test_fuzz_parsers.py.
"""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from anime_mcp.adapters.image_decoding import decode_image
from anime_mcp.core.errors import ImageRejected
from anime_mcp.ports.image_embedder import RgbImage


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(width: int = 24, height: int = 16) -> Image.Image:
    image = Image.new("RGB", (width, height))
    image.putdata(
        [(x * 10 % 256, y * 15 % 256, (x + y) * 5 % 256) for y in range(height) for x in range(width)]
    )
    return image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid 1-bit PNG of zeros: ~50 kB on disk, 1.2 GB once decoded to RGB. Compressed row block by
    row block, so building it never holds the whole raw image."""
    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed bits
    block = row * 1000
    compressor = zlib.compressobj(1)
    idat = b"".join(compressor.compress(block) for _ in range(height // 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def SEED_PNG() -> bytes:
    return encoded(gradient(), "PNG")


def SEED_JPEG() -> bytes:
    return encoded(gradient(), "JPEG", quality=80)


def SEED_GIF() -> bytes:
    return encoded(gradient().convert("P"), "GIF")


def SEED_WEBP() -> bytes:
    return encoded(gradient(), "WEBP")


def test_each_accepted_format_decodes_to_rgb_of_its_size() -> None:
    for data in (SEED_PNG(), SEED_JPEG(), SEED_GIF(), SEED_WEBP()):
        image = decode_image(data)
        assert (image.width, image.height) == (24, 16)
        assert len(image.pixels) == 24 * 16 * 3


def test_png_pixels_are_exact() -> None:
    image = decode_image(SEED_PNG())
    assert image.pixels[:3] == bytes((0, 0, 0))
    assert image.pixels[3:6] == bytes((10, 0, 5))


def test_a_20000_by_20000_png_is_refused_from_its_header_without_decoding() -> None:
    data = bomb_png()
    assert len(data) < 300_000
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(ImageRejected) as refused:
        decode_image(data)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert refused.value.reason == "too_many_pixels" and refused.value.field == "image"
    assert "smaller picture" in str(refused.value)
    assert peak < 20_000_000 and time.perf_counter() - started < 1.0


def test_a_picture_over_our_own_pixel_cap_is_refused_even_below_pillows() -> None:
    with pytest.raises(ImageRejected, match=r"3000 x 3000") as refused:
        decode_image(bomb_png(3000, 3000), max_pixels=1_000_000)
    assert refused.value.reason == "too_many_pixels"


def test_a_truncated_jpeg_is_refused() -> None:
    data = encoded(gradient(64, 64), "JPEG")
    with pytest.raises(ImageRejected) as refused:
        decode_image(data[: len(data) // 2])
    assert refused.value.reason == "malformed" and "send the whole file" in str(refused.value)


def test_a_truncated_png_is_refused() -> None:
    data = SEED_PNG()
    with pytest.raises(ImageRejected) as refused:
        decode_image(data[:-30])
    assert refused.value.reason == "malformed"


def test_other_formats_and_non_pictures_are_refused() -> None:
    for data in (encoded(gradient(), "BMP"), encoded(gradient(), "TIFF"), b"<svg/>", b"%PDF-1.4", b"GIF89a"):
        with pytest.raises(ImageRejected) as refused:
            decode_image(data)
        assert refused.value.reason in {"unsupported_format", "malformed"}, data[:8]


def test_empty_and_oversize_byte_counts_are_refused_before_parsing() -> None:
    with pytest.raises(ImageRejected) as empty:
        decode_image(b"")
    assert empty.value.reason == "empty"
    with pytest.raises(ImageRejected) as large:
        decode_image(SEED_PNG(), max_bytes=10, field="image_url")
    assert large.value.reason == "too_large" and large.value.field == "image_url"


def test_transparency_lands_on_white_and_cmyk_and_palette_become_rgb() -> None:
    clear = decode_image(encoded(Image.new("RGBA", (4, 4), (0, 0, 0, 0)), "PNG"))
    assert clear.pixels[:3] == b"\xff\xff\xff"
    half = decode_image(encoded(Image.new("LA", (2, 2), (0, 128)), "PNG"))
    assert 120 <= half.pixels[0] <= 130
    cmyk = decode_image(encoded(Image.new("CMYK", (4, 4), (0, 255, 255, 0)), "JPEG"))
    red, green, blue = cmyk.pixels[:3]
    assert red > 200 and green < 60 and blue < 60
    grey = decode_image(encoded(Image.new("L", (3, 2), 77), "PNG"))
    assert grey.pixels == bytes([77]) * 18


def test_only_the_first_frame_of_an_animation_is_decoded() -> None:
    frames = [Image.new("P", (8, 8), color) for color in (1, 2, 3)]
    palette = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (768 - 12)
    for frame in frames:
        frame.putpalette(palette)
    data = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode_image(data).pixels[:3] == b"\xff\x00\x00"


def test_exif_orientation_is_applied() -> None:
    wide = gradient(20, 10)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    image = decode_image(encoded(wide, "JPEG", exif=exif.tobytes()))
    assert (image.width, image.height) == (10, 20)


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    seed=st.sampled_from([SEED_PNG(), SEED_JPEG(), SEED_GIF(), SEED_WEBP()]),
    flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=6),
    cut=st.integers(0, 10_000),
)
def test_damaged_pictures_decode_or_are_rejected_never_anything_else(
    seed: bytes, flips: list[tuple[int, int]], cut: int
) -> None:
    data = bytearray(seed)
    for where, value in flips:
        data[where % len(data)] = value
    try:
        image = decode_image(bytes(data[: max(cut, 1)] if cut < len(data) else data))
    except ImageRejected as exc:
        assert exc.reason and str(exc)
        return
    assert isinstance(image, RgbImage) and len(image.pixels) == image.width * image.height * 3
