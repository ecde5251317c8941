"""Decoding pictures (a query image, a poster) into the port's ``RgbImage``, refusing hostile files.

``decode_image`` is the one way bytes become pixels, so every picture meets the same checks, in this order:

- a byte cap, before Pillow sees anything;
- only PNG, JPEG, WebP and GIF (the first frame of an animation), by content, never by a name;
- a pixel cap read from the header, before a single pixel is decoded (a 20000 x 20000 PNG of zeros is a
  few kB that would decode to 1.2 GB);
- the whole image decoded with truncated files refused (``LOAD_TRUNCATED_IMAGES`` is never switched on);
- then EXIF orientation applied, and palette, grey, CMYK and alpha turned into plain RGB (transparent parts
  on white, as posters are shown).

Every refusal is ``ImageRejected`` with a stable ``reason``; whatever else Pillow raises on broken bytes
(``OSError``, ``SyntaxError``, ``struct.error``, ...) is turned into ``malformed``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from anime_mcp.core.errors import ImageRejected
from anime_mcp.ports.image_embedder import RgbImage

if TYPE_CHECKING:
    from PIL import Image

MAX_IMAGE_BYTES = 20 * 1024 * 1024  # a large poster scan is a few MB
MAX_IMAGE_PIXELS = 40_000_000  # 8000 x 5000; decodes to 120 MB of RGB at most
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})

__all__ = ["FORMATS", "MAX_IMAGE_BYTES", "MAX_IMAGE_PIXELS", "decode_image"]


def decode_image(
    data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS, field: str = "image"
) -> RgbImage:
    """The picture in ``data`` as 8-bit RGB, or ``ImageRejected`` saying why not and what to send instead."""
    # Pillow is imported on the first picture: servers that never see one do not load it at start.
    from PIL import Image, ImageFile, UnidentifiedImageError

    if not data:
        raise ImageRejected(
            "empty", "the image is empty; send the bytes of a PNG, JPEG, WebP or GIF", field=field
        )
    if len(data) > max_bytes:
        raise ImageRejected(
            "too_large",
            f"the image is {len(data):,} bytes, more than the {max_bytes:,} accepted; send a smaller file",
            field=field,
        )
    if ImageFile.LOAD_TRUNCATED_IMAGES:  # someone in this process switched it on: truncation would pass
        raise ImageRejected("malformed", "truncated images cannot be checked in this process", field=field)
    try:
        # Pillow's own bomb check (at open: a warning from 89 Mpx, an error from 179 Mpx) comes first;
        # ours (max_pixels, usually lower) is checked from the header before any pixel is decoded.
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            _check_pixels(image.size, max_pixels, field)
            image.load()  # reads the first frame only; a truncated file raises OSError here
            return _to_rgb(image, field)
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected(
            "too_many_pixels",
            f"the image has far more pixels than the {max_pixels:,} accepted ({exc}); send a smaller picture",
            field=field,
        ) from None
    except UnidentifiedImageError:
        raise ImageRejected(
            "unsupported_format",
            f"not a picture in an accepted format ({', '.join(FORMATS)}); convert it to PNG or JPEG",
            field=field,
        ) from None
    except Exception as exc:  # noqa: BLE001 - Pillow's parsers raise many kinds on broken files; all mean one thing
        problem = f"{type(exc).__name__}: {str(exc)[:120]}"
        raise ImageRejected(
            "malformed",
            f"the image is truncated or corrupt ({problem}); send the whole file",
            field=field,
        ) from None


def _check_pixels(size: tuple[int, int], max_pixels: int, field: str) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageRejected("malformed", f"the image header gives a size of {width} x {height}", field=field)
    if width * height > max_pixels:
        raise ImageRejected(
            "too_many_pixels",
            f"the image is {width} x {height} pixels ({width * height:,}), more than the {max_pixels:,} "
            "accepted; send a smaller picture (a poster needs under a megapixel)",
            field=field,
        )


def _to_rgb(image: Image.Image, field: str) -> RgbImage:
    from PIL import Image, ImageOps

    oriented = ImageOps.exif_transpose(image) or image
    _check_pixels(oriented.size, 1 << 62, field)
    mode = oriented.mode
    if mode == "P" and "transparency" in oriented.info:
        oriented = oriented.convert("RGBA")
        mode = "RGBA"
    if mode in _ALPHA_MODES:
        rgba = oriented.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(white, rgba).convert("RGB")
    else:
        rgb = oriented.convert("RGB")
    return RgbImage(width=rgb.width, height=rgb.height, pixels=rgb.tobytes())
