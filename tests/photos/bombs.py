"""Decompression bombs of every format: tiny files that declare (or really hold) huge pixel counts.

Built at test time, never committed: flat PNGs are streamed through zlib row by row (a 10950 x 10950
RGBA PNG is 466 KB and takes ~2 s), the rest patch the size fields of a small real file (JPEG SOF0,
WebP VP8L, HEIC ispe), so nothing big is ever allocated unless the code under test decodes it.

Each bomb says what the photo upload and the selfie search must answer: a status and error code, or
None for a photo that is within the caps (the selfie caps are lower).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pillow_heif
from PIL import Image

from .badfiles import encode, jpeg_declaring, png_chunk, png_header_only

TOO_MANY_PIXELS = (413, "too_many_pixels")
UNSUPPORTED = (415, "unsupported_media_type")
SELFIE_INVALID = (422, "invalid_image")


def flat_png(width: int, height: int, colour_type: int = 6) -> bytes:
    """A real, fully decodable black PNG (8-bit; colour type 2 RGB, 3 palette, 6 RGBA), compressed as it
    is made, so the test process never holds the pixels."""
    channels = {2: 3, 3: 1, 6: 4}[colour_type]
    row = b"\x00" * (1 + width * channels)
    z = zlib.compressobj(1)  # fast; zeros compress ~1000:1 at any level
    idat = b"".join(z.compress(row) for _ in range(height)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    palette = png_chunk(b"PLTE", b"\x00\x00\x00") if colour_type == 3 else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + palette
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    """A small lossless WebP whose VP8L header is patched to declare ``width`` x ``height``."""
    data = bytearray(encode(Image.new("RGB", (64, 64), (30, 60, 90)), "WEBP", lossless=True))
    at = data.index(b"VP8L") + 8
    assert data[at] == 0x2F, "VP8L signature"
    bits = int.from_bytes(data[at + 1 : at + 5], "little")
    bits = (bits & ~((1 << 28) - 1)) | (width - 1) | ((height - 1) << 14)
    data[at + 1 : at + 5] = bits.to_bytes(4, "little")
    return bytes(data)


def heic_declaring(width: int, height: int) -> bytes:
    """A small HEIC whose image-extent box (ispe) is patched to declare ``width`` x ``height``."""
    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (64, 64), (30, 60, 90))).save(buf, quality=50)
    data = bytearray(buf.getvalue())
    at = data.index(b"ispe")
    data[at + 8 : at + 16] = struct.pack(">II", width, height)
    return bytes(data)


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF whose logical screen is ``width`` x ``height`` (65535 at most)."""
    data = bytearray(encode(Image.new("P", (8, 8)), "GIF"))
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def tiff_declaring(width: int, height: int) -> bytes:
    """A TIFF whose one IFD declares ``width`` x ``height`` 8-bit pixels in one empty strip."""
    entries = [(256, 4, width), (257, 4, height), (258, 3, 8), (273, 4, 8), (279, 4, 0)]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, 1, value) for tag, kind, value in entries
    )
    return b"II*\x00" + struct.pack("<I", 8) + ifd + b"\x00\x00\x00\x00"


@dataclass(frozen=True)
class Bomb:
    name: str  # also the file name sent, with a misleading extension where that is the point
    build: Callable[[], bytes]
    photo: tuple[int, str] | None  # the upload's answer for this file; None: within the photo caps
    selfie: tuple[int, str]  # the search's answer


BOMBS: tuple[Bomb, ...] = (
    # The two files of the field report: a 140 KB black 7000 x 7000 selfie, a 466 KB RGBA photo.
    Bomb("black-7000.png", lambda: flat_png(7000, 7000, 2), None, TOO_MANY_PIXELS),
    Bomb("rgba-10950.png", lambda: flat_png(10950, 10950), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("png-900mp.png", lambda: png_header_only(30_000, 30_000), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    # Just above the non-JPEG cap (50 MP) and just above the selfie's non-JPEG cap (16 MP).
    Bomb("png-50.1mp.png", lambda: png_header_only(7080, 7080), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("palette-16.4mp.png", lambda: flat_png(4100, 4000, 3), None, TOO_MANY_PIXELS),
    Bomb("webp-30mp.webp", lambda: webp_declaring(6000, 5000), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("heic-90mp.heic", lambda: heic_declaring(10_000, 9000), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("jpeg-4gp.jpg", lambda: jpeg_declaring(65_000, 65_000), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("jpeg-120.1mp.jpg", lambda: jpeg_declaring(12_010, 10_000), TOO_MANY_PIXELS, TOO_MANY_PIXELS),
    Bomb("gif-4gp.png", lambda: gif_declaring(65_535, 65_535), UNSUPPORTED, SELFIE_INVALID),
    Bomb("tiff-10gp.jpg", lambda: tiff_declaring(100_000, 100_000), UNSUPPORTED, SELFIE_INVALID),
)
PHOTO_BOMBS = [b for b in BOMBS if b.photo is not None]
