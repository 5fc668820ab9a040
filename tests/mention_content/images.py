"""Images for the photo tests, made here with Pillow (and one by hand: a decompression bomb)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def png(width: int = 200, height: int = 120, colour: str = "#1d4ed8") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_exif(width: int = 300, height: int = 150) -> bytes:
    """A JPEG that says where and with what it was taken (EXIF), as phone photos do."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x010E] = "taken at home"  # ImageDescription
    out = io.BytesIO()
    Image.new("RGB", (width, height), "#b45309").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(width: int, height: int) -> bytes:
    """A PNG of a few dozen bytes whose header claims ``width`` x ``height`` pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96">'
    b"<script>alert(1)</script><rect width='96' height='96'/></svg>"
)
