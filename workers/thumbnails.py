"""An author's photo made fit to serve: decoded under limits, cropped square, re-encoded bare.

The bytes come from anyone's server. Pillow opens only the raster formats photos come in
(never SVG, which is a document that can run script); the dimensions are checked from the
header before a pixel is decoded, so a small file that claims 100,000 x 100,000 pixels (a
decompression bomb) is refused without the gigabytes it would take. The result is a 96 x 96
WebP made from the pixels alone: no EXIF (camera, place), no colour profile, no comments.
"""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

SIZE = 96
MAX_PIXELS = 4096 * 4096  # ~64 MB decoded as RGBA: the most a photo may take in a worker
FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
OUTPUT_TYPE = "image/webp"
_UNREADABLE = (
    UnidentifiedImageError,
    Image.DecompressionBombError,
    Image.DecompressionBombWarning,
    OSError,  # truncated or corrupt data
    ValueError,
    SyntaxError,  # some of Pillow's decoders report a malformed file so
    EOFError,
)


class BadImage(ValueError):
    """The bytes are not a photo this service will serve; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def thumbnail(data: bytes) -> bytes:
    """A ``SIZE`` x ``SIZE`` WebP of the image (cover crop), or :class:`BadImage`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise BadImage(f"The image is {width} x {height} pixels: too large to read.")
                image.draft(image.mode, (SIZE, SIZE))  # a JPEG decodes at a fraction of its size
                upright = ImageOps.exif_transpose(image)  # as the camera held it
                square = ImageOps.fit(
                    upright.convert("RGBA"), (SIZE, SIZE), Image.Resampling.LANCZOS
                )
    except BadImage:
        raise
    except _UNREADABLE as error:
        raise BadImage(f"The file is not an image that can be read: {error}") from error
    out = io.BytesIO()
    square.save(out, "WEBP", quality=85)
    return out.getvalue()
